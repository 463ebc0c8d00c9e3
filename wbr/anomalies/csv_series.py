"""Read any CSV into an even series of complete periods, for `wbr detect --csv`.

Rows are grouped into periods (days, or weeks ending on a given weekday) and
aggregated. A week is complete when all its seven days have rows, or, for data
that is already weekly (rows a week or more apart), when it has a row; an
incomplete week is left out of scoring, never summed from the days it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

import pandas as pd

from wbr.anomalies.series import DetectionError, Grain

DAYS_PER_WEEK = 7
GUESS_ROWS = 500  # rows read to guess which column is the date and which the value
# A column is a date (or a number) column when this share of its non-empty
# cells parse as one: a stray "n/a" does not hide a column of numbers.
GUESS_SHARE = 0.9
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Aggregate(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class Columns:
    date: str
    value: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """Periods between the first and the last that are not scored, and why."""

    incomplete: tuple[date, ...]  # rows for some of its days only
    missing: tuple[date, ...]  # no row at all

    @property
    def count(self) -> int:
        return len(self.incomplete) + len(self.missing)


def _share_parsed(parsed: pd.Series, raw: pd.Series) -> float:
    present = raw.notna() & (raw.astype(str).str.strip() != "")
    return float(parsed[present].notna().mean()) if present.any() else 0.0


def guess_columns(path: Path) -> Columns:
    """The date column and the value column of a CSV, when its header leaves no doubt.

    The date column is the one whose cells parse as dates; the value column the
    one other column of numbers. Anything else is an error that names the columns.
    """
    sample = pd.read_csv(path, nrows=GUESS_ROWS, dtype=str)
    dates, numbers = [], []
    for column in sample.columns:
        raw = sample[column]
        numeric = pd.to_numeric(raw, errors="coerce")
        if _share_parsed(numeric, raw) >= GUESS_SHARE:
            numbers.append(str(column))
            continue
        parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        if _share_parsed(parsed, raw) >= GUESS_SHARE:
            dates.append(str(column))
    columns = ", ".join(str(column) for column in sample.columns)
    if len(dates) != 1 or len(numbers) != 1:
        raise DetectionError(
            f"{path}: cannot tell the date and value columns apart (date-like: "
            f"{', '.join(dates) or 'none'}; numeric: {', '.join(numbers) or 'none'}; "
            f"columns: {columns}); pass --date-column and --value-column"
        )
    return Columns(dates[0], numbers[0])


def dropped_periods(series: pd.Series, grain: Grain) -> Dropped:
    """The periods `read_series` left out: incomplete ones (NaN) and ones with no rows."""
    if series.empty:
        return Dropped((), ())
    index = pd.DatetimeIndex(series.index)
    step = pd.Timedelta(days=DAYS_PER_WEEK if grain == "week" else 1)
    grid = pd.date_range(index[0], index[-1], freq=step)
    incomplete = tuple(stamp.date() for stamp in index[series.isna().to_numpy()])
    missing = tuple(stamp.date() for stamp in grid.difference(index))
    return Dropped(incomplete, missing)


def read_series(
    path: Path,
    date_column: str,
    value_column: str,
    grain: Grain = "week",
    week_ends_on: str = "saturday",
    aggregate: Aggregate = Aggregate.SUM,
) -> pd.Series:
    """The CSV's values per period end (NaN for incomplete periods), oldest first."""
    try:
        frame = pd.read_csv(path, usecols=[date_column, value_column])
    except ValueError as error:
        columns = ", ".join(pd.read_csv(path, nrows=0).columns)
        raise DetectionError(
            f"{path}: needs columns {date_column!r} and {value_column!r}; it has: {columns}"
        ) from error
    days = pd.to_datetime(frame[date_column], errors="coerce").dt.normalize()
    values = pd.to_numeric(frame[value_column], errors="coerce")
    if days.isna().any():
        row = int(days.isna().to_numpy().argmax()) + 2  # 1-based, after the header
        raise DetectionError(f"{path} line {row}: {date_column!r} is not a date")
    if frame.empty:
        raise DetectionError(f"{path} has no rows")
    if grain == "day":
        ends = days
    else:
        end_weekday = WEEKDAYS.index(week_ends_on)
        ends = days + pd.to_timedelta((end_weekday - days.dt.day_of_week) % DAYS_PER_WEEK, unit="D")
    data = pd.DataFrame({"end": ends, "day": days, "value": values})
    grouped = data.groupby("end")
    if aggregate is Aggregate.LAST:
        result = data.sort_values("day").groupby("end")["value"].last()
    else:
        result = getattr(grouped["value"], aggregate.value)()
    if grain == "week" and not _already_weekly(days):
        complete = grouped["day"].nunique() == DAYS_PER_WEEK
        result = result.where(complete)
    return result.astype(float).rename(value_column)


def _already_weekly(days: pd.Series) -> bool:
    distinct = pd.Series(days.unique()).sort_values()
    if len(distinct) < 2:
        return True
    return bool(distinct.diff().dropna().min() >= pd.Timedelta(days=DAYS_PER_WEEK))
