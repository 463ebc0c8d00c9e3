"""Metric values for a list of periods, from daily series and per-period SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy.engine import Connection, Engine

from wbr.calendar import Period
from wbr.compute.daily import DailySeries, daily_series
from wbr.compute.holistic import count_distinct, percentiles
from wbr.compute.periods import (
    PeriodValues,
    combine_formula,
    combine_ratio,
    presence,
    roll_up,
    with_values,
)
from wbr.registry.aggregations import (
    NON_ADDITIVE,
    CountDistinctAggregation,
    FormulaAggregation,
    RatioAggregation,
)
from wbr.registry.formula import formula_references
from wbr.registry.models import Metric, Registry
from wbr.store.raw import raw_table_name


@dataclass(frozen=True, slots=True)
class SourceRead:
    """Where a metric's raw rows are: its raw table and date column."""

    table: str
    date_column: str


def source_read(registry: Registry, metric: Metric) -> SourceRead:
    assert metric.source is not None
    source = registry.sources[metric.source]
    return SourceRead(
        raw_table_name(source.table_name(metric.source)), metric.date_column or source.date_column
    )


def dependency_order(metrics: dict[str, Metric]) -> list[Metric]:
    """Metrics ordered so that every metric comes after the metrics it is computed from."""
    ordered: list[Metric] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        for part in metrics[name].depends_on:
            visit(part)
        done.add(name)
        ordered.append(metrics[name])

    for name in metrics:
        visit(name)
    return ordered


def holistic_values(
    conn: Connection,
    registry: Registry,
    metric: Metric,
    series: DailySeries,
    periods: list[Period],
    wanted: np.ndarray,
) -> PeriodValues:
    """A non-additive metric, computed in SQL for the `wanted` periods only."""
    read = source_read(registry, metric)
    chosen = [period for period, keep in zip(periods, wanted, strict=True) if keep]
    if isinstance(metric.aggregation, CountDistinctAggregation):
        found = count_distinct(conn, read.table, read.date_column, metric, chosen)
    else:
        found = percentiles(conn, read.table, read.date_column, metric, chosen)
    values = np.full(len(periods), np.nan)
    values[wanted] = found
    return with_values(values, presence(series, periods), wanted)


def compute_values(
    conn: Connection,
    registry: Registry,
    series: dict[str, DailySeries],
    periods: list[Period],
    holistic_wanted: dict[str, np.ndarray],
) -> dict[str, PeriodValues]:
    """Every metric over `periods`; non-additive ones only where `holistic_wanted` says."""
    values: dict[str, PeriodValues] = {}
    for metric in dependency_order(registry.metrics_by_name):
        agg = metric.aggregation
        if isinstance(agg, RatioAggregation):
            if agg.numerator in values and agg.denominator in values:
                parts = (values[agg.numerator], values[agg.denominator])
                values[metric.name] = combine_ratio(agg, parts)
        elif isinstance(agg, FormulaAggregation):
            names = formula_references(agg.expression)
            if all(name in values for name in names):
                values[metric.name] = combine_formula(agg, {n: values[n] for n in names})
        elif metric.name not in series:
            continue  # its table has no rows
        elif isinstance(agg, NON_ADDITIVE):
            wanted = holistic_wanted.get(metric.name)
            if wanted is not None and wanted.any():
                values[metric.name] = holistic_values(
                    conn, registry, metric, series[metric.name], periods, wanted
                )
        else:
            values[metric.name] = roll_up(metric, series[metric.name], periods)
    return values


def _nullable(number: float) -> float | None:
    return None if np.isnan(number) else float(number)


def compute_on_demand(
    engine: Engine, registry: Registry, metric: Metric, periods: list[Period]
) -> dict[Period, tuple[float | None, bool]]:
    """A median or percentile for `periods`, from raw rows, without storing it."""
    read = source_read(registry, metric)
    with engine.connect() as conn:
        series = daily_series(conn, read.table, read.date_column, [metric]).get(metric.name)
        if series is None:
            return {period: (None, False) for period in periods}
        found = percentiles(conn, read.table, read.date_column, metric, periods)
    result = with_values(found, presence(series, periods), np.ones(len(periods), dtype=bool))
    return {
        period: (_nullable(result.value[i]), bool(result.complete[i]))
        for i, period in enumerate(periods)
    }


def first_and_last_day(series: dict[str, DailySeries]) -> tuple[date, date]:
    return (
        min(s.first_day for s in series.values()),
        max(s.last_day for s in series.values()),
    )
