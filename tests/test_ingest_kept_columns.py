"""A raw table holds the columns the registry reads, not every column of its source.

Loading a column no metric reads costs time and memory (issue 12: about 45 % of a
DuckDB load of 12 columns when 6 are read) and can only fail a load. The columns
kept are the source's own (date, key, cursor, declared types) and those metrics
aggregate, filter on, date by or break down by (`Registry.columns_read`). A metric
on a column the table lacks reloads the table whole; `keep_columns: all` keeps
every column. Each path that writes a raw table is held to it: DuckDB's own CSV and
Parquet readers and the row-by-row path on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ingest_support import metric_declaration, write_project

from wbr.compute.run import compute
from wbr.errors import ComputeError, LoadError
from wbr.ingest import ingest
from wbr.ingest.file_marks import MARKS_TABLE
from wbr.ingest.report import LoadReport
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, migrate
from wbr.store.raw import table_schema

HEADER = "order_id,day,customer,amount,units,region,channel,note\n"
SOURCE: dict[str, Any] = {
    "kind": "csv",
    "path": "orders.csv",
    "date_column": "day",
    "incremental": {"lookback": 3},
    "batch_rows": 20,  # the row-by-row path types columns by the first batch
}
# What the metrics below read, in the file's order: the date, a sum's column, a
# distinct count's column, a filter's column, a breakdown's column.
READ = ["day", "customer", "amount", "region", "channel"]


def line(n: int, units: str | None = None) -> str:
    day = date(2024, 1, 1) + timedelta(days=n // 3)  # in order, as an export grows
    fields = [n, day, 100 + n % 13, f"{n * 0.75:.2f}", units or n % 5]
    return ",".join(map(str, fields)) + f",r{n % 3},c{n % 2},note {n}\n"


def write_csv(folder: Path, first: int, last: int, mode: str = "w") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "orders.csv").open(mode, encoding="utf-8") as handle:
        if mode == "w":
            handle.write(HEADER)
        handle.writelines(line(n) for n in range(first, last))


def metrics(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    revenue = metric_declaration("revenue", "orders", {"type": "sum", "column": "amount"})
    revenue["dimensions"] = ["channel"]
    filtered = {
        "type": "count_distinct",
        "column": "customer",
        "filters": [{"column": "region", "op": "eq", "value": "r1"}],
    }
    return [revenue, metric_declaration("r1_customers", "orders", filtered), *extra]


UNITS = metric_declaration("units", "orders", {"type": "sum", "column": "units"})


class Project:
    """A project whose raw tables are in DuckDB, or with the app store (SQLite/PostgreSQL)."""

    def __init__(self, folder: Path, raw: str, app_url: str | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.engine = create_store_engine(app_url or f"sqlite:///{folder / 'app.db'}")
        migrate(self.engine)
        if raw == "duckdb":
            self.raw = create_store_engine(f"duckdb:///{folder / 'raw.duckdb'}")
        else:
            self.raw = self.engine
        self.declare(metrics())

    def declare(self, declared: list[dict[str, Any]], source: dict[str, Any] = SOURCE) -> None:
        self.registry = load_registry(write_project(self.folder, {"orders": source}, declared))

    def load(self, full: bool = False) -> LoadReport:
        (report,) = ingest(self.engine, self.registry, self.folder, full=full, raw_engine=self.raw)
        return report

    def columns(self) -> list[str]:
        with self.raw.connect() as connection:
            return list(table_schema(connection, "raw_orders") or {})

    def rows(self, columns: list[str]) -> list[tuple[Any, ...]]:
        names = ", ".join(columns)
        with self.raw.connect() as connection:
            found = connection.exec_driver_sql(f"SELECT {names} FROM raw_orders").all()
        return sorted(tuple(str(value) for value in row) for row in found)

    def values(self) -> dict[tuple[Any, ...], float]:
        compute(self.engine, self.registry, raw_engine=self.raw)
        with self.engine.connect() as connection:
            found = connection.exec_driver_sql(
                "SELECT metric, grain, period_end, value FROM metric_values"
            ).all()
        return {tuple(map(str, row[:3])): row[3] for row in found}

    def close(self) -> None:
        self.engine.dispose()
        if self.raw is not self.engine:
            self.raw.dispose()


@pytest.fixture(params=["duckdb", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def raw_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def opened() -> Iterator[list[Project]]:
    """Projects a test opens, closed even when it fails (a leaked PostgreSQL connection
    would fail an unrelated test when collected)."""
    projects: list[Project] = []
    yield projects
    for project in projects:
        project.close()


@pytest.fixture
def new_project(
    raw_kind: str, request: pytest.FixtureRequest, opened: list[Project]
) -> Callable[..., Project]:
    """A project on the test's store; `beside=True`: one to compare with, on SQLite (or
    DuckDB), since a test has one PostgreSQL schema."""

    def new(folder: Path, *, beside: bool = False) -> Project:
        postgres = raw_kind == "postgres" and not beside
        app_url = request.getfixturevalue("postgres_schema_url") if postgres else None
        project = Project(folder, "duckdb" if raw_kind == "duckdb" else "store", app_url)
        opened.append(project)
        return project

    return new


def test_the_raw_table_holds_what_metrics_read_and_the_same_values(
    tmp_path: Path, raw_kind: str, new_project: Callable[..., Project]
) -> None:
    kept = new_project(tmp_path / "kept")
    whole = new_project(tmp_path / "whole", beside=True)
    whole.declare(metrics(), {**SOURCE, "keep_columns": "all"})
    for project in (kept, whole):
        write_csv(project.folder, 1, 400)
        assert project.load().rows == 399
    assert kept.columns() == READ
    assert whole.columns() == HEADER.strip().split(",")
    if raw_kind == "duckdb":  # DuckDB's own reader loaded it (only that path marks a file)
        with kept.raw.connect() as connection:
            assert connection.exec_driver_sql(f"SELECT count(*) FROM {MARKS_TABLE}").scalar()
    assert kept.rows(READ) == whole.rows(READ)
    computed = kept.values()
    assert computed and computed == whole.values()


def test_a_bad_value_in_a_column_no_metric_reads_loses_no_row(
    tmp_path: Path, raw_kind: str, new_project: Callable[..., Project]
) -> None:
    project = new_project(tmp_path)
    write_csv(tmp_path, 1, 50)
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write(line(50, units="lots"))  # `units` is a whole number everywhere else
    assert project.load().rows == 50
    # Keeping every column, the same file stops at that value, as it always did.
    project.declare(metrics(), {**SOURCE, "keep_columns": "all"})
    with pytest.raises(LoadError, match=r"line 51.*'units'.*'lots'"):
        project.load(full=True)
    assert project.columns() == READ  # the failed load changed nothing


def test_a_quarantined_row_is_kept_whole(
    tmp_path: Path, raw_kind: str, new_project: Callable[..., Project]
) -> None:
    project = new_project(tmp_path)
    project.declare(metrics(), {**SOURCE, "on_error": "quarantine"})
    write_csv(tmp_path, 1, 30)
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write("30,2024-02-31,7,1.50,2,r0,c0,the bad one\n")  # no such day
    report = project.load()
    assert (report.rows, report.rows_rejected) == (29, 1)
    with project.raw.connect() as connection:
        (kept,) = connection.exec_driver_sql(
            "SELECT row_number, raw_values FROM raw_orders__rejected"
        ).all()
    assert kept[0] == 31  # its line in the file
    assert json.loads(kept[1]) == {
        "order_id": "30",
        "day": "2024-02-31",
        "customer": "7",
        "amount": "1.5",
        "units": "2",
        "region": "r0",
        "channel": "c0",
        "note": "the bad one",
    }


# Rows enough for a file over the 64 KiB a file mark checks: past that, a file that only
# grew has only its new bytes read (wbr.ingest.file_marks).
GROWN = 2000
WITHOUT_CURSOR = {key: value for key, value in SOURCE.items() if key != "incremental"}


@pytest.mark.parametrize("source", [SOURCE, WITHOUT_CURSOR], ids=["incremental", "whole"])
def test_a_metric_on_a_column_the_table_lacks_reloads_it_whole(
    tmp_path: Path, new_project: Callable[..., Project], source: dict[str, Any]
) -> None:
    project = new_project(tmp_path)
    project.declare(metrics(), source)
    write_csv(tmp_path, 1, GROWN)
    assert (tmp_path / "orders.csv").stat().st_size > 64 * 1024
    project.load()
    write_csv(tmp_path, GROWN, GROWN + 20, mode="a")  # only grew: an append, but for units
    project.declare(metrics(UNITS), source)
    with pytest.raises(ComputeError, match=r"no column\(s\) units .*run `wbr ingest`"):
        project.values()  # computed before the load that brings the column in
    report = project.load()
    assert (report.mode, report.rows_read, report.rows) == ("full", GROWN + 19, GROWN + 19)
    assert any("new column(s) units" in warning for warning in report.warnings)
    assert project.columns() == ["day", "customer", "amount", "units", "region", "channel"]
    values = project.values()
    fresh = new_project(tmp_path / "fresh", beside=True)
    fresh.declare(metrics(UNITS), source)
    write_csv(fresh.folder, 1, GROWN + 20)
    fresh.load()
    assert values == fresh.values()
    assert any(key[0] == "units" for key in values)
    # The file grows again: now only its new rows are read.
    write_csv(tmp_path, GROWN + 20, GROWN + 30, mode="a")
    report = project.load()
    assert (report.mode, report.rows_read) == ("incremental", 10)


@pytest.mark.parametrize("source", [SOURCE, WITHOUT_CURSOR], ids=["incremental", "whole"])
def test_a_metric_removed_keeps_its_column_until_a_full_reload(
    tmp_path: Path, new_project: Callable[..., Project], source: dict[str, Any]
) -> None:
    project = new_project(tmp_path)
    project.declare(metrics(UNITS), source)
    write_csv(tmp_path, 1, GROWN)
    project.load()
    project.declare(metrics(), source)
    write_csv(tmp_path, GROWN, GROWN + 20, mode="a")
    report = project.load()
    # Only the new rows are read, into the table's columns: no reload for a column
    # no longer read.
    assert (report.mode, report.rows_read) == ("incremental", 20)
    assert "units" in project.columns()
    assert len(project.rows(["units"])) == GROWN + 19
    report = project.load(full=True)
    assert project.columns() == READ
    assert any("dropped column(s) units" in warning for warning in report.warnings)


def test_a_column_metrics_read_missing_from_the_source_is_named(
    tmp_path: Path, opened: list[Project]
) -> None:
    frame = pd.DataFrame(
        {"day": pd.to_datetime(["2024-01-01", "2024-01-02"]).date, "amount": [1.5, 2.0]}
    )
    frame.to_parquet(tmp_path / "orders.parquet")
    source = {"kind": "parquet", "path": "orders.parquet", "date_column": "day"}
    project = Project(tmp_path, "duckdb")
    opened.append(project)
    project.declare(metrics(), source)  # a parquet file's columns are not checked before
    with pytest.raises(LoadError, match=r"customer, region.*metrics that read this source"):
        project.load()


def test_a_parquet_source_keeps_what_metrics_read(tmp_path: Path, opened: list[Project]) -> None:
    write_csv(tmp_path, 1, 120)
    pd.read_csv(tmp_path / "orders.csv").to_parquet(tmp_path / "orders.parquet")
    source = {"kind": "parquet", "path": "orders.parquet", "date_column": "day"}
    project = Project(tmp_path, "duckdb")
    opened.append(project)
    project.declare(metrics(), source)
    assert project.load().rows == 119
    assert project.columns() == READ


def test_columns_read_names_each_kind_of_reference(tmp_path: Path) -> None:
    source = {
        **SOURCE,
        "key": ["order_id"],
        "columns": {"note": "text"},
        "incremental": {"cursor": "order_id"},
    }
    dated = metric_declaration("late", "orders", {"type": "count"})
    dated["date_column"] = "shipped"
    registry = load_registry(write_project(tmp_path, {"orders": source}, [*metrics(), dated]))
    assert registry.columns_read("orders") == {
        "day",  # the source's date
        "order_id",  # its key and cursor
        "note",  # a declared type
        "amount",  # a sum
        "customer",  # a distinct count
        "region",  # a filter
        "channel",  # a breakdown
        "shipped",  # a metric's own date
    }
    keep_all = load_registry(
        write_project(tmp_path, {"orders": {**source, "keep_columns": "all"}}, metrics())
    )
    assert keep_all.columns_read("orders") is None
    # A source no metric reads holds its own columns; a ratio's breakdown is read where
    # its numerator is measured.
    rate = {
        **metric_declaration("rate", "orders", {"type": "ratio"}),
        "aggregation": {"type": "ratio", "numerator": "revenue", "denominator": "visits"},
        "dimensions": ["device"],
    }
    del rate["source"]
    visits = metric_declaration("visits", "sessions", {"type": "sum", "column": "visits"})
    both = load_registry(
        write_project(
            tmp_path / "both",
            {"orders": SOURCE, "sessions": SOURCE, "other": SOURCE},
            [*metrics(), visits, rate],
        )
    )
    assert both.columns_read("other") == {"day"}
    assert both.columns_read("sessions") == {"day", "visits"}
    assert both.columns_read("orders") == {*READ, "device"}
