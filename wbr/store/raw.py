"""Raw tables: the user's data as connectors deliver it, one table per source.

A reload builds a fresh staging table and swaps it in, all in one transaction, so
a failure at any row leaves the previous table exactly as it was and a repeated
load never duplicates rows (design decision 8: loads are atomic and idempotent).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Index,
    MetaData,
    Table,
    Text,
    insert,
    inspect,
)
from sqlalchemy.types import TypeEngine

from wbr.errors import LoadError
from wbr.store.dialect import rename_table
from wbr.store.schema import RAW_TABLE_PREFIX

STAGING_SUFFIX = "__staging"
# Rows per INSERT executemany: large enough to amortise round trips, small enough
# that one batch of dict rows stays a few MB.
INSERT_BATCH_ROWS = 10_000


def raw_table_name(table: str) -> str:
    return f"{RAW_TABLE_PREFIX}{table}"


def replace_raw_table(
    engine: Engine, table: str, frames: Iterable[pd.DataFrame], date_column: str
) -> int:
    """Replace raw table `raw_<table>` with the rows of `frames`; return the row count.

    Column types come from the first frame's dtypes; later frames are converted to
    them (a clear `LoadError` names any value that does not fit). `date_column` is
    always stored as a DATE. Frames are consumed one at a time, never concatenated.
    """
    batches = iter(frames)
    first = next(batches, None)
    if first is None:
        raise LoadError(f"no data to load into table {raw_table_name(table)!r}")
    final_name = raw_table_name(table)
    staging_name = final_name + STAGING_SUFFIX
    _check_identifier_length(engine, staging_name)
    staging = _table_like(staging_name, first, date_column)

    rows = 0
    with engine.begin() as connection:
        # Only a database without transactional DDL could have left one behind.
        staging.drop(connection, checkfirst=True)
        staging.create(connection)
        for frame in itertools.chain([first], batches):
            rows += _insert_frame(connection, staging, frame)
        if inspect(connection).has_table(final_name):
            Table(final_name, MetaData()).drop(connection)
        rename_table(connection, staging_name, final_name)
        # Indexed after the bulk insert (faster) and after the swap, because index
        # names are per schema and the old table's index is gone only now.
        renamed = Table(final_name, MetaData(), Column(date_column, Date))
        index_name = _fit_identifier(engine, f"ix_{final_name}_date")
        Index(index_name, renamed.c[date_column]).create(connection)
    return rows


def _check_identifier_length(engine: Engine, name: str) -> None:
    limit = engine.dialect.max_identifier_length
    if limit and len(name) > limit:
        raise LoadError(
            f"table name {name!r} is longer than {engine.dialect.name}'s limit of "
            f"{limit} characters; give the source a shorter `table:` name"
        )


def _fit_identifier(engine: Engine, name: str) -> str:
    """`name`, shortened with a hash suffix when it exceeds the dialect's limit."""
    limit = engine.dialect.max_identifier_length
    if not limit or len(name) <= limit:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}_{digest}"


def _column_type(series: pd.Series[Any], is_date_column: bool) -> TypeEngine[Any]:
    if is_date_column:
        return Date()
    # bool before integer: pandas counts booleans as integers.
    if ptypes.is_bool_dtype(series.dtype):
        return Boolean()
    if ptypes.is_integer_dtype(series.dtype):
        return BigInteger()
    if ptypes.is_float_dtype(series.dtype):
        return Float()
    if ptypes.is_datetime64_any_dtype(series.dtype):
        return DateTime()
    return Text()


def _table_like(name: str, frame: pd.DataFrame, date_column: str) -> Table:
    columns = [str(column) for column in frame.columns]
    duplicates = sorted({column for column in columns if columns.count(column) > 1})
    if duplicates:
        raise LoadError(f"columns appear more than once: {', '.join(duplicates)}")
    if date_column not in columns:
        raise LoadError(
            f"date column {date_column!r} is missing; columns are: {', '.join(columns)}"
        )
    return Table(
        name,
        MetaData(),
        *(
            Column(str(column), _column_type(frame[column], str(column) == date_column))
            for column in frame.columns
        ),
    )


def _insert_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    frame_columns = {str(column) for column in frame.columns}
    table_columns = {column.name for column in table.columns}
    if frame_columns != table_columns:
        missing = ", ".join(sorted(table_columns - frame_columns)) or "none"
        extra = ", ".join(sorted(frame_columns - table_columns)) or "none"
        raise LoadError(
            f"a batch has different columns from the first (missing: {missing}; "
            f"unexpected: {extra})"
        )
    frame = frame.rename(columns=str)
    names = [column.name for column in table.columns]
    values = [_python_values(frame[column.name], column) for column in table.columns]
    for batch in _batched(zip(*values, strict=True), INSERT_BATCH_ROWS):
        connection.execute(insert(table), [dict(zip(names, row, strict=True)) for row in batch])
    return len(frame)


def _batched(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _python_values(series: pd.Series[Any], column: Column[Any]) -> list[Any]:
    """The column's values as Python objects of its SQL type, missing values as None.

    Drivers do not accept numpy scalars or NaN, and a later batch may have been
    inferred differently from the first (whole numbers, then a blank cell).
    """
    present = series.notna()
    kind = column.type
    if isinstance(kind, Date):
        converted = _to_datetimes(series, column.name).dt.date
    elif isinstance(kind, DateTime):
        converted = _to_datetimes(series, column.name).dt.to_pydatetime()
    elif isinstance(kind, BigInteger | Float):
        converted = _to_numbers(series, column.name, whole=isinstance(kind, BigInteger))
    elif isinstance(kind, Boolean):
        converted = _to_booleans(series, column.name)
    else:
        converted = series.map(str, na_action="ignore")
    return list(converted.astype(object).where(present, None).tolist())


def _to_datetimes(series: pd.Series[Any], name: str) -> pd.Series[Any]:
    if ptypes.is_datetime64_any_dtype(series.dtype):
        return series
    try:
        return pd.to_datetime(series, errors="raise")
    except (ValueError, TypeError) as exc:
        raise LoadError(f"column {name!r}: {exc}") from None


def _to_numbers(series: pd.Series[Any], name: str, *, whole: bool) -> pd.Series[Any]:
    if (whole and ptypes.is_integer_dtype(series.dtype)) or (
        not whole and ptypes.is_float_dtype(series.dtype)
    ):
        return series
    numbers = pd.to_numeric(series, errors="coerce")
    not_numeric = series.notna() & numbers.isna()
    if not_numeric.any():
        _raise_bad_value(series, not_numeric, name, "is not a number")
    if whole:
        fractional = numbers.notna() & (numbers % 1 != 0)
        if fractional.any():
            _raise_bad_value(series, fractional, name, "is not a whole number")
        return numbers.astype("Int64")
    return numbers.astype("float64")


def _to_booleans(series: pd.Series[Any], name: str) -> pd.Series[Any]:
    if ptypes.is_bool_dtype(series.dtype):
        return series
    not_bool = series.notna() & ~series.map(lambda value: isinstance(value, bool))
    if not_bool.any():
        _raise_bad_value(series, not_bool, name, "is not true/false")
    return series


def _raise_bad_value(series: pd.Series[Any], bad: pd.Series[bool], name: str, problem: str) -> None:
    value = series[bad].iloc[0]
    if isinstance(value, np.generic):  # repr 2.5, not np.float64(2.5)
        value = value.item()
    raise LoadError(
        f"column {name!r}: value {value!r} {problem}, but the column's type was set "
        "from the first batch of rows; make the column's values consistent"
    )
