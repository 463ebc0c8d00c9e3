"""Non-additive metrics, computed per period from raw rows in SQL.

Weekly active customers are not a sum of daily active customers, and a
week's median is not a function of daily medians, so these never roll up from
days:

- `count_distinct`: periods that share a first day are answered by one query
  that finds each value's first appearance in the range; a cumulative count of
  first appearances then gives the distinct count through every end date.
- `median` / `percentile`: PostgreSQL computes `percentile_cont` over the periods
  joined to the raw rows; other stores group the rows by day and value in SQL and
  the exact percentile is picked from those counts (see `_percentiles_from_counts`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.calendar import Period
from wbr.compute.filters import all_of
from wbr.registry.aggregations import (
    CountDistinctAggregation,
    MedianAggregation,
    PercentileAggregation,
)
from wbr.registry.models import Metric

MEDIAN = 0.5
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # numpy counts days from 1970-01-01


def _conditions(metric: Metric, column: sa.ColumnClause[Any]) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [column.is_not(None)]
    condition = all_of(getattr(metric.aggregation, "filters", ()))
    if condition is not None:
        conditions.append(condition)
    return conditions


def count_distinct(
    conn: Connection, table: str, date_column: str, metric: Metric, periods: list[Period]
) -> np.ndarray:
    agg = metric.aggregation
    assert isinstance(agg, CountDistinctAggregation)
    column: sa.ColumnClause[Any] = sa.column(agg.column)
    day = sa.column(date_column, sa.Date)
    by_start: dict[Any, list[int]] = defaultdict(list)
    for index, period in enumerate(periods):
        by_start[period.start].append(index)
    values = np.full(len(periods), np.nan)
    for start, indexes in by_start.items():
        last = max(periods[i].end for i in indexes)
        first_seen = (
            sa.select(column.label("value"), sa.func.min(day).label("first_day"))
            .select_from(sa.table(table))
            .where(day.between(start, last), *_conditions(metric, column))
            .group_by(column)
            .subquery()
        )
        rows = conn.execute(
            sa.select(first_seen.c.first_day, sa.func.count())
            .group_by(first_seen.c.first_day)
            .order_by(first_seen.c.first_day)
        ).all()
        ordinals = np.array([_ordinal(row[0]) for row in rows], dtype=np.int64)
        cumulative = np.cumsum([row[1] for row in rows], dtype=np.float64)
        for i in indexes:
            seen = np.searchsorted(ordinals, periods[i].end.toordinal(), side="right")
            values[i] = cumulative[seen - 1] if seen > 0 else 0.0
    return values


def _ordinal(value: Any) -> int:
    """A date from the store as an ordinal (SQLite can hand back ISO text)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10]).toordinal()
    return int(value.toordinal())


def _quantile(metric: Metric) -> float:
    agg = metric.aggregation
    if isinstance(agg, PercentileAggregation):
        return agg.percentile / 100.0
    assert isinstance(agg, MedianAggregation)
    return MEDIAN


def percentiles(
    conn: Connection, table: str, date_column: str, metric: Metric, periods: list[Period]
) -> np.ndarray:
    """The metric's median or percentile (linear interpolation) for every period."""
    values = np.full(len(periods), np.nan)
    if not periods:
        return values
    quantile = _quantile(metric)
    if conn.dialect.name != "postgresql":
        return _percentiles_from_counts(conn, table, date_column, metric, periods, quantile)
    agg = metric.aggregation
    assert isinstance(agg, MedianAggregation | PercentileAggregation)
    column: sa.ColumnClause[Any] = sa.column(agg.column)
    day = sa.column(date_column, sa.Date)
    bounds = (
        sa.values(
            sa.column("pid", sa.Integer),
            sa.column("p_start", sa.Date),
            sa.column("p_end", sa.Date),
            name="periods",
        )
        .data([(i, p.start, p.end) for i, p in enumerate(periods)])
        .cte("periods")
    )
    joined = sa.table(table).join(bounds, day.between(bounds.c.p_start, bounds.c.p_end))
    query = (
        sa.select(bounds.c.pid, sa.func.percentile_cont(quantile).within_group(column))
        .select_from(joined)
        .where(*_conditions(metric, column))
        .group_by(bounds.c.pid)
    )
    for pid, value in conn.execute(query):
        values[pid] = np.nan if value is None else float(value)
    return values


def _percentiles_from_counts(
    conn: Connection,
    table: str,
    date_column: str,
    metric: Metric,
    periods: list[Period],
    quantile: float,
) -> np.ndarray:
    """Exact percentiles from SQL's (day, value, count) groups of the raw rows.

    SQLite has no percentile function, and ranking the rows of every period with
    window functions sorts each row once per period it falls in (a year's rows
    for every to-date period). Instead SQL groups the rows by day and value, and
    each period's percentile is picked from the counts of its days' values:
    the same number percentile_cont gives, at a fraction of the work.
    """
    agg = metric.aggregation
    assert isinstance(agg, MedianAggregation | PercentileAggregation)
    column: sa.ColumnClause[Any] = sa.column(agg.column)
    day: sa.ColumnClause[Any] = sa.column(
        date_column
    )  # untyped: ISO strings on SQLite, parsed by numpy below
    first = min(period.start for period in periods)
    last = max(period.end for period in periods)
    query = (
        sa.select(day, column, sa.func.count())
        .select_from(sa.table(table))
        .where(
            day.between(sa.literal(first, sa.Date), sa.literal(last, sa.Date)),
            *_conditions(metric, column),
        )
        .group_by(day, column)
    )
    rows = conn.execute(query).all()
    values = np.full(len(periods), np.nan)
    if not rows:
        return values
    day_column, number_column, count_column = zip(*rows, strict=True)
    # Vectorized: numpy parses ISO date strings and date objects alike.
    days = np.array(day_column, dtype="datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL
    numbers = np.array(number_column, dtype=np.float64)
    counts = np.array(count_column, dtype=np.int64)
    by_day = np.argsort(days, kind="stable")
    days, numbers, counts = days[by_day], numbers[by_day], counts[by_day]
    for index, period in enumerate(periods):
        lo = np.searchsorted(days, period.start.toordinal(), side="left")
        hi = np.searchsorted(days, period.end.toordinal(), side="right")
        if hi > lo:
            values[index] = _weighted_percentile(numbers[lo:hi], counts[lo:hi], quantile)
    return values


def _weighted_percentile(numbers: np.ndarray, counts: np.ndarray, quantile: float) -> float:
    """percentile_cont over `numbers` repeated `counts` times (linear interpolation)."""
    order = np.argsort(numbers, kind="stable")
    numbers, cumulative = numbers[order], np.cumsum(counts[order])
    total = int(cumulative[-1])
    position = (total - 1) * quantile
    below = math.floor(position)
    # The (below + 1)-th and (below + 2)-th values in sorted order, 1-based.
    low = numbers[np.searchsorted(cumulative, below + 1)]
    high = numbers[np.searchsorted(cumulative, min(below + 2, total))]
    return float(low + (position - below) * (high - low))
