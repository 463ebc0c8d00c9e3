"""Distinct counts, computed per period from raw rows in SQL.

Weekly active customers are not a sum of daily active customers, so a
distinct count never rolls up from days (medians and percentiles, the other
non-additive kind, are in `wbr.compute.percentiles`).

Periods are joined to raw rows through a day map (`wbr.compute.day_maps`).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import ExitStack
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.calendar import Period
from wbr.compute.day_maps import DayMaps, day_maps
from wbr.compute.filters import all_of
from wbr.registry.aggregations import CountDistinctAggregation
from wbr.registry.models import Metric


def conditions(metric: Metric, column: sa.ColumnClause[Any]) -> list[sa.ColumnElement[bool]]:
    """The rows a metric reads: its column is not null, and its filters hold."""
    found: list[sa.ColumnElement[bool]] = [column.is_not(None)]
    condition = all_of(getattr(metric.aggregation, "filters", ()))
    if condition is not None:
        found.append(condition)
    return found


def count_distinct(
    conn: Connection,
    table: str,
    date_column: str,
    metric: Metric,
    periods: list[Period],
    maps: DayMaps | None = None,
) -> np.ndarray:
    """The distinct count of the metric's column for every period, in one query.

    Periods that share a first day (a month and its month-to-date periods) form a
    range from that day to the last of their ends. SQL joins the rows to the
    ranges they fall in, finds each value's first day in each range and counts
    the values new on each day; a running total of those counts is the distinct
    count from the range's first day through any end date. Each row is read once
    per range it is in: about four times (week, month, quarter, year).
    """
    agg = metric.aggregation
    assert isinstance(agg, CountDistinctAggregation)
    values = np.full(len(periods), np.nan)
    if not periods:
        return values
    column: sa.ColumnClause[Any] = sa.column(agg.column)
    day = sa.column(date_column, sa.Date)
    by_start: dict[date, list[int]] = defaultdict(list)
    for index, period in enumerate(periods):
        by_start[period.start].append(index)
    starts = list(by_start)
    ranges = [(start, max(periods[i].end for i in by_start[start])) for start in starts]
    with ExitStack() as stack:
        if maps is None:
            maps = stack.enter_context(day_maps(conn))
        days = maps.table(ranges)
        joined = sa.table(table).join(days, day == days.c.wbr_day)
        first_seen = (
            sa.select(days.c.wbr_rid, sa.func.min(day).label("first_day"))
            .select_from(joined)
            .where(*conditions(metric, column))
            .group_by(days.c.wbr_rid, column)
            .subquery()
        )
        rows = conn.execute(
            sa.select(first_seen.c.wbr_rid, first_seen.c.first_day, sa.func.count())
            .group_by(first_seen.c.wbr_rid, first_seen.c.first_day)
            .order_by(first_seen.c.wbr_rid, first_seen.c.first_day)
        ).all()
    found: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for rid, first_day, count in rows:
        found[rid].append((first_day, count))
    for rid, start in enumerate(starts):
        seen = found.get(rid, [])
        ordinals = np.array([ordinal(first_day) for first_day, _ in seen], dtype=np.int64)
        cumulative = np.cumsum([count for _, count in seen], dtype=np.float64)
        for i in by_start[start]:
            position = np.searchsorted(ordinals, periods[i].end.toordinal(), side="right")
            values[i] = cumulative[position - 1] if position > 0 else 0.0
    return values


def ordinal(value: Any) -> int:
    """A date from the store as an ordinal (SQLite can hand back ISO text)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10]).toordinal()
    return int(value.toordinal())
