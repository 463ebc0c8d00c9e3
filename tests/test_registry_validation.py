"""`wbr validate` reports every mistake at once, each with its line and a fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from wbr.cli import main
from wbr.errors import ConfigError
from wbr.registry.loader import load_registry, validate_file
from wbr.registry.problems import Level, Problem

CASES = Path(__file__).parent / "registry_cases"
TEN_MISTAKES = CASES / "ten_mistakes.yaml"
DEMO_REGISTRY = Path(__file__).parent.parent / "metrics.yaml"


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle` in the case file."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return validate_file(TEN_MISTAKES).problems


def find(problems: list[Problem], *words: str) -> Problem:
    matches = [p for p in problems if all(word in p.message for word in words)]
    assert len(matches) == 1, f"expected one problem with {words}, got {matches}"
    return matches[0]


TEXT = TEN_MISTAKES.read_text()

# (words in the message, the line it must point at, words in the hint)
EXPECTED = [
    (
        "missing owner",
        ("revenue", "`owner` is required"),
        line_of(TEXT, "- name: revenue"),
        "owner:",
    ),
    (
        "duplicate name",
        ("`orders` is defined twice",),
        line_of(TEXT, "- name: orders", 2),
        "rename",
    ),
    (
        "unknown ratio part",
        ("denominator `sesions` is not a metric",),
        line_of(TEXT, "denominator: sesions"),
        "",
    ),
    (
        "drives unknown output",
        ("drives `ordres`, which is not a metric",),
        line_of(TEXT, "drives: [ordres]"),
        "did you mean `orders`?",
    ),
    (
        "cycle",
        ("depends on itself", "loop_a → loop_b → loop_a"),
        line_of(TEXT, "numerator: loop_b"),
        "break the cycle",
    ),
    ("bad enum value", ("`kind` has the value 'inptu'",), line_of(TEXT, "kind: inptu"), "input"),
    ("unknown key", ("unknown key `ownr`",), line_of(TEXT, "ownr:"), "did you mean `owner`?"),
    (
        "undeclared source",
        ("source `shipments` is not declared",),
        line_of(TEXT, "source: shipments"),
        "sources:",
    ),
    (
        "deck lists unknown metric",
        ("lists `margin`, which is not a metric",),
        line_of(TEXT, "metrics: [orders, in_stock"),
        "known metrics",
    ),
    (
        "input after output",
        ("shows input `in_stock` after output `orders`",),
        line_of(TEXT, "metrics: [orders, in_stock"),
        "inputs first",
    ),
]


@pytest.mark.parametrize(("case", "words", "line", "hint"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_mistake_is_reported_with_line_and_hint(
    problems: list[Problem], case: str, words: tuple[str, ...], line: int, hint: str
) -> None:
    problem = find(problems, *words)
    assert problem.level is Level.ERROR
    assert problem.line == line
    assert problem.file == TEN_MISTAKES
    assert hint in problem.hint


def test_all_ten_are_reported_in_one_run(problems: list[Problem]) -> None:
    assert len([p for p in problems if p.level is Level.ERROR]) == len(EXPECTED)


def test_cli_prints_every_problem_and_exits_non_zero() -> None:
    result = CliRunner().invoke(main, ["validate", "--registry", str(TEN_MISTAKES)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"ten_mistakes.yaml:{line_of(TEXT, 'ownr:')}: error: " in result.output
    assert "10 error(s), 0 warning(s)." in result.output


def test_warnings_alone_exit_zero(tmp_path: Path) -> None:
    text = DEMO_REGISTRY.read_text()
    first_metric = "metrics:\n"
    warned = text.replace(first_metric, first_metric, 1)
    registry = tmp_path / "metrics.yaml"
    # An output that lists `drives` is suspicious but not wrong: a warning.
    registry.write_text(warned)
    valid = load_registry(registry)
    output = next(m for m in valid.metrics if m.kind.value == "output")
    marker = f"- name: {output.name}\n"
    registry.write_text(warned.replace(marker, marker + f"    drives: [{output.name}]\n", 1))
    result = CliRunner().invoke(main, ["validate", "--registry", str(registry)])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    registry = tmp_path / "metrics.yaml"
    registry.write_text("project:\n  name: x\nmetrics:\n  - name: a\n   label: oops\n")
    [problem] = validate_file(registry).problems
    assert problem.line == 5
    assert "invalid YAML" in problem.message


def test_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    registry = tmp_path / "metrics.yaml"
    registry.write_text("project:\n  name: a\n  name: b\n")
    [problem] = validate_file(registry).problems
    assert problem.line == 3
    assert "duplicate key" in problem.message


def test_load_registry_raises_one_error_listing_all() -> None:
    with pytest.raises(ConfigError) as raised:
        load_registry(TEN_MISTAKES)
    assert str(raised.value).count(": error: ") == len(EXPECTED)


def test_demo_registry_is_valid(tmp_path: Path) -> None:
    copy = tmp_path / "metrics.yaml"
    shutil.copy(DEMO_REGISTRY, copy)
    result = validate_file(copy)
    assert result.registry is not None, [p.render() for p in result.problems]
    assert [p for p in result.problems if p.level is Level.ERROR] == []


def test_unknown_columns_in_csv_sources_are_reported_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("order_date,amount,region\n2024-01-01,5,West\n")
    registry = tmp_path / "metrics.yaml"
    registry.write_text(
        "sources:\n"
        "  orders: {kind: csv, path: orders.csv, date_column: order_date}\n"
        "metrics:\n"
        "  - name: revenue\n"
        "    label: Revenue\n"
        "    description: d\n"
        "    kind: output\n"
        "    owner: o\n"
        "    source: orders\n"
        "    dimensions: [regoin]\n"
        "    aggregation:\n"
        "      type: sum\n"
        "      column: amount\n"
        "      filters:\n"
        "        - {column: chanel, op: eq, value: web}\n"
        "deck:\n"
        "  sections: [{title: All, metrics: [revenue]}]\n"
    )
    problems = validate_file(registry).problems
    assert [(p.line, p.message) for p in problems] == [
        (10, "metric `revenue`: dimension `regoin` is not a column of source `orders`"),
        (15, "metric `revenue`: filter column `chanel` is not a column of source `orders`"),
    ]
    assert problems[0].hint == "did you mean `region`?"


@pytest.mark.parametrize(
    ("aggregation", "message"),
    [
        ("{type: formula, expression: 'revenue +* 2'}", "formula cannot parse"),
        ("{type: formula, expression: '__import__(1)'}", "is not allowed"),
        ("{type: formula, expression: 'revenue / refunds'}", "uses `refunds`, which is not"),
        ("{type: formula, expression: '2 * 3'}", "formula uses no metric"),
        ("{type: count, filters: [{column: x, op: in, value: 3}]}", "needs a non-empty list"),
        ("{type: count, filters: [{column: x, op: is_null, value: 3}]}", "takes no `value`"),
    ],
)
def test_formula_and_filter_mistakes(tmp_path: Path, aggregation: str, message: str) -> None:
    registry = tmp_path / "metrics.yaml"
    registry.write_text(
        "sources:\n"
        "  s: {kind: csv, path: missing.csv, date_column: d}\n"
        "metrics:\n"
        "  - {name: revenue, label: R, description: d, kind: output, owner: o, source: s,\n"
        "     aggregation: {type: sum, column: amount}}\n"
        "  - name: derived\n"
        "    label: D\n"
        "    description: d\n"
        "    kind: output\n"
        "    owner: o\n"
        "    source: s\n"
        f"    aggregation: {aggregation}\n"
        "deck:\n"
        "  sections: [{title: All, metrics: [revenue, derived]}]\n"
    )
    [problem] = validate_file(registry).problems
    assert message in problem.message
    assert problem.line == 12
