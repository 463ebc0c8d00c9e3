"""Conformance with the WBR reference app: its 42 test cases, through our importer and engine.

Each case imports the scenario's `config.yaml` with `wbr import-wbr-app`, loads and
computes its CSV, builds the deck for the reference's week, and compares the
6-week and 12-month CY/PY series, the x-axis labels and the nine box totals at
the reference's own tolerance (both rounded to 2 decimals, then equal to 1).

Where wbr deliberately differs, the difference is listed in DIFFERENCES with the
reference's value and ours; a case passes when its mismatches are exactly the
listed ones, so a listed difference that no longer differs fails too. The table
in docs/conformance.md is rendered from DIFFERENCES (run this file with Python
to print it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from wbr_app_harness import (
    Case,
    Mismatch,
    ScenarioRun,
    actual_fields,
    compared_fields,
    load_cases,
    mismatches,
    nearly_equal,
    run_scenario,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"
CASES = load_cases()
EXPECTED_CASES = 42
NAN = float("nan")

# Why wbr differs; each is explained in docs/calculations.md and docs/conformance.md.
MISSING_DAY = "missing day"
NO_PRIOR_YEAR = "no prior year"
WEEK_NUMBER = "week number"
AFTER_THE_WEEK = "after the week"
REASONS = {
    MISSING_DAY: "The period has days without data (the data starts on 5 Jan 2020). The "
    "reference sums the days present; wbr shows N/A (incomplete), and so does every change "
    "computed from it.",
    NO_PRIOR_YEAR: "There is no prior-year value (the target columns start in 2023). The "
    "reference shows a YoY of 0.0; wbr shows N/A, never 0.",
    WEEK_NUMBER: "The reference labels weeks from its config's `week_number`; wbr computes "
    "them from the date (week 1 is the first week wholly in the year): 2022-04-30 is wk 17, "
    "not 16; 2023-03-25 is wk 12, not 13.",
    AFTER_THE_WEEK: "The deck's week ends 2023-03-25, but the data runs to 2023-04-30. The "
    "reference fills the fiscal year's months from data after the week (March, April) and "
    "labels the months up to the last one with data; wbr never shows data after the deck's "
    "week (a month not over yet is empty) and labels all twelve months of the fiscal year.",
}


@dataclass(frozen=True)
class Difference:
    """A listed, deliberate mismatch: at `indices` of `field` in `cases` of `scenario`."""

    scenario: int
    cases: tuple[int, ...]
    field: str
    indices: tuple[int, ...] | None  # None: the whole field (its length differs)
    reference: tuple[Any, ...]
    ours: tuple[Any, ...]
    reason: str


def _weeks(first: int) -> tuple[str, ...]:
    return tuple(f"wk {n}" for n in range(first, first + 6))


FISCAL_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
JAN_2020 = 1487877710  # page views in the days of January 2020 with data (5-31 Jan)

DIFFERENCES = (
    Difference(1, (1,), "py_monthly", (0,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(1, (2,), "py_monthly", (4,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(1, (1, 2), "box_totals", (8,), (31.435111159660067,), (None,), MISSING_DAY),
    Difference(2, (1,), "py_monthly", (0,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(2, (2,), "cy_monthly", (0,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(2, (1, 2), "box_totals", (4, 6, 8), (143.24,) * 3, (None,) * 3, MISSING_DAY),
    Difference(3, (1,), "py_monthly", (4,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(
        4, tuple(range(1, 13)), "x_axis", tuple(range(6)), _weeks(11), _weeks(12), WEEK_NUMBER
    ),
    Difference(
        5, tuple(range(1, 12)), "x_axis", tuple(range(6)), _weeks(11), _weeks(12), WEEK_NUMBER
    ),
    Difference(6, (1, 2, 3, 4, 5), "x_axis", tuple(range(6)), _weeks(8), _weeks(7), WEEK_NUMBER),
    Difference(6, (4, 5), "box_totals", (2, 4, 6, 8), (0.0,) * 4, (None,) * 4, NO_PRIOR_YEAR),
    Difference(7, (1, 3, 5, 6), "x_axis", tuple(range(6)), _weeks(8), _weeks(7), WEEK_NUMBER),
    Difference(7, (2, 4), "cy_monthly", (2, 3), (0.43, 0.43), (None, None), AFTER_THE_WEEK),
    Difference(
        7,
        (2, 4),
        "x_axis",
        None,
        (*_weeks(8), *FISCAL_MONTHS[:4]),
        (*_weeks(7), *FISCAL_MONTHS),
        AFTER_THE_WEEK,
    ),
    Difference(8, (1,), "py_monthly", (4,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(8, (2,), "py_monthly", (0,), (JAN_2020,), (None,), MISSING_DAY),
    Difference(8, (1, 2), "box_totals", (8,), (31.435111159660067,), (None,), MISSING_DAY),
    Difference(9, (1,), "PageViewsYOY", (4,), (0.5585155610671795,), (None,), MISSING_DAY),
    Difference(9, (1,), "DesktopPageViewsYOY", (4,), (0.40661289348191043,), (None,), MISSING_DAY),
    Difference(9, (1,), "MobilePage_ViewsYOY", (4,), (0.7658326778123006,), (None,), MISSING_DAY),
)

# Cases that fail because of a bug in code outside the importer: case id → diagnosis.
# strict: when the bug is fixed the case passes, and the entry must be removed.
XFAILS: dict[str, str] = {}

Key = tuple[str, int | None]


def listed_for(case: Case) -> dict[Key, tuple[Any, Any, str]]:
    """The listed differences of `case`: (field, index) → (reference, ours, reason)."""
    listed: dict[Key, tuple[Any, Any, str]] = {}
    for difference in DIFFERENCES:
        if (
            f"scenario_{difference.scenario}" != case.scenario
            or case.number not in difference.cases
        ):
            continue
        if difference.indices is None:
            listed[(difference.field, None)] = (
                list(difference.reference),
                list(difference.ours),
                difference.reason,
            )
            continue
        for index, ref, ours in zip(
            difference.indices, difference.reference, difference.ours, strict=True
        ):
            listed[(difference.field, index)] = (ref, ours, difference.reason)
    return listed


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return nearly_equal(a, b)


class _Runs:
    """Each scenario is imported, computed and built once per module, when first needed."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._runs: dict[str, ScenarioRun] = {}

    def get(self, scenario: str) -> ScenarioRun:
        if scenario not in self._runs:
            self._runs[scenario] = run_scenario(scenario, self._factory.mktemp(scenario))
        return self._runs[scenario]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Runs]:
    yield _Runs(tmp_path_factory)


def _params() -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=XFAILS[case.id])]
            if case.id in XFAILS
            else [],
        )
        for case in CASES
    ]


def _describe(found: list[Mismatch]) -> str:
    return "\n".join(
        f"  {m.field}[{'all' if m.index is None else m.index}]: reference {m.reference!r}, "
        f"ours {m.ours!r}"
        for m in found
    )


@pytest.mark.parametrize("case", _params())
def test_case_matches_the_reference(case: Case, runs: _Runs) -> None:
    run = runs.get(case.scenario)
    found = mismatches(case.expected, actual_fields(case, run), compared_fields(case))
    listed = listed_for(case)
    unexplained = [m for m in found if (m.field, m.index) not in listed]
    assert not unexplained, f"{case.id} differs from the reference:\n{_describe(unexplained)}"
    found_keys = {(m.field, m.index) for m in found}
    stale = sorted(key for key in listed if key not in found_keys)
    assert not stale, f"{case.id}: listed differences that no longer differ: {stale}"
    for mismatch in found:
        ref, ours, reason = listed[(mismatch.field, mismatch.index)]
        assert _same(mismatch.reference, ref), (mismatch, "the reference's value is not as listed")
        assert _same(mismatch.ours, ours), (mismatch, f"our value is not as listed ({reason})")


def test_all_42_cases_of_the_reference_are_run() -> None:
    assert len(CASES) == EXPECTED_CASES
    assert len({case.id for case in CASES}) == EXPECTED_CASES


def test_every_difference_names_a_case_and_a_reason() -> None:
    ids = {(int(c.scenario.split("_")[1]), c.number) for c in CASES}
    for difference in DIFFERENCES:
        assert difference.reason in REASONS
        assert all((difference.scenario, case) in ids for case in difference.cases), difference


def _cell(values: tuple[Any, ...]) -> str:
    def one(value: Any) -> str:
        if value is None:
            return "N/A"
        if isinstance(value, float) and value != value:
            return "NaN"
        return f"{value:g}" if isinstance(value, float) else str(value)

    shown = ", ".join(one(value) for value in values)
    return shown if len(values) == 1 else f"[{shown}]"


BOX_POSITIONS = (
    "last week",
    "WoW",
    "YoY",
    "MTD",
    "MTD YoY",
    "QTD",
    "QTD YoY",
    "YTD",
    "YTD YoY",
)


def _span(numbers: tuple[int, ...]) -> str:
    """(1, 2, 3, 5) → "1-3, 5"."""
    parts: list[str] = []
    start = previous = numbers[0]
    for number in (*numbers[1:], None):
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)


def _month_labels(difference: Difference) -> list[str]:
    """The reference's month labels of the difference's first case (its x-axis or headers)."""
    case = next(
        c
        for c in CASES
        if c.scenario == f"scenario_{difference.scenario}" and c.number == difference.cases[0]
    )
    if "headers" in case.expected:
        return list(case.expected["headers"])
    return list(case.expected["x_axis"])[len(case.expected["cy_6_weeks"]) :]


def _positions(difference: Difference) -> str:
    if difference.indices is None:
        return "all"
    if difference.field == "box_totals":
        return ", ".join(BOX_POSITIONS[index] for index in difference.indices)
    if difference.field == "x_axis":
        return f"weeks {_span(tuple(index + 1 for index in difference.indices))}"
    months = _month_labels(difference)
    return ", ".join(months[index] for index in difference.indices)


def differences_table() -> str:
    """The Markdown table of DIFFERENCES in docs/conformance.md."""
    lines = [
        "| scenario | cases | field | positions | reference | wbr | why |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in DIFFERENCES:
        cells = (_span(d.cases), f"`{d.field}`", _positions(d), _cell(d.reference), _cell(d.ours))
        lines.append(f"| {d.scenario} | {' | '.join(cells)} | {d.reason} |")
    return "\n".join(lines)


def test_the_docs_list_every_difference() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert differences_table() in text, (
        "docs/conformance.md is out of date: paste the table printed by "
        "`python tests/conformance/test_wbr_app_conformance.py`"
    )
    for reason in REASONS:
        assert f"**{reason}**" in text, f"docs/conformance.md does not explain `{reason}`"


if __name__ == "__main__":
    print(differences_table())
