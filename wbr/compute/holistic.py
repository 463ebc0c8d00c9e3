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
from wbr.store.dialect import is_sqlite


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
    range from that day to the last of their ends. SQL counts, for each range and
    day, the values new in the range that day; a running total of those counts is
    the distinct count from the range's first day through any end date. Which of
    two equivalent queries counts them depends on how much the ranges overlap
    (`WINDOW_FROM_OVERLAP`).
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
        where = [*conditions(metric, column), day >= min(starts), day <= max(e for _, e in ranges)]
        query = _by_previous_day if _window_pays(conn, ranges) else _by_first_day
        rows = conn.execute(query(sa.table(table), day, column, where, maps.table(ranges))).all()
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


def overlap(ranges: list[tuple[date, date]]) -> float:
    """How many of the ranges a day in any of them is in, on average: about 4 for a
    first compute (week, month, quarter, year), under 1.5 for a weekly refresh's."""
    covered: set[int] = set()
    total = 0
    for start, end in ranges:
        days = range(start.toordinal(), end.toordinal() + 1)
        covered.update(days)
        total += len(days)
    return total / len(covered)


# From this overlap on, the window query is faster on DuckDB at 5 M orders: the join
# query took 0.20-0.31 s over one grain of ranges, 0.72 s over two and 1.39 s over
# four, the window query 0.47-0.49 s for any of them (docs/performance.md).
WINDOW_FROM_OVERLAP = 1.5


def _window_pays(conn: Connection, ranges: list[tuple[date, date]]) -> bool:
    # SQLite's window functions run row by row in its VM: a first compute's distinct
    # count at 1 M orders took 11.0 s by the window against 4.7 s by the join.
    return not is_sqlite(conn) and overlap(ranges) >= WINDOW_FROM_OVERLAP


def _by_first_day(
    table: sa.TableClause,
    day: sa.ColumnClause[Any],
    column: sa.ColumnClause[Any],
    where: list[sa.ColumnElement[bool]],
    days: sa.Table,
) -> sa.Select[Any]:
    """(range id, day, values new in the range that day), ordered by range and day:
    each row joined to the ranges it is in, each value's first day in each range.

    Each row is read, and hashed by value, once per range it falls in."""
    first_seen = (
        sa.select(days.c.wbr_rid, sa.func.min(day).label("first_day"))
        .select_from(table.join(days, day == days.c.wbr_day))
        .where(*where)
        .group_by(days.c.wbr_rid, column)
        .subquery()
    )
    return (
        sa.select(first_seen.c.wbr_rid, first_seen.c.first_day, sa.func.count())
        .group_by(first_seen.c.wbr_rid, first_seen.c.first_day)
        .order_by(first_seen.c.wbr_rid, first_seen.c.first_day)
    )


def _by_previous_day(
    table: sa.TableClause,
    day: sa.ColumnClause[Any],
    column: sa.ColumnClause[Any],
    where: list[sa.ColumnElement[bool]],
    days: sa.Table,
) -> sa.Select[Any]:
    """The same rows as `_by_first_day`, each row read once however many ranges it is in.

    A row brings its value new to a range when the value's previous row (by day) is
    before the range's first day, or there is none; a previous row before every
    range is as good as none, so the window reads only the ranges' span. The rows
    shrink to a count per (day, previous day) before they meet the ranges."""
    previous = sa.func.lag(day).over(partition_by=column, order_by=day)
    lagged = (
        sa.select(day.label("wbr_d"), previous.label("wbr_p"))
        .select_from(table)
        .where(*where)
        .subquery()
    )
    pairs = (
        sa.select(lagged.c.wbr_d, lagged.c.wbr_p, sa.func.count().label("wbr_n"))
        .group_by(lagged.c.wbr_d, lagged.c.wbr_p)
        .subquery()
    )
    starts = (
        sa.select(days.c.wbr_rid, sa.func.min(days.c.wbr_day).label("wbr_start"))
        .group_by(days.c.wbr_rid)
        .subquery()
    )
    new = sa.cast(sa.func.sum(pairs.c.wbr_n), sa.BigInteger)  # PostgreSQL sums to numeric
    return (
        sa.select(days.c.wbr_rid, pairs.c.wbr_d, new)
        .select_from(
            pairs.join(days, pairs.c.wbr_d == days.c.wbr_day).join(
                starts, starts.c.wbr_rid == days.c.wbr_rid
            )
        )
        .where(sa.or_(pairs.c.wbr_p.is_(None), pairs.c.wbr_p < starts.c.wbr_start))
        .group_by(days.c.wbr_rid, pairs.c.wbr_d)
        .order_by(days.c.wbr_rid, pairs.c.wbr_d)
    )


def ordinal(value: Any) -> int:
    """A date from the store as an ordinal (SQLite can hand back ISO text)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10]).toordinal()
    return int(value.toordinal())
