"""DuckDB reads a Parquet source itself, as it reads CSV files (`wbr.ingest.duckdb_csv`).

Parquet columns carry their types, so most need no check: the raw table's types
are inferred from the first batch exactly as the row-by-row path infers them
(pyarrow → pandas), and each column is converted in SQL only when its Parquet type
converts to that kind the same way (integers, floats, booleans, strings, dates). A
file with any other column type (timestamps, decimals, lists) is read row by row as
before, and so is a file with a value that does not fit (a missing date), which that
path reports with its row number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from connectors.files import resolve_files
from connectors.parquet_file import ParquetConnector
from wbr.ingest import duckdb_writes as writes
from wbr.ingest import file_marks, store_steps
from wbr.ingest.plan import Plan
from wbr.ingest.report import INCREMENTAL
from wbr.registry.sources import ColumnType, ParquetSource, SourceBase
from wbr.store.dialect import is_duckdb

# DuckDB's names of the Parquet integer types that fit a BIGINT.
WHOLE_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
)
FRACTION_TYPES = frozenset({"FLOAT", "DOUBLE"})
EXACT_WHOLE_LIMIT = 2**53  # as duckdb_csv: a float64 holds whole numbers exactly below it


def eligible(connection: Connection, source: SourceBase) -> bool:
    return (
        is_duckdb(connection)
        and isinstance(source, ParquetSource)
        and not source.key  # duplicate keys are reported with their rows: row by row
        and source.date_format in (None, "%Y-%m-%d")
    )


def load(
    connection: Connection,
    name: str,
    source: SourceBase,
    base_dir: Path,
    plan: Plan,
) -> dict[str, Any] | None:
    """Load the source through DuckDB's Parquet reader; None when the other path must."""
    if not eligible(connection, source):
        return None
    assert isinstance(source, ParquetSource)
    files = resolve_files(source.path, base_dir, name)
    if len(files) != 1:
        return None
    path = files[0]
    reader = f"read_parquet({writes.sql_text(str(path))})"
    try:
        described = connection.exec_driver_sql(f"DESCRIBE SELECT * FROM {reader}").all()
    except DBAPIError:
        writes.start_again(connection)  # not Parquet as DuckDB reads it: the other path says
        return None
    types = {str(row[0]): str(row[1]) for row in described}
    where = f"source {name!r}, file {str(path)!r}"
    store_steps.check_columns(where, list(types), source, plan)
    kept = plan.kept(list(types))
    if plan.existing is not None and plan.mode == INCREMENTAL:
        store_steps.check_same_schema(where, name, plan.existing, kept, source)
        schema = dict(plan.existing)
    else:
        connector = ParquetConnector(name, source, base_dir)
        schema = writes.first_batch_schema(connector, source, kept)
    columns = _columns(connection, schema, types, source)
    if columns is None:
        return None
    checked = writes.Checked.over(connection, columns)
    outcome = writes.write(connection, plan, source, schema, checked, reader)
    if outcome is not None:
        file_marks.write_mark(connection, name, None)  # marks are for appended CSV files
    return outcome


def _columns(
    connection: Connection,
    schema: dict[str, ColumnType],
    types: dict[str, str],
    source: SourceBase,
) -> list[writes.CheckedColumn] | None:
    """Each column's check and value; None when a type would convert differently."""
    quote = connection.dialect.identifier_preparer.quote
    columns = []
    for name, kind in schema.items():
        found = _column(quote(name), kind, types[name], is_date=name == source.date_column)
        if found is None:
            return None
        columns.append(writes.CheckedColumn(name, *found))
    return columns


def _column(text: str, kind: ColumnType, stored: str, *, is_date: bool) -> tuple[str, str] | None:
    if kind is ColumnType.INTEGER and stored in WHOLE_TYPES:
        return "TRUE", f"CAST({text} AS BIGINT)"
    if kind is ColumnType.INTEGER and stored in FRACTION_TYPES:  # 2.5 must misfit
        whole = (
            f"({text} IS NULL OR ({text} = trunc({text}) AND abs({text}) < {EXACT_WHOLE_LIMIT}))"
        )
        return whole, f"CAST({text} AS BIGINT)"
    if kind is ColumnType.FLOAT and stored in WHOLE_TYPES | FRACTION_TYPES:
        return "TRUE", f"CAST({text} AS DOUBLE)"
    if kind is ColumnType.BOOLEAN and stored == "BOOLEAN":
        return "TRUE", text
    if kind is ColumnType.TEXT and stored == "VARCHAR":
        return "TRUE", text
    if kind is ColumnType.DATE and stored == "DATE":
        return (f"{text} IS NOT NULL" if is_date else "TRUE"), text
    if kind is ColumnType.DATE and stored == "VARCHAR":
        iso = (
            f"(length({text}) = 10 AND substr({text}, 5, 1) = '-' AND substr({text}, 8, 1) = '-'"
            f" AND TRY_CAST({text} AS DATE) IS NOT NULL)"
        )
        return (iso if is_date else f"({text} IS NULL OR {iso})"), f"CAST({text} AS DATE)"
    return None


__all__ = ["eligible", "load"]
