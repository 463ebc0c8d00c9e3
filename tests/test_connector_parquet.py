"""The Parquet connector: files and globs, batches, incremental windows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from ingest_support import project, rows
from sqlalchemy import Engine

from wbr.errors import LoadError
from wbr.ingest import ingest

pytest.importorskip("pyarrow", reason="the Parquet connector needs pyarrow (wbr[parquet])")


def _write(path: Path, days: list[str], ids: list[int], row_group_size: int = 2) -> None:
    frame = pd.DataFrame(
        {
            "day": pd.to_datetime(days),
            "order_id": ids,
            "amount": [float(i) * 10 for i in ids],
            "region": ["east" if i % 2 else "west" for i in ids],
        }
    )
    frame.to_parquet(path, row_group_size=row_group_size, index=False)


def test_files_load_and_new_files_are_picked_up(store_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _write(folder / "a.parquet", ["2024-01-01", "2024-01-02", "2024-01-03"], [1, 2, 3])
    source = {
        "kind": "parquet",
        "path": "exports/*.parquet",
        "date_column": "day",
        "batch_rows": 2,
        "incremental": {"lookback": 0},
    }
    registry = project(tmp_path, orders=source)
    (first,) = ingest(store_engine, registry, tmp_path)
    assert first.rows == 3
    assert rows(store_engine, "raw_orders")[0] == (date(2024, 1, 1), 1, 10.0, "east")

    _write(folder / "b.parquet", ["2024-01-03", "2024-01-04"], [3, 4])
    (second,) = ingest(store_engine, registry, tmp_path)
    assert (second.mode, second.rows) == ("incremental", 3)  # Jan 3 from both files, Jan 4
    ingest(store_engine, registry, tmp_path)
    assert [row[1] for row in rows(store_engine, "raw_orders")] == [1, 2, 3, 3, 4]


def test_row_groups_before_the_window_are_skipped(store_engine: Engine, tmp_path: Path) -> None:
    days = [f"2024-01-{day:02d}" for day in range(1, 11)]
    _write(tmp_path / "orders.parquet", days, list(range(1, 11)))
    source = {
        "kind": "parquet",
        "path": "orders.parquet",
        "date_column": "day",
        "incremental": {"lookback": 1},
    }
    registry = project(tmp_path, orders=source)
    ingest(store_engine, registry, tmp_path)
    (report,) = ingest(store_engine, registry, tmp_path)
    # Window from Jan 9: only the last row group (Jan 9-10) is read.
    assert (report.rows_read, report.rows) == (2, 2)
    assert len(rows(store_engine, "raw_orders")) == 10


def test_not_parquet_is_a_clear_error(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.parquet").write_text("day,amount\n2024-01-01,1\n")
    source = {"kind": "parquet", "path": "orders.parquet", "date_column": "day"}
    with pytest.raises(LoadError, match=r"orders.parquet'.*not a readable Parquet file"):
        ingest(store_engine, project(tmp_path, orders=source), tmp_path)
