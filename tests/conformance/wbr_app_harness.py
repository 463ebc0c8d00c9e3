"""Run a reference scenario through `wbr import-wbr-app` and our engine; read the numbers.

A scenario folder (wbr_app/scenario_N) holds the reference app's `config.yaml`,
its `original.csv` and `testconfig.yml` with the expected numbers. `run_scenario`
imports the config, ingests the CSV, computes, and builds the deck for the
reference's week; `actual_fields` reads from that deck the same fields the
reference's own test reads from its deck.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.deck.model import Chart, Deck, MetricTable
from wbr.importers.wbr_app import import_wbr_app
from wbr.ingest import ingest
from wbr.workspace import open_workspace

SCENARIOS = Path(__file__).parent / "wbr_app"
REFERENCE_DATE_FORMAT = "%d-%b-%Y"  # 25-SEP-2021
SERIES_FIELDS = ("cy_6_weeks", "py_6_weeks", "cy_monthly", "py_monthly", "box_totals")
CHART_FIELDS = (*SERIES_FIELDS, "x_axis")
PERCENT = 100.0  # our changes are percents; the reference's derived series are fractions
DERIVED = ("YOY", "WOW", "MOM")  # the reference's derived series of a metric
MONTH_TABLE_ROWS = {"YOY": "YoY", "MOM": "MoM"}  # derived series → row of our 12-month table

Value = float | str | None


@dataclass(frozen=True)
class Case:
    """One test case of the reference: a metric's chart (or a table) in one scenario."""

    scenario: str  # "scenario_4"
    number: int
    metric_name: str  # the reference's name
    expected: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.scenario}-case_{self.number}-{self.metric_name}"


def load_cases() -> list[Case]:
    cases = []
    for folder in sorted(SCENARIOS.glob("scenario_*"), key=lambda p: int(p.name.split("_")[1])):
        tests = YAML(typ="safe").load((folder / "testconfig.yml").read_text(encoding="utf-8"))
        for item in tests["tests"]:
            test = item["test"]
            cases.append(Case(folder.name, int(test["test_case_no"]), test["metric_name"], test))
    return cases


@dataclass(frozen=True)
class ScenarioRun:
    names: dict[str, str]  # reference metric name → ours
    deck: Deck

    def chart(self, reference_name: str) -> Chart:
        name = self.names[reference_name]
        return next(chart for chart in self.deck.charts if chart.metric == name)


def reference_week(scenario: str) -> date:
    config = YAML(typ="safe").load((SCENARIOS / scenario / "config.yaml").read_text())
    return datetime.strptime(config["setup"]["week_ending"], REFERENCE_DATE_FORMAT).date()


def run_scenario(scenario: str, workdir: Path) -> ScenarioRun:
    """Import, ingest, compute and build the deck of `scenario` in `workdir` (SQLite)."""
    folder = SCENARIOS / scenario
    data = workdir / "data" / "original.csv"  # beside metrics.yaml, as in a user's project
    data.parent.mkdir(parents=True)
    shutil.copyfile(folder / "original.csv", data)
    registry_file = workdir / "metrics.yaml"
    result = import_wbr_app(folder / "config.yaml", data, registry_file)
    assert not [p for p in result.problems if p.level == "error"], result.problems
    workspace = open_workspace(registry_file, f"sqlite:///{workdir / 'store.db'}")
    try:
        ingest(workspace.engine, workspace.registry, workspace.base_dir)
        compute(workspace.engine, workspace.registry)
        deck = build_deck(workspace.engine, workspace.registry, reference_week(scenario))
    finally:
        workspace.engine.dispose()
    return ScenarioRun(result.names, deck)


def _row(table: MetricTable, label: str) -> tuple[float | None, ...]:
    return next(row.cells for row in table.rows if row.label == label)


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / PERCENT


def _change(current: float | None, base: float | None) -> float | None:
    """(current / base − 1) × 100, the reference's WoW of a derived series."""
    if current is None or base is None or base == 0:
        return None
    return (current / base - 1.0) * PERCENT


def chart_fields(chart: Chart) -> dict[str, list[Value]]:
    """The fields of the reference's 6-12 chart test, read from our chart."""
    box = chart.box
    return {
        "cy_6_weeks": [point.cy for point in chart.weeks],
        "py_6_weeks": [point.py for point in chart.weeks],
        "cy_monthly": [point.cy for point in chart.months],
        "py_monthly": [point.py for point in chart.months],
        "x_axis": list(chart.x_labels),
        "box_totals": [
            box.last_week,
            box.wow.value,
            box.last_week_yoy.value,
            box.mtd,
            box.mtd_yoy.value,
            box.qtd,
            box.qtd_yoy.value,
            box.ytd,
            box.ytd_yoy.value,
        ],
    }


def derived_fields(chart: Chart, suffix: str) -> dict[str, list[Value]]:
    """A derived YOY or WOW series of the reference, read from our chart's tables.

    The reference draws it as a chart of fractions (0.049 for +4.9 %) with no
    prior-year line; its box holds the series' last week and its WoW, and the
    MTD, QTD and YTD changes. Our 6-week and 12-month tables hold the same
    changes in percent.
    """
    assert chart.comparison == "percent", "the reference's derived series are relative changes"
    weeks_table, months_table = chart.tables
    none_months: list[Value] = [None] * len(chart.months)
    if suffix == "WOW":
        weekly = [_fraction(v) for v in _row(weeks_table, "WoW")[: len(chart.weeks)]]
        return {
            "cy_6_weeks": list(weekly),
            "cy_monthly": none_months,
            "x_axis": list(chart.x_labels),
            "box_totals": [None] * 9,
        }
    weekly_pct = _row(weeks_table, "YoY")[: len(chart.weeks)]
    box = chart.box
    return {
        "cy_6_weeks": [_fraction(v) for v in weekly_pct],
        "cy_monthly": [_fraction(v) for v in _row(months_table, "YoY")],
        "x_axis": list(chart.x_labels),
        "box_totals": [
            _fraction(box.last_week_yoy.value),
            _change(weekly_pct[-1], weekly_pct[-2]),
            None,
            _fraction(box.mtd_yoy.value),
            None,
            _fraction(box.qtd_yoy.value),
            None,
            _fraction(box.ytd_yoy.value),
            None,
        ],
    }


def table_fields(run: ScenarioRun, expected: Mapping[str, Any]) -> dict[str, list[Value]]:
    """A 12_MonthsTable's rows: each metric's months, or its YoY or MoM as fractions."""
    fields: dict[str, list[Value]] = {}
    for header in expected:
        if header in run.names:
            months = run.chart(header).tables[1]
            fields[header] = list(_row(months, "Actual"))
            fields.setdefault("headers", list(months.columns))
            continue
        for suffix, label in MONTH_TABLE_ROWS.items():
            base = header.removesuffix(suffix)
            if header.endswith(suffix) and base in run.names:
                chart = run.chart(base)
                assert chart.comparison == "percent", "a derived series of percent changes"
                fields[header] = [_fraction(v) for v in _row(chart.tables[1], label)]
    return fields


def actual_fields(case: Case, run: ScenarioRun) -> dict[str, list[Value]]:
    """Our values for every field of `case` that has a counterpart in our deck."""
    name = case.metric_name
    if name in run.names:
        return chart_fields(run.chart(name))
    for suffix in DERIVED:
        base = name.removesuffix(suffix)
        if name.endswith(suffix) and base in run.names:
            return derived_fields(run.chart(base), suffix)
    return table_fields(run, case.expected)


def compared_fields(case: Case) -> list[str]:
    """The fields the reference's own test compares for this case, in order.

    Like the reference, the prior-year series are not compared when the case
    says `graph_prior_year_flag: false`.
    """
    expected = case.expected
    skip_py = expected.get("graph_prior_year_flag") is False
    if "headers" in expected:
        known = {"headers", *CHART_FIELDS, "cy_monthly_data_frame_length"}
        return [
            "headers",
            *(key for key in expected if isinstance(expected[key], list) and key not in known),
        ]
    return [
        field
        for field in CHART_FIELDS
        if field in expected and not (skip_py and field.startswith("py_"))
    ]


def round_off(value: float, digits: int) -> float:
    """Round half away from zero, as the reference's test does (not banker's rounding)."""
    scale = 10.0**digits
    scaled = value * scale
    rounded = math.floor(abs(scaled) + 0.5) * (1 if scaled >= 0 else -1)
    return rounded / scale


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def nearly_equal(ours: Value, reference: Value) -> bool:
    """The reference's tolerance: both rounded to 2 decimals, then equal to 1 decimal.

    NaN in the reference and None (N/A) in ours are equal; labels compare exactly.
    """
    if isinstance(reference, str) or isinstance(ours, str):
        return ours == reference
    if _missing(ours) or _missing(reference):
        return _missing(ours) and _missing(reference)
    assert ours is not None and reference is not None
    a, b = round_off(float(ours), 2), round_off(float(reference), 2)
    return int(a * 10) == int(b * 10) or round_off(a, 1) == round_off(b, 1)


@dataclass(frozen=True)
class Mismatch:
    field: str
    index: int | None  # None: the whole field (the lengths differ)
    reference: Any
    ours: Any


def mismatches(
    expected: Mapping[str, Any], actual: Mapping[str, Sequence[Value]], fields: list[str]
) -> list[Mismatch]:
    found = []
    for field in fields:
        ref, ours = list(expected[field]), list(actual.get(field, []))
        if len(ref) != len(ours):
            found.append(Mismatch(field, None, ref, ours))
            continue
        found.extend(
            Mismatch(field, index, r, o)
            for index, (r, o) in enumerate(zip(ref, ours, strict=True))
            if not nearly_equal(o, r)
        )
    return found
