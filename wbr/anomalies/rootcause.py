"""Root-cause hint: which dimension values drove a flagged week's change.

For a metric with `dimensions`, its raw table is grouped by each dimension for
the flagged week and its comparison week (the last week before it that was not
flagged), in SQL. A value's contribution is its part of the metric's change
from the comparison week, so the contributions of a dimension add up to the
change:

* sum and count: the value's own change;
* mean (sum / count) and ratio (numerator / denominator): the change of the
  value's numerator over the whole week's denominator, N_v / D, so a region
  whose numerator fell moves the rate by exactly its contribution.

Other aggregations (min, max, distinct counts, percentiles, formulas) do not
decompose into parts and get no hint.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.anomalies.model import Contributor
from wbr.compute.filters import all_of
from wbr.registry.aggregations import (
    CountAggregation,
    Filter,
    MeanAggregation,
    RatioAggregation,
    SumAggregation,
)
from wbr.registry.models import Metric, Registry
from wbr.store.raw import raw_table_name

TOP_CONTRIBUTORS = 5  # per dimension, largest drivers of the change first
MISSING_VALUE = "(missing)"
DAYS_PER_WEEK = 7


@dataclass(frozen=True, slots=True)
class Measure:
    """What to sum per dimension value, and whether to divide by the week's denominator."""

    table: str
    date_column: str
    column: str | None  # None: COUNT(*)
    counts: bool  # COUNT instead of SUM
    filters: tuple[Filter, ...]
    per_denominator: bool  # mean or ratio: N_v / D
    scale: float


def measure_of(metric: Metric, registry: Registry) -> Measure | None:
    """How `metric` decomposes over a dimension, or None when it does not."""
    agg, scale, base = metric.aggregation, 1.0, metric
    if isinstance(agg, RatioAggregation):
        base = registry.metrics_by_name.get(agg.numerator, metric)
        scale = agg.scale
        if not isinstance(base.aggregation, SumAggregation | CountAggregation):
            return None
    part = base.aggregation
    if base.source is None or base.source not in registry.sources:
        return None
    if not isinstance(part, SumAggregation | CountAggregation | MeanAggregation):
        return None
    source = registry.sources[base.source]
    return Measure(
        table=raw_table_name(source.table_name(base.source)),
        date_column=base.date_column or source.date_column,
        column=part.column,
        counts=isinstance(part, CountAggregation),
        filters=tuple(part.filters),
        per_denominator=isinstance(agg, RatioAggregation | MeanAggregation),
        scale=scale,
    )


def _by_value_and_week(
    conn: Connection, measure: Measure, dimension: str, weeks: Sequence[date]
) -> dict[str, dict[date, float]]:
    """Per dimension value, the measure's total in each of `weeks` (week-ending dates)."""
    day = sa.column(measure.date_column, sa.Date)
    ranges = [(end - timedelta(days=DAYS_PER_WEEK - 1), end) for end in weeks]
    bucket = sa.case(*((day.between(start, end), sa.literal(end)) for start, end in ranges))
    column: sa.ColumnClause[Any] | None = (
        sa.column(measure.column) if measure.column is not None else None
    )
    conditions = [sa.or_(*(day.between(start, end) for start, end in ranges))]
    filtered = all_of(measure.filters)
    if filtered is not None:
        conditions.append(filtered)
    amount = column if column is not None else sa.literal(1)
    inner = (
        sa.select(
            sa.column(dimension).label("value"),
            bucket.label("week"),
            amount.label("amount"),
        )
        .select_from(sa.table(measure.table))
        .where(*conditions)
        .subquery()
    )
    total: sa.ColumnElement[Any] = (
        sa.func.count(inner.c.amount) if measure.counts else sa.func.sum(inner.c.amount)
    )
    query = sa.select(inner.c.value, inner.c.week, total.label("total")).group_by(
        inner.c.value, inner.c.week
    )
    result: dict[str, dict[date, float]] = defaultdict(dict)
    for value, week, amount_total in conn.execute(query):
        name = MISSING_VALUE if value is None else str(value)
        week_date = week if isinstance(week, date) else date.fromisoformat(str(week))
        result[name][week_date] = float(amount_total or 0.0)
    return result


def _ranked(
    dimension: str,
    totals: Mapping[str, Mapping[date, float]],
    week: date,
    comparison: date,
    divisor: tuple[float, float],
) -> tuple[Contributor, ...]:
    current_div, comparison_div = divisor
    parts = []
    for value, by_week in totals.items():
        current = by_week.get(week, 0.0) / current_div
        before = by_week.get(comparison, 0.0) / comparison_div
        parts.append((value, current, before, current - before))
    change = sum(part[3] for part in parts)
    direction = 1.0 if change >= 0 else -1.0
    parts.sort(key=lambda part: (-direction * part[3], part[0]))
    return tuple(
        Contributor(dimension, value, current, before, delta, delta / change if change else None)
        for value, current, before, delta in parts[:TOP_CONTRIBUTORS]
    )


def contributors(
    conn: Connection,
    metric: Metric,
    measure: Measure,
    weeks: Sequence[tuple[date, date]],
    denominators: Mapping[date, float],
) -> dict[date, tuple[Contributor, ...]]:
    """For each (flagged week, comparison week), the ranked contributors per dimension.

    `denominators` holds the metric's weekly denominator (its stored
    `denominator`) for means and ratios; it is unused for sums and counts.
    """
    needed = sorted({day for pair in weeks for day in pair})
    found: dict[date, list[Contributor]] = defaultdict(list)
    for dimension in metric.dimensions:
        totals = _by_value_and_week(conn, measure, dimension, needed)
        for week, comparison in weeks:
            divisor = (1.0, 1.0)
            if measure.per_denominator:
                current, before = denominators.get(week), denominators.get(comparison)
                if not current or not before:
                    continue
                divisor = (current / measure.scale, before / measure.scale)
            found[week].extend(_ranked(dimension, totals, week, comparison, divisor))
    return {week: tuple(parts) for week, parts in found.items()}
