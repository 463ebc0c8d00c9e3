"""DuckDB reads a CSV source itself: parsing and typing in SQL, no Python per value.

When the raw store is DuckDB and a source is one CSV file, the load is one
INSERT … SELECT from DuckDB's CSV reader. Every value is checked in that statement
against what the row-by-row path (`wbr.ingest.convert`, after pandas' reader) would
make of it, and the first value that might come out differently (a bad date, 2.5 in
a whole-number column, a number in a text column pandas might re-type) stops the
statement. That load then goes through the row-by-row path instead, which
quarantines each bad row with its file and line as before, so every message and
every stored value stays what it was; clean files (the usual case) take this one.
The checks are deliberately narrow (ISO dates, values without leading blanks):
anything unusual is left to the other path rather than reimplemented here.

A file that only grew since its last load (`wbr.ingest.file_marks`) has only its new
bytes read, and their rows appended (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from connectors.csv_file import WHITESPACE, CsvConnector
from wbr.ingest import duckdb_types, file_marks, store_steps
from wbr.ingest import duckdb_writes as writes
from wbr.ingest.plan import Plan, append_plan
from wbr.ingest.report import INCREMENTAL
from wbr.registry.sources import ColumnType, CsvSource, SourceBase
from wbr.store.dialect import is_duckdb

# The texts pandas reads as missing (its default `na_values`): the row-by-row path
# reads CSV files with pandas, so they are missing values here too.
PANDAS_NA = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
# The first read takes only a blank as missing: matching every field against all of
# PANDAS_NA cost 0.19 s of the 1.5 s load statement at 5 M rows. A read value that
# one of the other texts would have made missing (text that is one of them, a number
# column's NaN; any other of them fails to parse as a number) misfits, and the file
# is read again with the whole list before it is left to the row-by-row path.
BLANK_ONLY = ("",)
TRUE_TEXTS = ("true", "t", "yes", "y", "1")  # as wbr.ingest.convert
FALSE_TEXTS = ("false", "f", "no", "n", "0")
# Integers are read as DOUBLE and must be whole and exact there: pandas reads a column
# with a gap as float64, exact only below 2**53.
EXACT_WHOLE_LIMIT = 2**53
# A read of at most this many bytes may be stored as read before it is checked
# (`writes.Checked`): storing it twice costs less than planning a wide one's checks.
SHARED_CHECK_BYTES = 16 * 2**20


def eligible(connection: Connection, source: SourceBase) -> bool:
    """Whether this path can load the source; else the row-by-row path does."""
    return (
        is_duckdb(connection)
        and isinstance(source, CsvSource)
        and not source.key  # duplicate keys are reported with their lines: row by row
        and source.delimiter != WHITESPACE
        and source.date_format in (None, "%Y-%m-%d")
        and ColumnType.DATETIME not in source.columns.values()
    )


def load(
    connection: Connection,
    name: str,
    source: SourceBase,
    base_dir: Path,
    plan: Plan,
    full: bool,
) -> dict[str, Any] | None:
    """Load the source through DuckDB's CSV reader; None when the other path must.

    Returns what to record in the load run, as `SourceLoad.finish` does.
    """
    if not eligible(connection, source):
        return None
    assert isinstance(source, CsvSource)
    connector = CsvConnector(name, source, base_dir)
    files = connector.files()
    if len(files) != 1:
        return None
    path = files[0]
    header = connector.header(path)
    where = f"source {name!r}, file {str(path)!r}"
    store_steps.check_columns(where, header, source, plan)
    mark = file_marks.measure(path, source)
    offset = None
    if not full and plan.existing is not None and not plan.missing:
        offset = file_marks.appended_from(file_marks.read_mark(connection, name), mark, path)
    schema = _schema(connection, connector, path, header, plan, where, name, source, offset)
    if schema is None:
        return None
    with _rows_from(path, offset, mark.size) as rows_path:
        outcome = None
        small = rows_path.stat().st_size <= SHARED_CHECK_BYTES
        for missing in (BLANK_ONLY, PANDAS_NA):
            reader = _reader(connection, rows_path, header, schema, source, missing)
            checked = _checked_values(connection, schema, source, missing, small=small)
            outcome = writes.write(
                connection, plan, source, schema, checked, reader, appended=offset is not None
            )
            if outcome is not None:
                break
    if outcome is None:
        return None
    # DuckDB reads a whole file to its end. If an exporter wrote to it meanwhile, rows past
    # the measured size may be in the table now: keep no mark, so the next load reads the
    # file whole instead of appending those rows a second time.
    grew = offset is None and path.stat().st_size != mark.size
    file_marks.write_mark(connection, name, None if grew else mark)
    return outcome


def _checked_values(
    connection: Connection,
    schema: dict[str, ColumnType],
    source: SourceBase,
    missing: tuple[str, ...],
    *,
    small: bool,
) -> writes.Checked:
    """Each column's typed value, or an error when a value misfits (also when the
    reader took fewer texts as `missing` than pandas, and one is here). In a `small`
    read, number columns share their checks (`writes.Checked`)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = []
    for name, kind in schema.items():
        # Only a column declared `text` is read as text in every batch by the other path.
        declared = name in source.columns
        is_date = name == source.date_column
        fits, value = _column(quote(name), kind, is_date=is_date, declared=declared)
        fits = _also_not_missing(quote(name), kind, fits, missing)
        shared = None
        if small and kind in (ColumnType.INTEGER, ColumnType.FLOAT):
            # The same check over any one value: NULL fits, as a number column's check says.
            alone, _ = _column(writes.VALUE, kind, is_date=is_date, declared=declared)
            shared = _also_not_missing(writes.VALUE, kind, alone, missing)
        columns.append(writes.CheckedColumn(name, fits, value, shared))
    return writes.Checked.over(connection, columns)


def _also_not_missing(text: str, kind: ColumnType, fits: str, missing: tuple[str, ...]) -> str:
    """`fits`, and the value is none that pandas takes as missing and the reader did not.

    A number column's NaN misfits on either read: DuckDB parses "nan" and "-NaN" (the
    first read) and also " nan", "NAN" or "+nan" (not in pandas' list) as NaN, which
    the row-by-row path stores as missing or rejects, never as NaN."""
    if kind in (ColumnType.INTEGER, ColumnType.FLOAT):
        return f"({text} IS NULL OR NOT isnan({text})) AND {fits}"
    others = tuple(na for na in PANDAS_NA if na not in missing)
    if kind is ColumnType.TEXT and others:  # dates and booleans misfit on these already
        return f"({text} IS NULL OR {text} NOT IN {writes.sql_list(others)}) AND {fits}"
    return fits


# The first character of a value pandas might read as a number ('+', '-', '.', digits).
_NUMBER_START = "(ascii({0}) BETWEEN 48 AND 57 OR ascii({0}) IN (43, 45, 46))"
_BLANK_START = "ascii({0}) IN (9, 32)"  # pandas strips these (skipinitialspace)


def _column(text: str, kind: ColumnType, *, is_date: bool, declared: bool) -> tuple[str, str]:
    """(fits, value) for a column as read (see `_read_type`)."""
    if kind is ColumnType.DATE:
        # Parsed once: a check beside the cast parsed each date twice (0.19 s of the
        # load at 5 M rows, against 0.08 s so).
        iso = f"coalesce(CASE WHEN {text} LIKE '____-__-__' THEN TRY_CAST({text} AS DATE) END, "
        parsed = iso + writes.MISFIT + ")"
        return "TRUE", (parsed if is_date else f"CASE WHEN {text} IS NOT NULL THEN {parsed} END")
    if kind is ColumnType.INTEGER:  # read as DOUBLE: 2.5 must misfit, not round
        whole = (
            f"({text} IS NULL OR ({text} = trunc({text}) AND abs({text}) < {EXACT_WHOLE_LIMIT}))"
        )
        return whole, f"CAST({text} AS BIGINT)"
    if kind is ColumnType.FLOAT:
        return "TRUE", text
    if kind is ColumnType.BOOLEAN:
        known = writes.sql_list(TRUE_TEXTS + FALSE_TEXTS)
        fits = f"({text} IS NULL OR lower(trim({text})) IN {known})"
        true = writes.sql_list(TRUE_TEXTS)
        value = f"CASE WHEN {text} IS NOT NULL THEN lower(trim({text})) IN {true} END"
        return fits, value
    blank = _BLANK_START.format(text)
    if kind is ColumnType.TEXT and declared:  # read as text by the other path too
        return f"({text} IS NULL OR NOT {blank})", text
    if kind is ColumnType.TEXT:  # inferred: pandas types each batch anew
        # lower() only for values starting with t or f: it copies every value it sees.
        boolean = f"(ascii({text}) IN (70, 84, 102, 116) AND lower({text}) IN ('true', 'false'))"
        retyped = f"{_NUMBER_START.format(text)} OR {boolean}"
        return f"({text} IS NULL OR NOT ({blank} OR {retyped}))", text
    return "FALSE", text  # DATETIME: never here (see `eligible`, `_schema`)


def _read_type(kind: ColumnType) -> str:
    """How DuckDB's reader types a column: numbers parsed, the rest checked as text."""
    return "DOUBLE" if kind in (ColumnType.INTEGER, ColumnType.FLOAT) else "VARCHAR"


def _reader(
    connection: Connection,
    path: Path,
    header: list[str],
    schema: dict[str, ColumnType],
    source: CsvSource,
    missing: tuple[str, ...],
) -> str:
    """DuckDB's reader over the file, the `missing` texts read as NULL."""
    # A column the table does not hold is read as text, never converted: nothing in it
    # can misfit, and DuckDB does not materialize a column the select list leaves out.
    types = {name: _read_type(schema[name]) if name in schema else "VARCHAR" for name in header}
    nulls = ", ".join(writes.sql_text(text) for text in missing)
    return writes.csv_reader(path, types, source.delimiter, f"nullstr = [{nulls}]")


def _schema(
    connection: Connection,
    connector: CsvConnector,
    path: Path,
    header: list[str],
    plan: Plan,
    where: str,
    name: str,
    source: SourceBase,
    offset: int | None,
) -> dict[str, ColumnType] | None:
    """The raw table's types: the table's own when rows are added to it, else inferred
    from the first batch exactly as the row-by-row path infers them."""
    if plan.existing is not None and (plan.mode == INCREMENTAL or offset is not None):
        kept = append_plan(plan).kept(header)  # the table's columns, as rows are added
        store_steps.check_same_schema(where, name, plan.existing, kept, source)
        schema = {column: plan.existing[column] for column in plan.existing}
    else:
        kept = plan.kept(header)
        assert isinstance(source, CsvSource)
        found = duckdb_types.inferred_schema(connection, path, header, kept, source)
        schema = found or writes.first_batch_schema(connector, source, kept)
    return None if ColumnType.DATETIME in schema.values() else schema


@contextlib.contextmanager
def _rows_from(path: Path, offset: int | None, size: int) -> Iterator[Path]:
    """The file itself, or a temporary file of its header line and the bytes from `offset`
    to the measured `size` (rows written after it was measured are the next load's)."""
    if offset is None:
        yield path
        return
    with path.open("rb") as handle:
        first_line = handle.readline()
        handle.seek(offset)
        tail = handle.read(max(0, size - offset))
    descriptor, name = tempfile.mkstemp(suffix=".csv", prefix="wbr-tail-")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(first_line + tail)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


__all__ = ["eligible", "load"]
