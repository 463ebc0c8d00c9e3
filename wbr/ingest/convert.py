"""Give a batch of source rows the column types of its raw table, row by row.

Every value that does not fit its column (a word in a number column, a date
that does not parse, an empty date) marks its row as bad, with the column, the
value and the reason; the caller stops or quarantines those rows. Conversions
are vectorised: a batch that already has the right dtypes costs almost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from wbr.registry.sources import ColumnType

# pandas' name for "ISO 8601, any precision", used when no date_format is given.
ISO_FORMAT = "ISO8601"
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
# The raw tables' INTEGER columns are 64-bit.
INT64_MAX = float(np.iinfo(np.int64).max)


@dataclass(frozen=True)
class RowProblem:
    """The first thing wrong with one row of a batch."""

    position: int  # 0-based position in the batch as the connector delivered it
    column: str | None
    value: object
    reason: str


@dataclass(frozen=True)
class Typed:
    """A batch's good rows with their final types, and what was wrong with the others."""

    frame: pd.DataFrame
    positions: np.ndarray[Any, np.dtype[np.int64]]  # batch positions of `frame`'s rows
    problems: list[RowProblem] = field(default_factory=list)


def infer_schema(
    frame: pd.DataFrame, declared: Mapping[str, ColumnType], date_column: str
) -> dict[str, ColumnType]:
    """Column types for a new raw table: declared ones, else inferred from `frame`."""
    schema: dict[str, ColumnType] = {}
    for name in frame.columns:
        column = str(name)
        if column == date_column:
            schema[column] = ColumnType.DATE
        elif column in declared:
            schema[column] = declared[column]
        else:
            schema[column] = _infer(frame[name])
    return schema


def _infer(series: pd.Series[Any]) -> ColumnType:
    dtype = series.dtype
    # bool before integer: pandas counts booleans as integers.
    if ptypes.is_bool_dtype(dtype):
        return ColumnType.BOOLEAN
    if ptypes.is_integer_dtype(dtype):
        return ColumnType.INTEGER
    if ptypes.is_float_dtype(dtype):
        return ColumnType.FLOAT
    if ptypes.is_datetime64_any_dtype(dtype):
        return ColumnType.DATETIME
    inferred = ptypes.infer_dtype(series, skipna=True)
    return {
        "boolean": ColumnType.BOOLEAN,
        "integer": ColumnType.INTEGER,
        "floating": ColumnType.FLOAT,
        "mixed-integer-float": ColumnType.FLOAT,
        "decimal": ColumnType.FLOAT,
        "date": ColumnType.DATE,
        "datetime": ColumnType.DATETIME,
        "datetime64": ColumnType.DATETIME,
    }.get(inferred, ColumnType.TEXT)


def convert(
    frame: pd.DataFrame,
    schema: Mapping[str, ColumnType],
    date_column: str,
    date_format: str | None,
) -> Typed:
    """`frame` converted to `schema`; rows with a value that does not fit are left out."""
    bad = np.zeros(len(frame), dtype=bool)
    problems: list[RowProblem] = []
    converted: dict[str, pd.Series[Any]] = {}
    for column, kind in schema.items():
        series = frame[column].reset_index(drop=True)
        values, misfits = _convert_column(series, kind, date_format)
        if column == date_column:
            misfits.append((series.isna().to_numpy(), f"date column {column!r} is empty"))
        for misfit, reason in misfits:
            for position in np.flatnonzero(misfit & ~bad):
                value = _plain(series.iloc[position])
                problems.append(RowProblem(int(position), column, value, reason))
            bad |= misfit
        converted[column] = values
    good = np.flatnonzero(~bad)
    typed = pd.DataFrame(converted)
    if bad.any():
        typed = typed.iloc[good].reset_index(drop=True)
    problems.sort(key=lambda problem: problem.position)
    return Typed(typed, good.astype(np.int64), problems)


Mask = np.ndarray[Any, np.dtype[np.bool_]]
# The converted values, and which rows did not fit and why.
Converted = tuple["pd.Series[Any]", list[tuple[Mask, str]]]


def _convert_column(series: pd.Series[Any], kind: ColumnType, date_format: str | None) -> Converted:
    if kind is ColumnType.DATE or kind is ColumnType.DATETIME:
        return _to_datetimes(series, date_format, date_only=kind is ColumnType.DATE)
    if kind is ColumnType.INTEGER or kind is ColumnType.FLOAT:
        return _to_numbers(series, whole=kind is ColumnType.INTEGER)
    if kind is ColumnType.BOOLEAN:
        return _to_booleans(series)
    return _to_text(series)


def _to_datetimes(series: pd.Series[Any], date_format: str | None, *, date_only: bool) -> Converted:
    if ptypes.is_datetime64_any_dtype(series.dtype):
        parsed = series
        misfit = np.zeros(len(series), dtype=bool)
    else:
        text_dates = ptypes.is_string_dtype(series.dtype) or ptypes.infer_dtype(
            series, skipna=True
        ) in ("string", "empty")
        form = (date_format or ISO_FORMAT) if text_dates else None
        try:
            parsed = pd.to_datetime(series, format=form, errors="coerce")
        except (ValueError, TypeError):  # e.g. mixed UTC offsets: value by value
            parsed = series.map(lambda v: _one_datetime(v, form))
            parsed = pd.to_datetime(parsed, errors="coerce", utc=True)
        misfit = (series.notna() & parsed.isna()).to_numpy()
        date_format = form
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    if date_only:
        parsed = parsed.dt.normalize()
    what = "date" if date_only else "date and time"
    reason = f"is not a {what} in the format {date_format or ISO_FORMAT!r}"
    return parsed, [(misfit, reason)]


def _one_datetime(value: object, form: str | None) -> object:
    try:
        return pd.to_datetime(cast(Any, value), format=form, utc=True)
    except (ValueError, TypeError):
        return pd.NaT


def _to_numbers(series: pd.Series[Any], *, whole: bool) -> Converted:
    dtype = series.dtype
    if whole and ptypes.is_integer_dtype(dtype) and not ptypes.is_bool_dtype(dtype):
        return series, []
    if not whole and ptypes.is_float_dtype(dtype):
        return series, []
    if ptypes.is_bool_dtype(dtype):
        series = series.astype("Int64")
    numbers = _numeric(series)
    not_numeric = (series.notna() & numbers.isna()).to_numpy()
    if not whole:
        return numbers.astype("float64"), [(not_numeric, "is not a number")]
    too_large = (numbers.notna() & (numbers.abs() > INT64_MAX)).to_numpy()
    numbers = numbers.where(~too_large)
    fractional = (numbers.notna() & (numbers % 1 != 0)).to_numpy()
    numbers = numbers.where(~fractional)
    return numbers.astype("Int64"), [
        (not_numeric, "is not a number"),
        (too_large, "is too large for a whole-number column (at most 9223372036854775807)"),
        (fractional, "is not a whole number"),
    ]


def _numeric(series: pd.Series[Any]) -> pd.Series[Any]:
    """Numbers, NaN where a value is not one; pandas overflows on integers past 64 bits,
    so such a column is converted value by value (a huge integer becomes a float)."""
    try:
        numbers = pd.to_numeric(series, errors="coerce")
    except (OverflowError, ValueError, TypeError):
        return series.map(_one_number, na_action="ignore").astype("float64")
    # pandas reads an integer past 64 bits as a Python int, which to_numeric drops as
    # "not a number"; it is a number, only too large: give it an infinite size.
    lost = (numbers.isna() & series.notna()).to_numpy()
    if lost.any() and ptypes.is_object_dtype(series.dtype):
        numbers = numbers.astype("float64")
        numbers[lost] = series[lost].map(_one_number).to_numpy(dtype="float64")
    return numbers


def _one_number(value: object) -> float:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return float("inf") if value > 0 else float("-inf")
    try:
        return float(cast(Any, value))
    except (ValueError, TypeError, OverflowError):
        return float("nan")


def _to_booleans(series: pd.Series[Any]) -> Converted:
    if ptypes.is_bool_dtype(series.dtype):
        return series, []
    lookup = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}

    def one(value: object) -> object:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        return lookup.get(str(value).strip().lower())

    mapped = series.map(one, na_action="ignore")
    misfit = (series.notna() & mapped.isna()).to_numpy()
    return mapped.astype("boolean"), [(misfit, "is not true/false")]


def _to_text(series: pd.Series[Any]) -> Converted:
    if ptypes.is_string_dtype(series.dtype) and (
        not ptypes.is_object_dtype(series.dtype)
        or ptypes.infer_dtype(series, skipna=True) in ("string", "empty")
    ):
        return series, []
    return series.map(_text, na_action="ignore"), []


def _text(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 7.0 read from a number column is "7"
    return str(value)


def _plain(value: object) -> object:
    """A value fit for a message: None for missing, plain Python for numpy scalars."""
    if value is None or (ptypes.is_scalar(value) and bool(pd.isna(cast(Any, value)))):
        return None
    if isinstance(value, np.generic):  # repr 2.5, not np.float64(2.5)
        return value.item()
    return value
