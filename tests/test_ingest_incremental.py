"""Incremental loads: the window from the watermark minus the lookback is replaced atomically."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ingest_support import project, rows, runs
from sqlalchemy import Engine, inspect

from wbr.errors import LoadError
from wbr.ingest import ingest

HEADER = "day,order_id,amount\n"


def _csv(path: Path, lines: list[str]) -> None:
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines))


def _source(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "csv",
        "path": "orders.csv",
        "date_column": "day",
        "incremental": {"lookback": 1},
        **extra,
    }


JAN = ["2024-01-01,1,10.0", "2024-01-02,2,20.0", "2024-01-03,3,30.0"]


def test_incremental_replaces_the_window_and_keeps_older_rows(
    store_engine: Engine, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    _csv(orders, JAN)
    registry = project(tmp_path, orders=_source())
    (first,) = ingest(store_engine, registry, tmp_path)
    assert (first.mode, first.rows, first.watermark) == ("full", 3, "2024-01-03")

    # The source drops Jan 1 (outside the window: kept), restates Jan 2 and 3
    # (inside: replaced) and adds Jan 4.
    _csv(orders, ["2024-01-02,2,25.0", "2024-01-03,3,35.0", "2024-01-04,4,40.0"])
    (second,) = ingest(store_engine, registry, tmp_path)
    assert second.mode == "incremental"
    assert second.window_start == "2024-01-02"  # watermark Jan 3 minus 1 day
    assert (second.rows, second.rows_read, second.watermark) == (3, 3, "2024-01-04")
    assert rows(store_engine, "raw_orders") == [
        (date(2024, 1, 1), 1, 10.0),
        (date(2024, 1, 2), 2, 25.0),
        (date(2024, 1, 3), 3, 35.0),
        (date(2024, 1, 4), 4, 40.0),
    ]
    recorded = runs(store_engine)[-1]
    assert recorded["mode"] == "incremental"
    assert (recorded["window_start"], recorded["watermark"]) == ("2024-01-02", "2024-01-04")
    assert (recorded["rows_read"], recorded["rows_loaded"], recorded["rows_rejected"]) == (3, 3, 0)


def test_loading_twice_adds_no_duplicates(store_engine: Engine, tmp_path: Path) -> None:
    _csv(tmp_path / "orders.csv", JAN)
    registry = project(tmp_path, orders=_source())
    for _ in range(3):
        ingest(store_engine, registry, tmp_path)
    assert rows(store_engine, "raw_orders") == [
        (date(2024, 1, 1), 1, 10.0),
        (date(2024, 1, 2), 2, 20.0),
        (date(2024, 1, 3), 3, 30.0),
    ]
    assert [run["mode"] for run in runs(store_engine)] == ["full", "incremental", "incremental"]


def test_rows_before_the_window_are_not_loaded_again(store_engine: Engine, tmp_path: Path) -> None:
    """A source that returns everything (a file) must not duplicate the old rows."""
    orders = tmp_path / "orders.csv"
    _csv(orders, JAN)
    registry = project(tmp_path, orders=_source(incremental={"lookback": 0}))
    ingest(store_engine, registry, tmp_path)
    _csv(orders, [*JAN, "2024-01-05,5,50.0"])
    (report,) = ingest(store_engine, registry, tmp_path)
    assert (report.rows_read, report.rows) == (4, 2)  # Jan 3 (the window) and Jan 5
    assert len(rows(store_engine, "raw_orders")) == 4


def test_id_cursor(store_engine: Engine, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    _csv(orders, JAN)
    registry = project(tmp_path, orders=_source(incremental={"cursor": "order_id", "lookback": 1}))
    ingest(store_engine, registry, tmp_path)
    _csv(orders, ["2024-01-09,2,99.0", "2024-01-03,3,30.0", "2024-01-04,4,40.0"])
    (report,) = ingest(store_engine, registry, tmp_path)
    assert (report.window_start, report.watermark) == ("2", "4")
    assert rows(store_engine, "raw_orders") == [
        (date(2024, 1, 1), 1, 10.0),
        (date(2024, 1, 3), 3, 30.0),
        (date(2024, 1, 4), 4, 40.0),
        (date(2024, 1, 9), 2, 99.0),
    ]


def test_full_flag_reloads_everything(store_engine: Engine, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    _csv(orders, JAN)
    registry = project(tmp_path, orders=_source())
    ingest(store_engine, registry, tmp_path)
    _csv(orders, ["2024-01-03,3,30.0"])
    (report,) = ingest(store_engine, registry, tmp_path, full=True)
    assert report.mode == "full"
    assert rows(store_engine, "raw_orders") == [(date(2024, 1, 3), 3, 30.0)]


def test_an_empty_window_keeps_the_loaded_rows(store_engine: Engine, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    _csv(orders, JAN)
    registry = project(tmp_path, orders=_source())
    ingest(store_engine, registry, tmp_path)
    _csv(orders, ["2023-12-01,0,1.0"])  # nothing in the window: an outage, not a restatement
    (report,) = ingest(store_engine, registry, tmp_path)
    assert report.rows == 0
    assert "kept the rows already loaded" in report.warnings[0]
    assert len(rows(store_engine, "raw_orders")) == 3


def test_schema_drift_stops_an_incremental_load(store_engine: Engine, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    _csv(orders, JAN)
    registry = project(tmp_path, orders=_source())
    ingest(store_engine, registry, tmp_path)
    orders.write_text("day,order_id,amount,coupon\n2024-01-04,4,40.0,XMAS\n")
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert "new column(s): coupon" in str(raised.value)
    assert "wbr ingest --full orders" in str(raised.value)
    assert len(rows(store_engine, "raw_orders")) == 3

    orders.write_text("day,order_id\n2024-01-04,4\n")
    with pytest.raises(LoadError, match=r"dropped column\(s\): amount"):
        ingest(store_engine, registry, tmp_path)

    # A full reload takes the new shape, and says so.
    orders.write_text("day,order_id,amount,coupon\n2024-01-04,4,40.0,XMAS\n")
    (report,) = ingest(store_engine, registry, tmp_path, full=True)
    assert report.warnings == ("raw_orders: new column(s) coupon",)
    assert runs(store_engine)[-1]["warnings"] == "raw_orders: new column(s) coupon"
    columns = [column["name"] for column in inspect(store_engine).get_columns("raw_orders")]
    assert columns == ["day", "order_id", "amount", "coupon"]


def test_new_files_of_a_glob_are_picked_up(store_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _csv(folder / "2024-01-01.csv", JAN[:1])
    registry = project(tmp_path, orders=_source(path="exports/*.csv"))
    ingest(store_engine, registry, tmp_path)
    _csv(folder / "2024-01-02.csv", JAN[1:])
    (report,) = ingest(store_engine, registry, tmp_path)
    assert report.watermark == "2024-01-03"
    assert len(rows(store_engine, "raw_orders")) == 3
