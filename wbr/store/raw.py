"""Raw tables: the user's data as connectors deliver it, one table per source.

These are the store-side steps of a load; `wbr.ingest` runs them inside one
transaction, so a failure at any row leaves the previous table exactly as it was
and a repeated load never duplicates rows (design decision 8):

- a full reload fills a staging table and swaps it in (drop, rename, index);
- an incremental load fills a temporary table, then deletes the window from the
  raw table and copies the new rows in.

Values arrive as typed pandas columns (`wbr.ingest.convert`) and are written in
bounded batches through the fastest path the database has (`dialect.bulk_insert`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Double,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.types import TypeEngine

from wbr.errors import LoadError
from wbr.registry.sources import ColumnType
from wbr.store.dialect import bulk_insert, is_duckdb, rename_table
from wbr.store.schema import RAW_TABLE_PREFIX

if TYPE_CHECKING:  # pandas only where rows are written: `wbr status` reads schemas only
    import numpy as np
    import pandas as pd

STAGING_SUFFIX = "__staging"
REJECTED_SUFFIX = "__rejected"
# The temporary table's extra column: the row's number in this load, so that a
# duplicate key found in SQL can still be reported with its file and line.
ROW_COLUMN = "_wbr_row"
# Rows per executemany/COPY call: one batch's tuples stay a few MB.
INSERT_BATCH_ROWS = 10_000
DUCKDB_BATCH_VIEW = "wbr_insert_batch"  # the name a batch's DataFrame has inside DuckDB
# DuckDB holds a transaction's inserted rows in memory until it commits (1.8 GB for a
# 20 M-row load in one transaction, 0.7 GB committing every million rows), so a long
# load commits its staging or temporary table every this many rows. Nothing readers
# see changes until the final transaction swaps the table in.
DUCKDB_ROWS_PER_COMMIT = 1_000_000

_SQL_TYPES: dict[ColumnType, type[TypeEngine[Any]]] = {
    ColumnType.TEXT: Text,
    ColumnType.INTEGER: BigInteger,
    ColumnType.FLOAT: Float,
    ColumnType.BOOLEAN: Boolean,
    ColumnType.DATE: Date,
    ColumnType.DATETIME: DateTime,
}
Schema = Mapping[str, ColumnType]


def raw_table_name(table: str) -> str:
    return f"{RAW_TABLE_PREFIX}{table}"


def rejected_table_name(table: str) -> str:
    """Where quarantined rows of `raw_<table>` go."""
    return f"{raw_table_name(table)}{REJECTED_SUFFIX}"


def table_schema(connection: Connection, name: str) -> dict[str, ColumnType] | None:
    """The column types of an existing table, or None when there is no such table."""
    inspector = inspect(connection)
    if not inspector.has_table(name):
        return None
    if is_duckdb(connection):
        # duckdb-engine's column reflection fails on SQLAlchemy 2.1 (it asks for
        # pg_catalog tables DuckDB lacks); its information_schema is standard.
        query = text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = :name ORDER BY ordinal_position"
        )
        found = connection.execute(query, {"name": name}).all()
        return {str(column): _duckdb_type(str(kind)) for column, kind in found}
    schema: dict[str, ColumnType] = {}
    for column in inspector.get_columns(name):
        kind = column["type"]
        # Order matters: DateTime before Date is not a subclass issue, but Boolean
        # and Integer must come before the catch-all text.
        if isinstance(kind, DateTime):
            schema[column["name"]] = ColumnType.DATETIME
        elif isinstance(kind, Date):
            schema[column["name"]] = ColumnType.DATE
        elif isinstance(kind, Boolean):
            schema[column["name"]] = ColumnType.BOOLEAN
        elif isinstance(kind, Integer):
            schema[column["name"]] = ColumnType.INTEGER
        elif isinstance(kind, Float) or kind._type_affinity in (Float,):
            schema[column["name"]] = ColumnType.FLOAT
        else:
            schema[column["name"]] = ColumnType.TEXT
    return schema


_DUCKDB_INTEGERS = frozenset(
    [
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    ]
)


def _duckdb_type(name: str) -> ColumnType:
    if name == "DATE":
        return ColumnType.DATE
    if name.startswith("TIMESTAMP"):
        return ColumnType.DATETIME
    if name == "BOOLEAN":
        return ColumnType.BOOLEAN
    if name in _DUCKDB_INTEGERS:
        return ColumnType.INTEGER
    if name in ("DOUBLE", "FLOAT", "REAL") or name.startswith("DECIMAL"):
        return ColumnType.FLOAT
    return ColumnType.TEXT


def check_identifier_length(bind: Engine | Connection, name: str) -> None:
    limit = bind.dialect.max_identifier_length
    if limit and len(name) > limit:
        raise LoadError(
            f"table name {name!r} is longer than {bind.dialect.name}'s limit of "
            f"{limit} characters; give the source a shorter `table:` name"
        )


def fit_identifier(bind: Engine | Connection, name: str) -> str:
    """`name`, shortened with a hash suffix when it exceeds the dialect's limit."""
    limit = bind.dialect.max_identifier_length
    if not limit or len(name) <= limit:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}_{digest}"


def _sql_type(kind: ColumnType) -> TypeEngine[Any]:
    if kind is ColumnType.FLOAT:
        # SQLAlchemy's FLOAT is a 32-bit REAL on DuckDB: cents would be lost.
        return Float().with_variant(Double(), "duckdb")
    return _SQL_TYPES[kind]()


def table_for(name: str, schema: Schema, *, row_numbers: bool = False) -> Table:
    """A Core table object for `schema`; not created."""
    columns = [Column(column, _sql_type(kind)) for column, kind in schema.items()]
    if row_numbers:
        columns.append(Column(ROW_COLUMN, BigInteger))
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"] if row_numbers else [])


def create_staging(connection: Connection, final_name: str, schema: Schema) -> Table:
    """A fresh real table beside `final_name`, to be swapped in by `swap_in`."""
    staging = table_for(final_name + STAGING_SUFFIX, schema)
    check_identifier_length(connection, staging.name)
    # Only a database without transactional DDL could have left one behind.
    staging.drop(connection, checkfirst=True)
    staging.create(connection)
    return staging


def create_temporary(connection: Connection, final_name: str, schema: Schema) -> Table:
    """A temporary table with the load's row numbers, for incremental and keyed loads."""
    temporary = table_for(
        f"wbr_load_{hashlib.sha1(final_name.encode()).hexdigest()[:12]}", schema, row_numbers=True
    )
    temporary.drop(connection, checkfirst=True)
    temporary.create(connection)
    return temporary


def insert_frame(
    connection: Connection,
    table: Table,
    frame: pd.DataFrame,
    schema: Schema,
    row_numbers: np.ndarray[Any, Any] | None = None,
) -> int:
    """Write a typed frame (see `wbr.ingest.convert`) in bounded batches."""
    if frame.empty:
        return 0
    if is_duckdb(connection):
        return _insert_frame_duckdb(connection, table, frame, schema, row_numbers)
    values = [_database_values(frame[column], kind) for column, kind in schema.items()]
    if row_numbers is not None:
        values.append(row_numbers.tolist())
    for start in range(0, len(frame), INSERT_BATCH_ROWS):
        stop = start + INSERT_BATCH_ROWS
        bulk_insert(connection, table, zip(*(column[start:stop] for column in values), strict=True))
    return len(frame)


def _insert_frame_duckdb(
    connection: Connection,
    table: Table,
    frame: pd.DataFrame,
    schema: Schema,
    row_numbers: np.ndarray[Any, Any] | None,
) -> int:
    """DuckDB reads the pandas columns themselves: no Python objects per value."""
    import pandas as pd

    batch = pd.DataFrame({column: frame[column] for column in schema})
    if row_numbers is not None:
        batch[ROW_COLUMN] = row_numbers
    quote = connection.dialect.identifier_preparer.quote
    columns = [quote(str(column)) for column in batch.columns]
    insert_registered(connection, table, batch, dict(zip(columns, columns, strict=True)))
    return len(frame)


def insert_registered(
    connection: Connection, table: Table, data: Any, values: dict[str, str]
) -> None:
    """DuckDB reads `data` (a pandas frame, or a dict of numpy arrays) itself, as the
    view DUCKDB_BATCH_VIEW: `values` maps each quoted column of `table` to the SQL
    expression over the view's columns that fills it."""
    duck = connection.connection.dbapi_connection
    assert duck is not None
    quote = connection.dialect.identifier_preparer.quote
    duck.register(DUCKDB_BATCH_VIEW, data)
    try:
        connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({', '.join(values)}) "
            f"SELECT {', '.join(values.values())} FROM {DUCKDB_BATCH_VIEW}"
        )
    finally:
        duck.unregister(DUCKDB_BATCH_VIEW)


def commits_in_chunks(bind: Engine | Connection) -> bool:
    """Whether a load on this store commits its side table as it goes (DuckDB)."""
    return is_duckdb(bind)


def commit_chunk(connection: Connection) -> None:
    """Commit what a load wrote to its staging or temporary table, and go on.

    Only a table no reader looks at has changed; the swap, or the window's delete and
    insert, still happen in the load's last transaction. SQLAlchemy's own transaction
    stays open around it: the driver commits and begins underneath.
    """
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.commit()
    driver.begin()


def drop_leftover_staging(engine: Engine, final_name: str) -> None:
    """After a failed load that committed chunks: drop its staging table."""
    staging = final_name + STAGING_SUFFIX
    with engine.begin() as connection:
        if inspect(connection).has_table(staging):
            Table(staging, MetaData()).drop(connection)


def _database_values(series: pd.Series[Any], kind: ColumnType) -> list[Any]:
    """One column as plain Python values the drivers take; missing values are None."""
    import numpy as np

    missing = series.isna().to_numpy()
    if kind is ColumnType.DATE or kind is ColumnType.DATETIME:
        # ISO text: SQLite stores dates as text in exactly this form (SQLAlchemy's
        # own format, with a space before the time), PostgreSQL's COPY parses it.
        if kind is ColumnType.DATE:
            iso = np.datetime_as_string(series.to_numpy(dtype="datetime64[D]"), unit="D")
        else:
            iso = np.datetime_as_string(series.to_numpy(dtype="datetime64[us]"), unit="us")
        text = np.char.replace(iso, "T", " ")
        out: np.ndarray[Any, Any] = text.astype(object)
    elif kind is ColumnType.TEXT:
        out = series.to_numpy(dtype=object)
    elif kind is ColumnType.INTEGER:
        out = series.to_numpy(dtype=object) if missing.any() else series.to_numpy()
    else:
        out = series.to_numpy(dtype=object)
    if missing.any():
        out = out.astype(object)
        out[missing] = None
    return list(out.tolist())


def swap_in(
    connection: Connection,
    staging: Table,
    final_name: str,
    date_column: str,
    key: Sequence[str] = (),
) -> None:
    """Replace `final_name` with the staging table, and index it."""
    if inspect(connection).has_table(final_name):
        Table(final_name, MetaData()).drop(connection)
    rename_table(connection, staging.name, final_name)
    # Indexed after the bulk insert (faster) and after the swap, because index
    # names are per schema and the old table's index is gone only now. DuckDB
    # needs no date index: its per-block min/max skip what a date range excludes.
    if not is_duckdb(connection):
        _index(connection, final_name, [date_column], f"ix_{final_name}_date", unique=False)
    if key:
        _index(connection, final_name, list(key), f"ux_{final_name}_key", unique=True)


def _index(
    connection: Connection, table: str, columns: list[str], name: str, *, unique: bool
) -> None:
    target = Table(table, MetaData(), *(Column(column) for column in columns))
    Index(fit_identifier(connection, name), *target.columns, unique=unique).create(connection)


def copy_rows(connection: Connection, source: Table, final_name: str, schema: Schema) -> None:
    """INSERT INTO final SELECT the schema's columns FROM source (inside the database)."""
    target = table_for(final_name, schema)
    names = list(schema)
    connection.execute(
        insert(target).from_select(names, select(*(source.c[name] for name in names)))
    )


def delete_window(
    connection: Connection, final_name: str, schema: Schema, cursor: str, cutoff: object
) -> int:
    """Delete the rows whose `cursor` is at or past `cutoff`; return how many."""
    final = table_for(final_name, schema)
    result = connection.execute(delete(final).where(final.c[cursor] >= cutoff))
    return max(result.rowcount, 0)


def max_value(connection: Connection, final_name: str, schema: Schema, column: str) -> Any:
    table = table_for(final_name, schema)
    return connection.execute(select(func.max(table.c[column]))).scalar()


def rejects_table(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("load_run_id", Integer, nullable=False),
        Column("source", Text, nullable=False),
        Column("origin", Text),
        Column("row_number", BigInteger),
        Column("column_name", Text),
        Column("reason", Text, nullable=False),
        Column("value", Text),
        Column("raw_values", Text, nullable=False),  # the whole row as JSON text
    )


def write_rejects(connection: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    """Append quarantined rows to `raw_<table>__rejected`, creating it when needed."""
    if not rows:
        return
    check_identifier_length(connection, name)
    table = rejects_table(name)
    table.create(connection, checkfirst=True)
    for row in rows:
        row["raw_values"] = json.dumps(row["raw_values"], default=str, ensure_ascii=False)
    connection.execute(insert(table), rows)


def replace_raw_table(
    engine: Engine, table: str, frames: Iterable[pd.DataFrame], date_column: str
) -> int:
    """Replace `raw_<table>` with the rows of `frames`; return the row count.

    For callers that already hold DataFrames (tests, generated data): column types
    come from the first frame, later frames are converted to them, and any value
    that does not fit stops the load with a `LoadError` naming it.
    """
    from wbr.ingest.frames import load_frames  # the ingest layer does the typing

    return load_frames(engine, table, frames, date_column)
