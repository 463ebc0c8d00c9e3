"""Writing typed rows that DuckDB reads from a file: what the CSV and Parquet paths share.

A reader (a `read_csv(…)` or `read_parquet(…)` call) and a checked select list (each
column's typed value, or `error()` when a value might come out differently from the
row-by-row path) are turned into a full reload (a staging table swapped in), an
incremental window, or an append, with the outcome `SourceLoad.finish` would record.
Any failed statement leaves the caller to `start_again` and take the row-by-row path.
"""

from __future__ import annotations

import contextlib
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


MISFIT = "\x00misfit\x00"  # in a column's value: where the value misfits (see `checked_select`)


def checked_select(connection: Connection, columns: list[tuple[str, str, str]]) -> str:
    """The select list of (name, fits, value) columns; a misfit stops the statement.

    A value that tells misfits itself (a parse that comes out NULL) names `MISFIT`
    where they go, with `fits` "TRUE": one parse instead of a check and a parse."""
    quote = connection.dialect.identifier_preparer.quote
    values = []
    for name, fits, value in columns:
        text = quote(name)
        # The error names the value: it stops the statement, and the load takes the
        # row-by-row path, which reports the row with its place in the file.
        misfit = f"error(concat('wbr: misfit ', {sql_text(name)}, ' ', {text}::VARCHAR))"
        if fits == "TRUE":
            values.append(f"{value.replace(MISFIT, misfit)} AS {text}")
            continue
        values.append(f"CASE WHEN {fits} THEN {value} ELSE {misfit} END AS {text}")
    return ", ".join(values)


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


def _read_into_temporary(connection: Connection, checked: str, reader: str) -> None:
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_ROWS}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {_ROWS} AS SELECT {checked} FROM {reader}")


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
    checked: str,
    reader: str,
) -> dict[str, Any] | None:
    """A full load: a staging table filled by DuckDB, swapped in as the other path does."""
    staging: Table = raw.create_staging(connection, plan.final_name, schema)
    quote = connection.dialect.identifier_preparer.quote
    # Set back by `write`, which also sees the statement fail.
    connection.exec_driver_sql(f"SET {_INSERTION_ORDER} = false")
    connection.exec_driver_sql(f"INSERT INTO {quote(staging.name)} SELECT {checked} FROM {reader}")
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
    checked: str,
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
    checked: str,
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
    checked: str,
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
