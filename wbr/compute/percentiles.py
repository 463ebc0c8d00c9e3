"""Medians and percentiles, computed per period from raw rows in SQL.

A week's median is not a function of daily medians, so these never roll up
from days.

- PostgreSQL, DuckDB and Spark compute `percentile_cont` over the periods joined to
  the raw rows through a day map (`wbr.compute.day_maps`). Metrics of
  one table are computed together, each aggregate with its own FILTER, so the
  join is done once for several of them; a budget of joined rows per query
  keeps memory bounded however many rows the table holds.
- SQLite has no percentile function: SQL groups the rows by day and value and
  the exact percentile is picked from those counts (`_percentiles_from_counts`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.calendar import Period
from wbr.compute.day_maps import DayMaps, day_maps
from wbr.compute.filters import all_of
from wbr.compute.holistic import conditions
from wbr.registry.aggregations import MedianAggregation, PercentileAggregation
from wbr.registry.models import Metric

MEDIAN = 0.5
# percentile_cont WITHIN GROUP (exact, linear interpolation; Spark SQL since 3.3)
PERCENTILE_CONT_DIALECTS = ("postgresql", "duckdb", "spark")
# Joined rows one query may hold for its percentiles (each aggregate keeps its
# values until it sorts them): 20 M doubles are 160 MB, well inside DuckDB's
# memory limit, whatever the size of the table.
ROWS_PER_QUERY = 20_000_000
METRICS_PER_QUERY = 8  # past this, one query's plan grows without saving a join
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # numpy counts days from 1970-01-01


@dataclass(frozen=True, slots=True)
class PercentileJob:
    """One metric's periods, and an upper bound of the rows each period reads."""

    metric: Metric
    rows: np.ndarray  # per period: rows with a value before the metric's filters


def quantile_of(metric: Metric) -> float:
    agg = metric.aggregation
    if isinstance(agg, PercentileAggregation):
        return agg.percentile / 100.0
    assert isinstance(agg, MedianAggregation)
    return MEDIAN


def _value_column(metric: Metric) -> sa.ColumnClause[Any]:
    agg = metric.aggregation
    assert isinstance(agg, MedianAggregation | PercentileAggregation)
    return sa.column(agg.column)


def percentiles(
    conn: Connection, table: str, date_column: str, metric: Metric, periods: list[Period]
) -> np.ndarray:
    """One metric's median or percentile (linear interpolation) for every period."""
    job = PercentileJob(metric, np.zeros(len(periods)))
    with day_maps(conn) as maps:
        return percentiles_together(conn, table, date_column, [job], periods, maps)[metric.name]


def percentiles_together(
    conn: Connection,
    table: str,
    date_column: str,
    jobs: Sequence[PercentileJob],
    periods: list[Period],
    maps: DayMaps,
) -> dict[str, np.ndarray]:
    """Several metrics of one table over the same periods, as few queries as the budget allows."""
    if not periods:
        return {job.metric.name: np.full(0, np.nan) for job in jobs}
    # Periods of other grains over the same days have the same percentiles: a month and
    # its month-to-date, a quarter's or a year's first month, last year's to-dates in
    # January. Each range is computed once: a January refresh joined each new row to
    # five periods and last January's rows to three, and took 0.33 s at 300 metrics.
    slot_of: dict[tuple[date, date], int] = {}
    slots = np.array([slot_of.setdefault((p.start, p.end), len(slot_of)) for p in periods])
    if len(slot_of) < len(periods):
        first = np.unique(slots, return_index=True)[1]  # each range's first period
        distinct = percentiles_together(
            conn,
            table,
            date_column,
            [PercentileJob(job.metric, job.rows[first]) for job in jobs],
            [periods[i] for i in first],
            maps,
        )
        return {name: values[slots] for name, values in distinct.items()}
    if conn.dialect.name not in PERCENTILE_CONT_DIALECTS:
        return {
            job.metric.name: _percentiles_from_counts(conn, table, date_column, job, periods)
            for job in jobs
        }
    found = {job.metric.name: np.full(len(periods), np.nan) for job in jobs}
    for group in _metric_groups(jobs):
        rows = np.sum([job.rows for job in group], axis=0)
        for chunk in _period_chunks(rows):
            chosen = [periods[i] for i in chunk]
            days = maps.table([(period.start, period.end) for period in chosen])
            for name, values in _percentile_cont(
                conn, table, date_column, group, days, len(chosen)
            ).items():
                found[name][chunk] = values
    return found


def _metric_groups(jobs: Sequence[PercentileJob]) -> list[list[PercentileJob]]:
    """Metrics to compute in one query: as many as fit the budget together."""
    groups: list[list[PercentileJob]] = []
    load = 0.0
    for job in jobs:
        rows = float(job.rows.sum())
        if groups and len(groups[-1]) < METRICS_PER_QUERY and load + rows <= ROWS_PER_QUERY:
            groups[-1].append(job)
            load += rows
        else:
            groups.append([job])
            load = rows
    return groups


def _period_chunks(rows: np.ndarray) -> list[np.ndarray]:
    """Indexes of periods, split so that each chunk's rows fit the budget."""
    chunks: list[list[int]] = [[]]
    load = 0.0
    for index, count in enumerate(rows):
        if chunks[-1] and load + count > ROWS_PER_QUERY:
            chunks.append([])
            load = 0.0
        chunks[-1].append(index)
        load += float(count)
    return [np.array(chunk, dtype=np.int64) for chunk in chunks]


def _percentile_cont(
    conn: Connection,
    table: str,
    date_column: str,
    group: Sequence[PercentileJob],
    days: sa.Table,
    ranges: int,
) -> dict[str, np.ndarray]:
    """percentile_cont of each metric in `group` for each of the `ranges` of the day map."""
    day = sa.column(date_column, sa.Date)
    selects: list[sa.ColumnElement[Any]] = [days.c.wbr_rid]
    where: list[sa.ColumnElement[bool]] = []
    for job in group:
        column = _value_column(job.metric)
        aggregate = sa.func.percentile_cont(quantile_of(job.metric)).within_group(column)
        condition = all_of(getattr(job.metric.aggregation, "filters", ()))
        if len(group) == 1:
            where = conditions(job.metric, column)
        elif condition is not None:
            aggregate = aggregate.filter(condition)  # type: ignore[assignment]
        selects.append(aggregate)
    query = (
        sa.select(*selects)
        .select_from(sa.table(table).join(days, day == days.c.wbr_day))
        .where(*where)
        .group_by(days.c.wbr_rid)
    )
    found = {job.metric.name: np.full(ranges, np.nan) for job in group}
    for row in conn.execute(query):
        for job, value in zip(group, row[1:], strict=True):
            found[job.metric.name][row[0]] = np.nan if value is None else float(value)
    return found


def _percentiles_from_counts(
    conn: Connection,
    table: str,
    date_column: str,
    job: PercentileJob,
    periods: list[Period],
) -> np.ndarray:
    """Exact percentiles from SQL's (day, value, count) groups of the raw rows.

    SQLite has no percentile function, and ranking the rows of every period with
    window functions sorts each row once per period it falls in (a year's rows
    for every to-date period). Instead SQL groups the rows by day and value, and
    each period's percentile is picked from the counts of its days' values:
    the same number percentile_cont gives, at a fraction of the work.
    """
    metric = job.metric
    column = _value_column(metric)
    # Untyped: ISO strings on SQLite, parsed by numpy below.
    day: sa.ColumnClause[Any] = sa.column(date_column)
    first = min(period.start for period in periods)
    last = max(period.end for period in periods)
    query = (
        sa.select(day, column, sa.func.count())
        .select_from(sa.table(table))
        .where(
            day.between(sa.literal(first, sa.Date), sa.literal(last, sa.Date)),
            *conditions(metric, column),
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
    quantile = quantile_of(metric)
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
