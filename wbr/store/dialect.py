"""The few places where SQLite, DuckDB, PostgreSQL and Spark need different SQL.

Keep this module tiny: everything else in the store is dialect-neutral Core.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, insert, text

T = TypeVar("T")


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def is_postgresql(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


def is_duckdb(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "duckdb"


def quote_identifier(bind: Engine | Connection, name: str) -> str:
    return bind.dialect.identifier_preparer.quote(name)


def rename_table(connection: Connection, old: str, new: str) -> None:
    """Rename a table inside the caller's transaction.

    SQLAlchemy Core has no rename construct; `ALTER TABLE ... RENAME TO` is
    understood by SQLite, PostgreSQL and MySQL alike, and is transactional on the
    first two, which is what lets a reload swap tables atomically.
    """
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}"))


def lock_table_loads(connection: Connection, table: str) -> None:
    """Serialise loads of one raw table until the caller's transaction ends.

    PostgreSQL would otherwise let two loads build the same staging table at
    once; SQLite already allows one writer at a time.
    """
    if is_postgresql(connection):
        key = zlib.crc32(f"wbr-load:{table}".encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def bulk_insert(connection: Connection, table: Table, rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (tuples in the table's column order) the fastest way the database has.

    Values must already be in the database's own form (dates as ISO text, no
    numpy scalars). SQLite: the DBAPI's executemany with tuples, no per-row
    dictionaries. PostgreSQL (psycopg 3): COPY. Others: Core's executemany.
    """
    names = [column.name for column in table.columns]
    quote = connection.dialect.identifier_preparer.quote
    target = quote(table.name)
    columns = ", ".join(quote(name) for name in names)
    dbapi_connection = connection.connection.dbapi_connection
    if is_sqlite(connection) and dbapi_connection is not None:
        marks = ", ".join("?" for _ in names)
        cursor = dbapi_connection.cursor()
        try:
            cursor.executemany(f"INSERT INTO {target} ({columns}) VALUES ({marks})", list(rows))
        finally:
            cursor.close()
    elif is_postgresql(connection) and connection.dialect.driver == "psycopg":
        with (
            dbapi_connection.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        batch = [dict(zip(names, row, strict=True)) for row in rows]
        if batch:
            connection.execute(insert(table), batch)


# Values bound in one IN list: well under every database's limit on parameters per
# statement (SQLite's was 999 before 3.32).
VALUES_PER_IN_LIST = 500


def in_lists(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices short enough to bind as one IN list each."""
    for start in range(0, len(values), VALUES_PER_IN_LIST):
        yield values[start : start + VALUES_PER_IN_LIST]


def is_spark(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "spark"


def create_range_days(
    connection: Connection, table: Table, ranges: Sequence[tuple[date, date]]
) -> None:
    """Spark: `table` (range id, day) as a temporary view, one VALUES row per range.

    Spark SQL has no temporary tables to insert into, and each INSERT would be a
    job; `sequence()` expands each range to its days inside Spark instead. The
    values are dates and indexes we made, never user text.
    """
    rid, day = (quote_identifier(connection, column.name) for column in table.columns)
    rows = ", ".join(
        f"({index}, DATE '{start.isoformat()}', DATE '{end.isoformat()}')"
        for index, (start, end) in enumerate(ranges)
    )
    connection.exec_driver_sql(
        f"CREATE OR REPLACE TEMPORARY VIEW {quote_identifier(connection, table.name)} AS "
        f"SELECT wbr_r AS {rid}, explode(sequence(wbr_s, wbr_e)) AS {day} "
        f"FROM VALUES {rows} AS wbr_ranges(wbr_r, wbr_s, wbr_e)"
    )


def drop_range_days(connection: Connection, table: Table) -> None:
    connection.exec_driver_sql(f"DROP VIEW IF EXISTS {quote_identifier(connection, table.name)}")
