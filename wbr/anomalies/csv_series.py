"""Read any CSV into an even series of complete periods, for `wbr detect --csv`.

Rows are grouped into periods (days, or weeks ending on a given weekday) and
aggregated. A week is complete when all its seven days have rows, or, for data
that is already weekly (rows a week or more apart), when it has a row; an
incomplete week is left out of scoring, never summed from the days it has.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pandas as pd

from wbr.anomalies.series import DetectionError, Grain

DAYS_PER_WEEK = 7
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Aggregate(StrEnum):
    SUM = "sum"
    MEAN = "mean"
    LAST = "last"


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
