"""Writing typed rows that DuckDB reads from a file: what the CSV and Parquet paths share.

A reader (a `read_csv(…)` or `read_parquet(…)` call) and a checked select list (each
column's typed value, or `error()` when a value might come out differently from the
row-by-row path) are turned into a full reload (a staging table swapped in), an
incremental window, or an append, with the outcome `SourceLoad.finish` would record.
Any failed statement leaves the caller to `start_again` and take the row-by-row path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from connectors.base import Batch, Connector
from wbr.ingest import store_steps
from wbr.ingest.plan import Plan
from wbr.ingest.report import FULL, INCREMENTAL
from wbr.registry.sources import ColumnType, SourceBase
from wbr.store import raw


def sql_list(texts: tuple[str, ...]) -> str:
    return "(" + ", ".join(sql_text(text) for text in texts) + ")"


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_reader(path: Path, columns: dict[str, str], delimiter: str, options: str) -> str:
    """DuckDB's CSV reader over `path` with its header line skipped: `columns` maps
    each of the file's columns, in order, to the type it is read as; `options` are
    more of read_csv's (what is missing, padding)."""
    spec = ", ".join(f"{sql_text(name)}: '{kind}'" for name, kind in columns.items())
    return (
        f"read_csv({sql_text(str(path))}, header = true, auto_detect = false, "
        f"columns = {{{spec}}}, delim = {sql_text(delimiter)}, quote = '\"', "
        f"escape = '\"', {options})"
    )


MISFIT = "\x00misfit\x00"  # in a column's value: where the value misfits (see `Checked`)
VALUE = "wbr_value"  # the one value a shared check is written over (see `CheckedColumn`)


@dataclass(frozen=True, slots=True)
class CheckedColumn:
    """One column of what a read's rows become: its check and its typed value.

    `fits` is SQL over the column, TRUE where its value may be stored; "TRUE" when
    `value` itself names `MISFIT` where the value misfits (one parse instead of a
    check and a parse). `shared` is the same check over a value named `VALUE` alone,
    for every column that has the same one; None keeps the check in the column's own
    expression. A shared check must hold for NULL (UNPIVOT leaves NULLs out).
    """

    name: str
    fits: str
    value: str
    shared: str | None = None


@dataclass(frozen=True)
class Checked:
    """A read's select list, each value checked, in one of two forms.

    In one statement (`select`), each column's check is its own expression: one pass
    over the rows, which is what a large file needs. DuckDB plans such a statement
    slowly when it is wide: 0.1 s for 300 number columns, whatever the rows, which was
    most of an imported deck's weekly append of 7 rows. So a small read is stored as
    read first, the columns with the same check are checked together in one
    expression over all their values (`shared_checks`, an UNPIVOT: 0.01 s), and
    `typed_select` converts them with no check of their own.
    """

    columns: tuple[CheckedColumn, ...]
    quote: Callable[[str], str]

    @classmethod
    def over(cls, connection: Connection, columns: list[CheckedColumn]) -> Checked:
        return cls(tuple(columns), connection.dialect.identifier_preparer.quote)

    def shares_checks(self) -> bool:
        """Whether the read is checked apart from its typed select: see the class."""
        shared = sum(column.shared is not None for column in self.columns)
        return shared > SHARED_CHECK_COLUMNS

    def select(self) -> str:
        """Every column checked in its own expression."""
        return ", ".join(self._typed(column, checked=True) for column in self.columns)

    def typed_select(self) -> str:
        """The columns with a shared check typed without one (it was checked before)."""
        return ", ".join(
            self._typed(column, checked=column.shared is None) for column in self.columns
        )

    def shared_checks(self) -> dict[str, list[str]]:
        """Each shared check and the columns it is for."""
        found: dict[str, list[str]] = {}
        for column in self.columns:
            if column.shared is not None:
                found.setdefault(column.shared, []).append(column.name)
        return found

    def _typed(self, column: CheckedColumn, *, checked: bool) -> str:
        text = self.quote(column.name)
        if not checked:
            return f"{column.value} AS {text}"
        # The error names the value: it stops the statement, and the load takes the
        # row-by-row path, which reports the row with its place in the file.
        misfit = _misfit(sql_text(column.name), f"{text}::VARCHAR")
        if column.fits == "TRUE":
            return f"{column.value.replace(MISFIT, misfit)} AS {text}"
        return f"CASE WHEN {column.fits} THEN {column.value} ELSE {misfit} END AS {text}"


def _misfit(name: str, value: str) -> str:
    return f"error(concat('wbr: misfit ', {name}, ' ', {value}))"


def first_batch_schema(
    connector: Connector, source: SourceBase, kept: list[str]
) -> dict[str, ColumnType]:
    """The `kept` columns' types, inferred from the connector's first batch exactly as
    the row-by-row path infers a new table's types."""
    from wbr.ingest.convert import infer_schema  # pandas, only when it must look

    extract = connector.extract()  # a generator: closed at once, after its first batch
    try:
        item = next(iter(extract))
        first = (item.frame if isinstance(item, Batch) else item).rename(columns=str)
    finally:
        close = getattr(extract, "close", None)
        if close is not None:
            close()
    return infer_schema(first[kept], source.columns, source.date_column)


def start_again(connection: Connection) -> None:
    """After a failed statement: DuckDB ended the transaction, which had changed nothing
    yet (the failing statement is the first write); begin a fresh one underneath."""
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.rollback()
    driver.begin()


_ROWS = "wbr_read_rows"  # a temporary table of the rows read, for appends and windows
_AS_READ = "wbr_rows_as_read"  # the rows as read, before their shared checks (`Checked`)
# A read with at most this many columns of shared checks is checked in one statement:
# below it, planning their own expressions costs less than storing the rows twice.
SHARED_CHECK_COLUMNS = 16

# A full load lets DuckDB store the rows in the order its threads read them. Keeping the
# file's order leaves every reading thread's last row group part-filled (19 of 57 at
# 5 M rows): the load's checkpoint then compresses more groups (2.1 s against 0.04 s),
# and the first checkpoint after any later write, the weekly refresh's, merges them,
# rewriting most of the table (1.0-1.4 s for 38,000 appended rows). Nothing reads raw
# rows in their stored order: every aggregation is by day, and keyed loads, whose
# duplicates are reported by line, take the row-by-row path. The setting is the
# database's, not the statement's, so it is set back as soon as the statement ends.
_INSERTION_ORDER = "preserve_insertion_order"


def _outcome(
    mode: str, rows_read: int, rows_loaded: int, window_start: str | None, warnings: list[str]
) -> dict[str, Any]:
    return {
        "mode": mode,
        "rows_read": rows_read,
        "rows_loaded": rows_loaded,
        "rows_rejected": 0,
        "rows_deleted": 0,
        "window_start": window_start,
        "warnings": "\n".join(warnings) or None,
    }


def _count(connection: Connection, table: str, where: str = "TRUE") -> int:
    quote = connection.dialect.identifier_preparer.quote
    found = connection.exec_driver_sql(f"SELECT count(*) FROM {quote(table)} WHERE {where}")
    return int(found.scalar_one())


def _read_into_temporary(connection: Connection, checked: Checked, reader: str) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_ROWS}")
    if not checked.shares_checks():
        typed = f"SELECT {checked.select()} FROM {reader}"
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {_ROWS} AS {typed}")
        return
    quote = connection.dialect.identifier_preparer.quote
    read = ", ".join(quote(column.name) for column in checked.columns)
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_AS_READ}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {_AS_READ} AS SELECT {read} FROM {reader}")
    for fits, names in checked.shared_checks().items():
        # The first misfit stops the statement, as in the one-statement form.
        columns = ", ".join(quote(name) for name in names)
        values = (
            f"UNPIVOT (SELECT {columns} FROM {_AS_READ}) "
            f"ON {columns} INTO NAME wbr_column VALUE {VALUE}"
        )
        misfit = _misfit("wbr_column", f"{VALUE}::VARCHAR")
        connection.exec_driver_sql(
            f"SELECT {misfit} FROM ({values}) WHERE NOT ({fits}) LIMIT 1"
        ).all()
    select = checked.typed_select()
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {_ROWS} AS SELECT {select} FROM {_AS_READ}")
    connection.exec_driver_sql(f"DROP TABLE {_AS_READ}")


def _copy(
    connection: Connection, final: str, schema: dict[str, ColumnType], where: str = "TRUE"
) -> None:
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in schema)
    connection.exec_driver_sql(
        f"INSERT INTO {quote(final)} ({names}) SELECT {names} FROM {_ROWS} WHERE {where}"
    )


def replace_all(
    connection: Connection,
    plan: Plan,
    source: SourceBase,
    schema: dict[str, ColumnType],
    checked: Checked,
    reader: str,
) -> dict[str, Any] | None:
    """A full load: a staging table filled by DuckDB, swapped in as the other path does."""
    staging: Table = raw.create_staging(connection, plan.final_name, schema)
    quote = connection.dialect.identifier_preparer.quote
    # Set back by `write`, which also sees the statement fail.
    connection.exec_driver_sql(f"SET {_INSERTION_ORDER} = false")
    if checked.shares_checks():
        _read_into_temporary(connection, checked, reader)
        _copy(connection, staging.name, schema)
        connection.exec_driver_sql(f"DROP TABLE {_ROWS}")
    else:
        typed = f"SELECT {checked.select()} FROM {reader}"
        connection.exec_driver_sql(f"INSERT INTO {quote(staging.name)} {typed}")
    rows = _count(connection, staging.name)
    if not rows:  # the other path says so in its own words
        staging.drop(connection)
        return None
    raw.commit_chunk(connection)  # only the staging table changed; the swap stays atomic
    warnings = []
    if plan.existing is not None:
        warnings = store_steps.schema_changes(plan.final_name, plan.existing, schema)
    store_steps.swap(connection, staging, plan, source, schema)
    return _outcome(FULL, rows, rows, None, warnings)


def replace_window(
    connection: Connection,
    plan: Plan,
    schema: dict[str, ColumnType],
    checked: Checked,
    reader: str,
) -> dict[str, Any]:
    """An incremental load of a rewritten file: its rows from the cutoff on replace the
    table's window (a row without a cursor value is in the window, as row by row)."""
    assert plan.cursor is not None
    quote = connection.dialect.identifier_preparer.quote
    cursor = quote(plan.cursor)
    in_window = f"({cursor} >= {_sql_value(plan.cutoff)} OR {cursor} IS NULL)"
    _read_into_temporary(connection, checked, reader)
    rows, window = _count(connection, _ROWS), _count(connection, _ROWS, in_window)
    window_start = _iso(plan.cutoff)
    if not window:
        warning = f"the source returned no rows from {plan.cutoff} on; kept the rows already loaded"
        outcome = _outcome(INCREMENTAL, rows, 0, window_start, [warning])
    else:
        deleted = raw.delete_window(connection, plan.final_name, schema, plan.cursor, plan.cutoff)
        _copy(connection, plan.final_name, schema, in_window)
        outcome = _outcome(INCREMENTAL, rows, window, window_start, [])
        outcome["rows_deleted"] = deleted
    connection.exec_driver_sql(f"DROP TABLE {_ROWS}")
    return outcome


def append(
    connection: Connection,
    plan: Plan,
    source: SourceBase,
    schema: dict[str, ColumnType],
    checked: Checked,
    reader: str,
) -> dict[str, Any]:
    """Only new bytes: their rows are added; the rows already loaded stay as they are.

    Recorded as an incremental load from the first date the new rows hold, so the next
    computation re-aggregates only from there (the last stored day for no new rows).
    """
    quote = connection.dialect.identifier_preparer.quote
    _read_into_temporary(connection, checked, reader)
    rows = _count(connection, _ROWS)
    day = quote(source.date_column)
    if rows:
        _copy(connection, plan.final_name, schema)
        first_day = connection.exec_driver_sql(f"SELECT min({day}) FROM {_ROWS}").scalar()
    else:
        table = quote(plan.final_name)
        first_day = connection.exec_driver_sql(f"SELECT max({day}) FROM {table}").scalar()
    connection.exec_driver_sql(f"DROP TABLE {_ROWS}")
    return _outcome(INCREMENTAL, rows, rows, _iso(first_day), [])


def write(
    connection: Connection,
    plan: Plan,
    source: SourceBase,
    schema: dict[str, ColumnType],
    checked: Checked,
    reader: str,
    *,
    appended: bool = False,
) -> dict[str, Any] | None:
    """The load DuckDB's own reader does for `plan`, or None to leave it to the
    row-by-row path.

    A failed statement means a value that path may read differently, or a file DuckDB
    cannot read (a ragged row, another encoding): that path reads it and names the
    problem, so the failure is not the user's to see.
    """
    try:
        if appended:
            return append(connection, plan, source, schema, checked, reader)
        if plan.mode == INCREMENTAL:
            return replace_window(connection, plan, schema, checked, reader)
        return replace_all(connection, plan, source, schema, checked, reader)
    except DBAPIError:
        start_again(connection)
        return None
    finally:
        # Not in an aborted transaction (after start_again, it is a fresh one); if it
        # still fails, only row order is left to DuckDB in this process, which is safe.
        with contextlib.suppress(DBAPIError):
            connection.exec_driver_sql(f"RESET {_INSERTION_ORDER}")


def _sql_value(value: object) -> str:
    if isinstance(value, date):
        return (
            f"DATE '{value.isoformat()}'" if not hasattr(value, "hour") else f"TIMESTAMP '{value}'"
        )
    return repr(value) if isinstance(value, int | float) else sql_text(str(value))


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
