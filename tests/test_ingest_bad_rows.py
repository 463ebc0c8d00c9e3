"""Bad input stops a load or is quarantined, and the report names source, row and value."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ingest_support import project, rows, runs
from sqlalchemy import Engine, inspect

from wbr.errors import LoadError
from wbr.ingest import ingest

# Line 3 has a word for a number, line 4 a month 13, line 6 an empty date.
MESSY = """\
day,order_id,amount
2024-01-01,1,10.0
2024-01-02,2,ten
2024-13-02,3,30.0
2024-01-03,4,40.0
,5,50.0
2024-01-04,6,60.0
"""


def _source(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "csv",
        "path": "orders.csv",
        "date_column": "day",
        "columns": {"amount": "float", "order_id": "integer"},
        **extra,
    }


def test_stop_names_the_source_the_line_and_the_value(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(MESSY)
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, project(tmp_path, orders=_source()), tmp_path)
    message = str(raised.value)
    assert message.startswith("source 'orders', file ")
    assert "orders.csv', line 3: column 'amount': value 'ten' is not a number" in message
    assert "on_error: quarantine" in message
    assert "raw_orders" not in inspect(store_engine).get_table_names()
    assert runs(store_engine)[-1]["status"] == "failed"


@pytest.mark.parametrize("batch_rows", [50_000, 2], ids=["one-batch", "many-batches"])
def test_quarantine_sets_bad_rows_aside_with_line_reason_and_values(
    store_engine: Engine, tmp_path: Path, batch_rows: int
) -> None:
    (tmp_path / "orders.csv").write_text(MESSY)
    source = _source(on_error="quarantine", batch_rows=batch_rows)
    (report,) = ingest(store_engine, project(tmp_path, orders=source), tmp_path)
    assert (report.rows, report.rows_read, report.rows_rejected) == (3, 6, 3)
    assert rows(store_engine, "raw_orders") == [
        (date(2024, 1, 1), 1, 10.0),
        (date(2024, 1, 3), 4, 40.0),
        (date(2024, 1, 4), 6, 60.0),
    ]
    rejected = rows(store_engine, "raw_orders__rejected")
    found = {row[3]: row for row in rejected}  # by row_number
    assert sorted(found) == [3, 4, 6]
    run_id = runs(store_engine)[-1]["id"]
    _, source_name, origin, _, column, reason, value, raw_values = found[3]
    assert (source_name, column, reason, value) == ("orders", "amount", "is not a number", "ten")
    assert "orders.csv" in origin
    assert json.loads(raw_values) == {"day": "2024-01-02", "order_id": "2", "amount": "ten"}
    assert found[4][5] == "is not a date in the format 'ISO8601'"
    assert found[6][4:7] == ("day", "date column 'day' is empty", None)
    assert {row[0] for row in rejected} == {run_id}
    assert runs(store_engine)[-1]["rows_rejected"] == 3


def test_too_many_rejects_stop_the_load(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(MESSY)
    source = _source(on_error="quarantine", max_rejected=2)
    with pytest.raises(LoadError, match=r"more than 2 rows rejected"):
        ingest(store_engine, project(tmp_path, orders=source), tmp_path)
    assert "raw_orders__rejected" not in inspect(store_engine).get_table_names()


DUPLICATES = """\
day,order_id,amount
2024-01-01,1,10.0
2024-01-01,2,20.0
2024-01-02,1,11.0
2024-01-02,3,30.0
"""


@pytest.mark.parametrize("batch_rows", [50_000, 1], ids=["one-batch", "row-by-row"])
def test_duplicate_keys_stop_with_both_lines(
    store_engine: Engine, tmp_path: Path, batch_rows: int
) -> None:
    (tmp_path / "orders.csv").write_text(DUPLICATES)
    source = _source(key=["order_id"], batch_rows=batch_rows)
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, project(tmp_path, orders=source), tmp_path)
    assert "line 2: duplicate key order_id=1" in str(raised.value)


def test_duplicate_keys_are_quarantined_and_the_key_is_unique(
    store_engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "orders.csv").write_text(DUPLICATES)
    source = _source(key=["order_id"], on_error="quarantine")
    (report,) = ingest(store_engine, project(tmp_path, orders=source), tmp_path)
    assert report.rows_rejected == 2
    assert rows(store_engine, "raw_orders") == [
        (date(2024, 1, 1), 2, 20.0),
        (date(2024, 1, 2), 3, 30.0),
    ]
    rejected = rows(store_engine, "raw_orders__rejected")
    assert sorted(row[3] for row in rejected) == [2, 4]
    assert json.loads(rejected[0][7])["order_id"] == "1"
    unique = [ix for ix in inspect(store_engine).get_indexes("raw_orders") if ix["unique"]]
    assert [ix["column_names"] for ix in unique] == [["order_id"]]


def test_a_key_loaded_before_the_window_is_a_duplicate(
    store_engine: Engine, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("day,order_id,amount\n2024-01-01,1,10.0\n2024-01-05,2,20.0\n")
    source = _source(key=["order_id"], incremental={"lookback": 0})
    registry = project(tmp_path, orders=source)
    ingest(store_engine, registry, tmp_path)
    orders.write_text("day,order_id,amount\n2024-01-05,2,20.0\n2024-01-06,1,12.0\n")
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert "line 3: duplicate key order_id=1: already loaded with day before 2024-01-05" in str(
        raised.value
    )
    assert len(rows(store_engine, "raw_orders")) == 2


def test_missing_declared_column(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("day,order_id\n2024-01-01,1\n")
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, project(tmp_path, orders=_source()), tmp_path)
    assert "column(s) amount named in `columns:` are missing from the source" in str(raised.value)
    assert "the columns are: day, order_id" in str(raised.value)


def test_declared_text_keeps_leading_zeros(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("day,customer\n2024-01-01,00042\n")
    source = {
        "kind": "csv",
        "path": "orders.csv",
        "date_column": "day",
        "columns": {"customer": "text"},
    }
    ingest(store_engine, project(tmp_path, orders=source), tmp_path)
    assert rows(store_engine, "raw_orders") == [(date(2024, 1, 1), "00042")]
