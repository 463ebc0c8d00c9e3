"""Non-additive metrics, computed per period from raw rows in SQL.

Weekly active customers are not a sum of daily active customers, and a
week's median is not a function of daily medians, so these never roll up from
days:

- `count_distinct`: periods that share a first day are answered by one query
  that finds each value's first appearance in the range; a cumulative count of
  first appearances then gives the distinct count through every end date.
- `median` / `percentile`: one query over the periods joined to the raw rows;
  PostgreSQL computes `percentile_cont` itself, other stores rank the rows with
  window functions and return the (at most two) rows around the percentile.
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
    quantile = _quantile(metric)
    if conn.dialect.name == "postgresql":
        query = (
            sa.select(bounds.c.pid, sa.func.percentile_cont(quantile).within_group(column))
            .select_from(joined)
            .where(*_conditions(metric, column))
            .group_by(bounds.c.pid)
        )
        for pid, value in conn.execute(query):
            values[pid] = np.nan if value is None else float(value)
        return values
    return _percentiles_by_rank(conn, joined, bounds, column, metric, quantile, values)


def _percentiles_by_rank(
    conn: Connection,
    joined: Any,
    bounds: Any,
    column: sa.ColumnClause[Any],
    metric: Metric,
    quantile: float,
    values: np.ndarray,
) -> np.ndarray:
    ranked = (
        sa.select(
            bounds.c.pid.label("pid"),
            column.label("value"),
            sa.func.row_number().over(partition_by=bounds.c.pid, order_by=column).label("rank"),
            sa.func.count().over(partition_by=bounds.c.pid).label("n"),
        )
        .select_from(joined)
        .where(*_conditions(metric, column))
        .subquery()
    )
    # 1-based ranks of the rows on either side of position (n - 1) * q.
    position = (ranked.c.n - 1) * quantile
    below = sa.cast(position, sa.Integer) + 1
    query = (
        sa.select(ranked.c.pid, ranked.c.rank, ranked.c.n, ranked.c.value)
        .where(ranked.c.rank.between(below, below + 1))
        .order_by(ranked.c.pid, ranked.c.rank)
    )
    around: dict[int, dict[int, float]] = defaultdict(dict)
    sizes: dict[int, int] = {}
    for pid, rank, n, value in conn.execute(query):
        around[pid][rank] = float(value)
        sizes[pid] = n
    for pid, ranks in around.items():
        exact = (sizes[pid] - 1) * quantile
        low = math.floor(exact)
        low_value = ranks[low + 1]
        high_value = ranks.get(low + 2, low_value)
        values[pid] = low_value + (exact - low) * (high_value - low_value)
    return values
