"""A CSV file that only grew has only its new rows read on every raw store, not only DuckDB.

On PostgreSQL and the one-file SQLite store the batch (pandas) path keeps the same
file marks the DuckDB path keeps (`wbr.ingest.file_marks`): an appended file loads
only its new rows, typed and checked as a whole read would, as an incremental load
from their earliest day; anything else is read whole; a failed or killed append
leaves the table and the mark as they were.
"""

from __future__ import annotations

import signal
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ingest_support import (
    metric_declaration,
    metric_value_rows,
    start_child,
    wait_until_paused,
    write_project,
)

from connectors.csv_file import CsvConnector
from wbr.compute.run import compute
from wbr.errors import LoadError
from wbr.ingest import ingest
from wbr.ingest.file_marks import MARKS_TABLE
from wbr.ingest.report import LoadReport
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, migrate
from wbr.store.schema import is_app_table, load_runs

FIRST_DAY = date(2024, 1, 1)
HEADER = "order_id,order_date,customer,amount,region\n"
ROWS_PER_DAY = 40  # 60 days of rows is ~80 KiB: past the two 64 KiB blocks a mark needs


def line(n: int, day: date | None = None) -> str:
    day = day or FIRST_DAY + timedelta(days=n // ROWS_PER_DAY)
    return f"{n},{day.isoformat()},c{n % 97},{n % 50 + 0.25:.2f},{('North', 'South')[n % 2]}\n"


def write_registry(folder: Path, **extra: Any) -> Path:
    """Every column is kept: these tests read order ids and retype regions, which no
    metric reads (appends of the columns metrics read: tests/test_ingest_kept_columns.py)."""
    source = {
        "kind": "csv",
        "path": "orders.csv",
        "date_column": "order_date",
        "keep_columns": "all",
        **extra,
    }
    metrics = [
        metric_declaration("orders", "orders", {"type": "count"}),
        metric_declaration("revenue", "orders", {"type": "sum", "column": "amount"}),
        metric_declaration("customers", "orders", {"type": "count_distinct", "column": "customer"}),
    ]
    project = {"name": "Appends", "week_ends_on": "saturday"}
    return write_project(folder, {"orders": source}, metrics, project)


def write_csv(folder: Path, lines: list[str], mode: str = "w") -> None:
    with (folder / "orders.csv").open(mode, encoding="utf-8", newline="") as handle:
        if mode == "w":
            handle.write(HEADER)
        handle.writelines(lines)


class Project:
    """A project whose app and raw tables share one store (PostgreSQL or SQLite)."""

    def __init__(self, folder: Path, url: str, **extra: Any) -> None:
        self.folder = folder
        self.registry_file = write_registry(folder, **extra)
        self.registry = load_registry(self.registry_file)
        self.url = url
        self.engine = create_store_engine(url)
        migrate(self.engine)

    def load(self, full: bool = False) -> LoadReport:
        (report,) = ingest(self.engine, self.registry, self.folder, full=full)
        return report

    def rows(self) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT * FROM raw_orders ORDER BY order_id").all()
        return [tuple(row) for row in found]

    def mark(self) -> tuple[Any, ...] | None:
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table(MARKS_TABLE):
                return None
            row = connection.exec_driver_sql(f"SELECT * FROM {MARKS_TABLE}").first()
        return None if row is None else tuple(row)

    def last_run(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            query = sa.select(load_runs).order_by(load_runs.c.id.desc()).limit(1)
            return dict(connection.execute(query).mappings().one())

    def values(self) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        return metric_value_rows(self.engine)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def project(tmp_path: Path, store_url: str) -> Any:
    opened = Project(tmp_path, store_url)
    yield opened
    opened.close()


def test_an_appended_file_loads_only_its_new_rows(project: Project) -> None:
    write_csv(project.folder, [line(n) for n in range(2400)])  # 60 days
    first = project.load()
    assert (first.mode, first.rows) == ("full", 2400)
    assert project.mark() is not None
    assert not is_app_table(MARKS_TABLE)  # beside the app tables, never migrated or dropped
    # Appended: two new days, and one late row for a day already loaded (not the first
    # new line): the window starts at the earliest date among the new rows.
    late = FIRST_DAY + timedelta(days=55)
    new = [line(n) for n in range(2400, 2450)] + [line(2450, late)]
    new += [line(n) for n in range(2451, 2480)]
    write_csv(project.folder, new, mode="a")
    report = project.load()
    assert (report.mode, report.rows_read, report.rows, report.window_start) == (
        "incremental",
        80,
        80,
        late.isoformat(),
    )
    run = project.last_run()
    assert (run["mode"], run["rows_loaded"], run["window_start"]) == (
        "incremental",
        80,
        late.isoformat(),
    )
    appended = project.rows()
    assert len(appended) == 2480
    assert project.load(full=True).rows == 2480
    assert project.rows() == appended  # what a full reload stores


def test_an_unchanged_file_reads_no_rows(project: Project) -> None:
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    before = project.rows()
    report = project.load()
    last_day = (FIRST_DAY + timedelta(days=59)).isoformat()
    assert (report.mode, report.rows_read, report.window_start) == ("incremental", 0, last_day)
    assert project.rows() == before


def test_values_after_an_append_equal_a_full_reload_and_computation(
    tmp_path: Path, store_url: str
) -> None:
    project = Project(tmp_path, store_url)
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    compute(project.engine, project.registry)
    write_csv(project.folder, [line(n) for n in range(2400, 2800)], mode="a")  # ten days
    assert project.load().mode == "incremental"
    report = compute(project.engine, project.registry)
    assert report.incremental
    refreshed = project.values()
    project.load(full=True)
    compute(project.engine, project.registry, full=True)
    assert project.values() == refreshed
    project.close()


def test_a_rewritten_file_is_reloaded_whole(project: Project) -> None:
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    before = project.mark()
    write_csv(project.folder, [line(n) for n in range(1, 2500)])  # first row gone, more at the end
    report = project.load()
    assert (report.mode, report.rows) == ("full", 2499)
    assert [row[0] for row in project.rows()] == list(range(1, 2500))
    assert project.mark() != before


def test_a_shrunk_file_or_a_changed_definition_is_reloaded_whole(
    project: Project, store_url: str
) -> None:
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    write_csv(project.folder, [line(n) for n in range(2300)])
    assert (project.load().mode, len(project.rows())) == ("full", 2300)
    write_csv(project.folder, [line(n) for n in range(2300, 2350)], mode="a")
    changed = Project(project.folder, store_url, batch_rows=500)  # the same store and table
    assert (changed.load().mode, len(changed.rows())) == ("full", 2350)
    assert project.load(full=True).mode == "full"  # and `--full` always is
    changed.close()


def test_bad_rows_in_the_appended_part_are_quarantined_with_their_lines(
    tmp_path: Path, store_url: str
) -> None:
    project = Project(tmp_path, store_url, on_error="quarantine", batch_rows=30)
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    bad = ["2400,2024-13-45,c1,1.00,North\n", "2401,2024-03-01,c1,ten,South\n"]
    # Line 2402 of the file is the first appended one (after the header and 2400 rows);
    # a quoted newline makes one row span two lines, which must be counted too.
    tail = [line(n) for n in range(2402, 2440)]
    tail[3] = '2405,2024-03-01,c1,1.00,"North\n east"\n'
    write_csv(project.folder, bad[:1] + tail[:20] + bad[1:] + tail[20:], mode="a")
    report = project.load()
    assert (report.mode, report.rows, report.rows_rejected) == ("incremental", 38, 2)
    with project.engine.connect() as connection:
        rejected = connection.exec_driver_sql(
            "SELECT row_number, column_name FROM raw_orders__rejected ORDER BY row_number"
        ).all()
    assert [tuple(row) for row in rejected] == [(2402, "order_date"), (2424, "amount")]
    project.close()


def test_a_bad_appended_row_stops_the_load_and_keeps_table_and_mark(project: Project) -> None:
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    rows, mark = project.rows(), project.mark()
    write_csv(project.folder, [line(n) for n in range(2400, 2410)], mode="a")
    write_csv(project.folder, ["2410,2024-03-01,c1,ten,South\n"], mode="a")
    with pytest.raises(LoadError, match=r"orders\.csv', line 2412: column 'amount'"):
        project.load()
    assert (project.rows(), project.mark()) == (rows, mark)


def test_a_killed_append_leaves_table_and_mark_unchanged(project: Project) -> None:
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    rows, mark = project.rows(), project.mark()
    write_csv(project.folder, [line(n) for n in range(2400, 2600)], mode="a")
    # batch_rows stays 50,000: the child pauses after its one batch is written, in the
    # open transaction, and is killed there.
    child = start_child(project.registry_file, project.url, "orders", 1)
    try:
        wait_until_paused(child)  # the new rows written inside the open transaction
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert (project.rows(), project.mark()) == (rows, mark)
    report = project.load()  # the next load appends the same rows
    assert (report.mode, report.rows, len(project.rows())) == ("incremental", 200, 2600)


def test_an_incremental_source_appends_too(tmp_path: Path, store_url: str) -> None:
    """As on DuckDB: a file that only grew is appended, not re-read for its window."""
    project = Project(tmp_path, store_url, incremental={"lookback": 7})
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    write_csv(project.folder, [line(n) for n in range(2400, 2440)], mode="a")
    report = project.load()
    assert (report.mode, report.rows_read, report.window_start) == (
        "incremental",
        40,
        (FIRST_DAY + timedelta(days=60)).isoformat(),
    )
    write_csv(project.folder, [line(n) for n in range(2400)])  # rewritten: its window
    report = project.load()
    assert (report.mode, report.rows_read) == ("incremental", 2400)
    assert report.window_start == (FIRST_DAY + timedelta(days=60 - 7)).isoformat()
    project.close()


def test_a_text_column_the_new_rows_could_retype_is_read_whole(
    tmp_path: Path, store_url: str
) -> None:
    """pandas reads a batch of an undeclared text column holding only numbers as numbers;
    the new rows are not batched as a whole read would batch them, so they are not
    appended alone."""
    project = Project(tmp_path, store_url)
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    write_csv(project.folder, ["2400,2024-03-01,7.0,1.00,North\n"], mode="a")
    report = project.load()
    assert (report.mode, report.rows) == ("full", 2401)
    assert project.rows()[-1][2] == "7.0"  # in a batch of words, as a whole read has it
    project.close()


def test_an_appended_key_already_loaded_is_reported_with_its_line(
    tmp_path: Path, store_url: str
) -> None:
    project = Project(tmp_path, store_url, key=["order_id"])
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    rows = project.rows()
    write_csv(project.folder, [line(n) for n in range(2400, 2405)] + [line(17)], mode="a")
    with pytest.raises(LoadError, match=r"line 2407: duplicate key order_id=17"):
        project.load()
    assert project.rows() == rows
    write_csv(project.folder, [line(n) for n in range(2400)])
    write_csv(project.folder, [line(n) for n in range(2400, 2405)], mode="a")
    assert (project.load().mode, len(project.rows())) == ("incremental", 2405)
    project.close()


def test_the_csv_connector_reads_a_byte_range_under_the_header(tmp_path: Path) -> None:
    """What a load reads is bounded by the size it measured: rows written meanwhile are
    the next load's, and lines are counted from the start of the file."""
    registry = load_registry(write_registry(tmp_path, columns={"customer": "text"}))
    connector = CsvConnector("orders", registry.sources["orders"], tmp_path)
    write_csv(tmp_path, [line(n) for n in range(10)])
    path = tmp_path / "orders.csv"
    old_size = path.stat().st_size
    write_csv(tmp_path, [line(n) for n in range(10, 15)], mode="a")
    new_size = path.stat().st_size
    write_csv(tmp_path, [line(n) for n in range(15, 20)], mode="a")  # after the measure
    (whole,) = connector.extract_range(path, 0, old_size)
    assert whole.frame["order_id"].tolist() == list(range(10))
    (tail,) = connector.extract_range(path, old_size, new_size)
    assert tail.frame["order_id"].tolist() == list(range(10, 15))
    assert tail.frame["customer"].tolist()[:2] == ["c10", "c11"]
    assert tail.locate is not None and tail.locate([0, 4]) == [12, 16]


def test_new_rows_without_any_value_in_a_text_column_are_still_appended(
    tmp_path: Path, store_url: str
) -> None:
    """pandas reads a batch of only missing values as floats: nothing to retype there."""
    project = Project(tmp_path, store_url)
    write_csv(project.folder, [line(n) for n in range(2400)])
    project.load()
    write_csv(project.folder, [f"{n},2024-03-01,,1.00,\n" for n in range(2400, 2410)], mode="a")
    report = project.load()
    assert (report.mode, report.rows) == ("incremental", 10)
    assert project.rows()[-1][2:] == (None, 1.0, None)
    project.close()
