"""The performance benchmark's generator makes a valid project with every aggregation class.

Only the generator is exercised, on 2,000 rows: no benchmark step runs here and
nothing is timed (see benchmarks/perf/ and docs/performance.md).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

from wbr.cli import main
from wbr.registry import aggregations
from wbr.registry.loader import load_registry

GENERATOR = Path(__file__).parent.parent / "benchmarks" / "perf" / "generate.py"
ROWS = 2_000
METRICS = 30


def every_aggregation_type() -> set[str]:
    """The `type:` of every aggregation class the registry supports."""
    classes = (
        aggregations.ADDITIVE
        + aggregations.SEMI_ADDITIVE
        + aggregations.NON_ADDITIVE
        + aggregations.FROM_METRICS
    )
    return {typing.get_args(cls.model_fields["type"].annotation)[0] for cls in classes}


def generate(folder: Path, *extra: str) -> None:
    command = [sys.executable, str(GENERATOR), "--rows", str(ROWS), "--out", str(folder)]
    subprocess.run([*command, *extra], check=True, capture_output=True, text=True)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_generated_project_validates_and_covers_every_aggregation_class(tmp_path: Path) -> None:
    generate(tmp_path, "--metrics", str(METRICS))

    result = CliRunner().invoke(main, ["validate", "--registry", str(tmp_path / "metrics.yaml")])
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.output

    registry = load_registry(tmp_path / "metrics.yaml")
    assert len(registry.metrics) == METRICS
    assert {metric.aggregation.type for metric in registry.metrics} == every_aggregation_type()
    shown = [name for section in registry.deck.sections for name in section.metrics]
    assert sorted(shown) == sorted(metric.name for metric in registry.metrics)
    assert all(metric.drives for metric in registry.metrics if metric.kind.value == "input")

    rows = read_rows(tmp_path / "orders.csv")
    assert len(rows) == ROWS
    assert len({row["order_id"] for row in rows}) == ROWS


def test_append_week_adds_the_next_seven_days(tmp_path: Path) -> None:
    generate(tmp_path, "--metrics", str(METRICS))
    before = read_rows(tmp_path / "orders.csv")
    generate(tmp_path, "--append-week")
    after = read_rows(tmp_path / "orders.csv")

    new = after[len(before) :]
    assert new, "no rows appended"
    last_day = max(row["order_date"] for row in before)
    assert len({row["order_date"] for row in new}) == 7
    assert min(row["order_date"] for row in new) > last_day
    assert int(new[0]["order_id"]) == int(before[-1]["order_id"]) + 1


def test_the_daily_benchmark_input_imports_and_computes_the_values_it_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """benchmarks/perf/daily.py's reference-app config imports into a valid registry, and
    the values its check expects are the ones wbr computes (30 metrics, no timing)."""
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import daily
    finally:
        sys.path.remove(str(GENERATOR.parent))
    daily.write_inputs(tmp_path / "in", 30, seed=3)
    monkeypatch.chdir(tmp_path / "in")
    for key in [key for key in os.environ if key.startswith("WBR_")]:
        monkeypatch.delenv(key)
    runner = CliRunner()
    steps = [
        ["import-wbr-app", "config.yaml", "--data", "data.csv"],
        ["ingest", "--no-progress"],
        ["compute"],
    ]
    for args in steps:
        done = runner.invoke(main, args)
        assert done.exit_code == 0, (args, done.output)
    expected = daily.expected_values(tmp_path / "in", 30)
    check = daily.agreement(daily.stored_values(tmp_path / "in"), expected)
    assert check["values_compared"] == 60 and check["values_differing"] == 0, check


def test_the_scheduled_step_times_only_the_refresh_after_the_append(tmp_path: Path) -> None:
    """benchmarks/perf/run.py's `wbr scheduler` step: the process builds (catches up),
    says READY, and only then does the runner append the week it refreshes."""
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import run
        from generate import append_week
    finally:
        sys.path.remove(str(GENERATOR.parent))
    generate(tmp_path, "--metrics", "6")
    csv_path = tmp_path / "orders.csv"
    sizes: list[int] = []

    def append() -> None:
        sizes.append(csv_path.stat().st_size)
        append_week(csv_path, ROWS, seed=3)

    # The catch-up is the first build here: nothing was loaded before the process started.
    result = run.run_step("scheduled", tmp_path, None, 300, when_ready=append)

    assert result["ok"], result
    assert len(sizes) == 1 and csv_path.stat().st_size > sizes[0]
    assert result["catch_up_phases"]["ingest"] > 0
    assert result["load_modes"] == ["incremental"]
    appended = len(read_rows(csv_path)) - ROWS
    assert result["rows_loaded"] == appended
    assert set(result["phases"]) == {"ingest", "compute", "deck"}
    # Timed from the append on: the catch-up (and the process's start) is not counted.
    caught_up = sum(result["catch_up_phases"].values())
    assert 0 < result["seconds"] < result["process_seconds"] - caught_up
