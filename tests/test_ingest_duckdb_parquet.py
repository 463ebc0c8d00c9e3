"""DuckDB reads Parquet sources itself and stores what the row-by-row path stores (issue 12)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ingest_support import write_project

from wbr.errors import LoadError
from wbr.ingest import ingest
from wbr.ingest.report import LoadReport
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, migrate

pa = pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (wbr[parquet])")
pq = pytest.importorskip("pyarrow.parquet")

SOURCE = {"kind": "parquet", "path": "orders.parquet", "date_column": "day"}


def write_parquet(path: Path, count: int, missing_day: int | None = None) -> None:
    first = date(2024, 1, 1)
    table = pa.table(
        {
            "day": pa.array(
                [
                    None if n == missing_day else first + timedelta(days=n % 90)
                    for n in range(count)
                ],
                pa.date32(),
            ),
            "order_id": pa.array(range(count), pa.int64()),
            "units": pa.array([None if n % 11 == 0 else n % 7 for n in range(count)], pa.int32()),
            "amount": pa.array([None if n % 13 == 0 else n * 1.1 for n in range(count)]),
            "prime": pa.array([n % 3 == 0 for n in range(count)]),
            "region": pa.array([None if n % 17 == 0 else f"r{n % 4}" for n in range(count)]),
            "shipped": pa.array(
                [first + timedelta(days=n % 40) for n in range(count)], pa.date32()
            ),
        }
    )
    pq.write_table(table, path, row_group_size=500)


class Project:
    def __init__(self, folder: Path, raw: str) -> None:
        self.folder = folder
        self.registry = load_registry(write_project(folder, {"orders": SOURCE}))
        self.engine = create_store_engine(f"sqlite:///{folder / 'app.db'}")
        migrate(self.engine)
        self.raw = (
            create_store_engine(f"duckdb:///{folder / 'raw.duckdb'}")
            if raw == "duckdb"
            else self.engine
        )
        self.statements: list[str] = []
        sa.event.listen(self.raw, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.statements.append(str(args[2]))

    def load(self) -> LoadReport:
        (report,) = ingest(self.engine, self.registry, self.folder, raw_engine=self.raw)
        return report

    def rows(self) -> list[tuple[Any, ...]]:
        with self.raw.connect() as connection:
            found = connection.exec_driver_sql("SELECT * FROM raw_orders").all()
        # SQLite returns dates as text and booleans as 0/1: compare their text forms.
        plain = [
            tuple(
                str(v) if isinstance(v, date) else (int(v) if isinstance(v, bool) else v)
                for v in row
            )
            for row in found
        ]
        return sorted(plain, key=lambda row: row[1])

    def read_by_duckdb(self) -> bool:
        """Whether DuckDB wrote the rows from the file (not only looked at its columns)."""
        return any("INSERT" in text and "read_parquet" in text for text in self.statements)

    def close(self) -> None:
        self.engine.dispose()
        self.raw.dispose()


def test_duckdb_reads_parquet_itself_and_stores_what_the_row_by_row_path_stores(
    tmp_path: Path,
) -> None:
    duck, lite = Project(tmp_path / "duck", "duckdb"), Project(tmp_path / "lite", "sqlite")
    for project in (duck, lite):
        write_parquet(project.folder / "orders.parquet", 3000)
        assert project.load().rows == 3000
    assert duck.read_by_duckdb() and not lite.read_by_duckdb()
    got, expected = duck.rows(), lite.rows()
    assert len(got[0]) == 7 and got[0][4] in (0, 1)  # every column; booleans as 0/1
    assert len(got) == len(expected)
    for left, right in zip(got, expected, strict=True):
        for a, b in zip(left, right, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-15)
            else:
                assert a == b, (left, right)
    duck.close()
    lite.close()


def test_a_missing_date_is_reported_with_its_row_by_the_row_by_row_path(tmp_path: Path) -> None:
    duck = Project(tmp_path, "duckdb")
    write_parquet(tmp_path / "orders.parquet", 1000, missing_day=700)
    with pytest.raises(LoadError, match=r"orders\.parquet.*row 701.*date column 'day' is empty"):
        duck.load()
    duck.close()
