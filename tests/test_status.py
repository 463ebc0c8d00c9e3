"""`wbr status` and `wbr ingest` as users run them: freshness, flags, progress, help."""

from __future__ import annotations

import signal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from ingest_support import start_child, wait_until_paused, write_project
from sqlalchemy import Engine, insert, text, update

from wbr.cli import main
from wbr.errors import LoadError
from wbr.ingest import ingest
from wbr.ingest.runs import INTERRUPTED
from wbr.ingest.status import Freshness, freshness
from wbr.registry.loader import load_registry
from wbr.registry.models import Registry
from wbr.store import DATABASE_URL_ENV, create_store_engine, migrate
from wbr.store.schema import load_runs

FIRST = date(2024, 1, 1)


def _daily_csv(path: Path, days: int, skip: tuple[int, ...] = ()) -> None:
    lines = [f"{FIRST + timedelta(days=n)},{n}" for n in range(days) if n not in skip]
    path.write_text("day,orders\n" + "\n".join(lines) + "\n")


def _project(folder: Path, **schedule: object) -> Path:
    source = {"kind": "csv", "path": "orders.csv", "date_column": "day", "batch_rows": 5}
    if schedule:
        source["schedule"] = schedule
    return write_project(folder, {"orders": source})


def test_freshness_flags_stale_data_and_missing_days(store_engine: Engine, tmp_path: Path) -> None:
    _daily_csv(tmp_path / "orders.csv", 10, skip=(3, 4, 7))
    registry = load_registry(_project(tmp_path))
    ingest(store_engine, registry, tmp_path)

    (fresh,) = freshness(store_engine, registry, today=date(2024, 1, 11))
    assert (fresh.first_date, fresh.newest_date, fresh.rows) == (FIRST, date(2024, 1, 10), 7)
    assert fresh.last_status == "succeeded"
    assert fresh.missing_days == 3
    assert fresh.recent_missing == (date(2024, 1, 8), date(2024, 1, 5), date(2024, 1, 4))
    assert fresh.flags == ("3 day(s) without rows",)

    (late,) = freshness(store_engine, registry, today=date(2024, 1, 20))
    assert "stale: newest date is 10 days old (allowed 2)" in late.flags


def test_weekly_sources_allow_gaps_and_a_longer_delay(store_engine: Engine, tmp_path: Path) -> None:
    _daily_csv(tmp_path / "orders.csv", 10, skip=(3, 4, 7))
    registry = load_registry(_project(tmp_path, every="week"))
    ingest(store_engine, registry, tmp_path)
    (weekly,) = freshness(store_engine, registry, today=date(2024, 1, 17))
    assert weekly.flags == ()


def test_never_loaded_and_failed(store_engine: Engine, tmp_path: Path) -> None:
    registry = load_registry(_project(tmp_path))
    (never,) = freshness(store_engine, registry, today=FIRST)
    assert never.flags == ("never loaded: run `wbr ingest orders`",)
    (tmp_path / "orders.csv").write_text("day,orders\nsoon,1\n")
    with pytest.raises(Exception, match="is not a date"):
        ingest(store_engine, registry, tmp_path)
    (failed,) = freshness(store_engine, registry, today=FIRST)
    assert failed.last_status == "failed"
    assert "last load failed" in failed.flags
    assert failed.last_error is not None and "'soon'" in failed.last_error


def test_cli_ingest_then_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    _daily_csv(tmp_path / "orders.csv", 10, skip=(4,))
    registry_file = _project(tmp_path)
    runner = CliRunner()
    loaded = runner.invoke(main, ["ingest", "--registry", str(registry_file)])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 9 rows from orders into raw_orders" in loaded.output
    args = ["status", "--registry", str(registry_file), "--as-of", "2024-01-11"]
    shown = runner.invoke(main, args)
    assert shown.exit_code == 0, shown.output
    assert "orders" in shown.output and "succeeded" in shown.output
    assert "1 day(s) without rows" in shown.output
    assert "2024-01-05" in shown.output
    assert runner.invoke(main, [*args, "--check"]).exit_code == 1


def test_status_shows_an_interrupted_load(tmp_path: Path) -> None:
    _daily_csv(tmp_path / "orders.csv", 40)
    registry_file = _project(tmp_path)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    child = start_child(registry_file, store_url, "orders", 10)
    try:
        wait_until_paused(child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    engine = create_store_engine(store_url)
    try:
        migrate(engine)
        (found,) = freshness(engine, load_registry(registry_file), today=FIRST)
    finally:
        engine.dispose()
    assert found.last_status == "interrupted"
    assert found.rows is None  # the killed first load left no table behind
    result = CliRunner().invoke(
        main, ["status", "--registry", str(registry_file), "--database-url", store_url]
    )
    assert "interrupted" in result.output


def test_ingest_errors_are_messages_not_tracebacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    (tmp_path / "orders.csv").write_text("day,orders\n2024-13-01,1\n")
    result = CliRunner().invoke(main, ["ingest", "--registry", str(_project(tmp_path))])
    assert result.exit_code == 1
    assert "error: source 'orders'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["ingest", "status"])
def test_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_status_shows_rows_rejected_by_the_last_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    (tmp_path / "orders.csv").write_text("day,orders\n2024-01-01,1\n2024-01-02,two\n")
    source = {
        "kind": "csv",
        "path": "orders.csv",
        "date_column": "day",
        "columns": {"orders": "integer"},
        "on_error": "quarantine",
    }
    registry_file = write_project(tmp_path, {"orders": source})
    runner = CliRunner()
    loaded = runner.invoke(main, ["ingest", "--registry", str(registry_file)])
    assert "1 rejected into raw_orders__rejected" in loaded.output
    shown = runner.invoke(main, ["status", "--registry", str(registry_file)])
    assert "1 rows rejected" in shown.output


def _measured(engine: Engine, registry: Registry, today: date) -> list[Freshness]:
    """Freshness with every table measured in the raw store, none taken from the history."""
    with engine.begin() as connection:
        connection.execute(update(load_runs).values(table_rows=None))
    return freshness(engine, registry, today)


def test_recorded_facts_equal_a_measurement(store_engine: Engine, tmp_path: Path) -> None:
    _daily_csv(tmp_path / "orders.csv", 10, skip=(1, 3, 4, 5, 6, 7, 8))
    registry = load_registry(_project(tmp_path))
    ingest(store_engine, registry, tmp_path)
    recorded = freshness(store_engine, registry, today=date(2024, 1, 11))
    assert recorded[0].missing_days == 7 and len(recorded[0].recent_missing) == 5
    assert recorded == _measured(store_engine, registry, date(2024, 1, 11))


def _raw_store_opened(engine: Engine, registry: Registry) -> tuple[list[Freshness], bool]:
    opened = []

    def raw_engine() -> Engine:
        opened.append(True)
        return engine

    return freshness(engine, registry, date(2024, 1, 11), raw_engine), bool(opened)


def test_status_measures_the_table_when_a_later_load_may_have_changed_it(
    store_engine: Engine, tmp_path: Path
) -> None:
    _daily_csv(tmp_path / "orders.csv", 10)
    registry = load_registry(_project(tmp_path))
    ingest(store_engine, registry, tmp_path)
    found, opened = _raw_store_opened(store_engine, registry)
    assert not opened and found[0].rows == 10
    # A failed load leaves the table as it was: the recorded facts still hold.
    (tmp_path / "orders.csv").write_text("day,orders\nsoon,1\n")
    with pytest.raises(LoadError):
        ingest(store_engine, registry, tmp_path, full=True)
    found, opened = _raw_store_opened(store_engine, registry)
    assert not opened and found[0].rows == 10
    # A load interrupted after its rows may have committed: the table is measured.
    _daily_csv(tmp_path / "orders.csv", 12)
    with store_engine.begin() as connection:
        connection.execute(
            insert(load_runs).values(
                source="orders",
                table_name="raw_orders",
                started_at=datetime.now(UTC),
                status=INTERRUPTED,
            )
        )
        connection.execute(text("INSERT INTO raw_orders (day, orders) VALUES ('2024-01-11', 1)"))
    found, opened = _raw_store_opened(store_engine, registry)
    assert opened and found[0].rows == 11 and found[0].newest_date == date(2024, 1, 11)


def test_a_renamed_table_is_measured_not_taken_from_the_history(
    store_engine: Engine, tmp_path: Path
) -> None:
    _daily_csv(tmp_path / "orders.csv", 10)
    registry = load_registry(_project(tmp_path))
    ingest(store_engine, registry, tmp_path)
    source = {"kind": "csv", "path": "orders.csv", "date_column": "day", "table": "sales"}
    renamed = load_registry(write_project(tmp_path, {"orders": source}))
    found, opened = _raw_store_opened(store_engine, renamed)
    assert opened and found[0].table == "raw_sales" and found[0].rows is None
