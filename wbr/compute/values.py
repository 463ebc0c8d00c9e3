"""Metric values for a list of periods, from daily series and per-period SQL."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy.engine import Connection, Engine

from wbr.calendar import Period
from wbr.compute.daily import DailySeries, daily_series
from wbr.compute.day_maps import DayMaps, day_maps
from wbr.compute.holistic import count_distinct
from wbr.compute.percentiles import PercentileJob, percentiles_together
from wbr.compute.periods import (
    PeriodOrdinals,
    PeriodValues,
    combine_formula,
    combine_ratio,
    day_offsets,
    presence,
    range_sums,
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


def _percentile_values(
    conn: Connection,
    registry: Registry,
    series: dict[str, DailySeries],
    periods: list[Period],
    holistic_wanted: dict[str, np.ndarray],
    maps: DayMaps,
) -> dict[str, np.ndarray]:
    """Every median and percentile metric's values, metrics of one table together."""
    batches: dict[tuple[SourceRead, bytes], list[Metric]] = defaultdict(list)
    for metric in registry.metrics:
        wanted = holistic_wanted.get(metric.name)
        if (
            isinstance(metric.aggregation, NON_ADDITIVE)
            and not isinstance(metric.aggregation, CountDistinctAggregation)
            and metric.name in series
            and wanted is not None
            and wanted.any()
        ):
            batches[(source_read(registry, metric), wanted.tobytes())].append(metric)
    found: dict[str, np.ndarray] = {}
    for (read, _), metrics in batches.items():
        wanted = holistic_wanted[metrics[0].name]
        chosen = _chosen(periods, wanted)
        jobs = [PercentileJob(m, _rows_per_period(series[m.name], chosen)) for m in metrics]
        together = percentiles_together(conn, read.table, read.date_column, jobs, chosen, maps)
        for name, values in together.items():
            found[name] = np.full(len(periods), np.nan)
            found[name][wanted] = values
    return found


def _distinct_counts(
    conn: Connection,
    registry: Registry,
    metric: Metric,
    periods: list[Period],
    wanted: np.ndarray,
    maps: DayMaps,
) -> np.ndarray:
    read = source_read(registry, metric)
    found = np.full(len(periods), np.nan)
    chosen = _chosen(periods, wanted)
    found[wanted] = count_distinct(conn, read.table, read.date_column, metric, chosen, maps)
    return found


def _chosen(periods: list[Period], wanted: np.ndarray) -> list[Period]:
    return [period for period, keep in zip(periods, wanted, strict=True) if keep]


def _rows_per_period(series: DailySeries, periods: list[Period]) -> np.ndarray:
    """How many rows with a value each period holds (the series' per-day counts)."""
    if not periods:
        return np.zeros(0)
    starts, ends = day_offsets(periods, series.first_day)
    return range_sums(series.counts, starts, ends)


def compute_values(
    conn: Connection,
    registry: Registry,
    series: dict[str, DailySeries],
    periods: list[Period],
    holistic_wanted: dict[str, np.ndarray],
) -> dict[str, PeriodValues]:
    """Every metric over `periods`; non-additive ones only where `holistic_wanted` says.

    `conn` reads the raw tables.
    """
    with day_maps(conn) as maps:
        percentile_values = _percentile_values(
            conn, registry, series, periods, holistic_wanted, maps
        )
        values: dict[str, PeriodValues] = {}
        ordinals = PeriodOrdinals.of(periods)
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
                if wanted is None or not wanted.any():
                    continue
                if isinstance(agg, CountDistinctAggregation):
                    found = _distinct_counts(conn, registry, metric, periods, wanted, maps)
                else:
                    found = percentile_values[metric.name]
                present = presence(series[metric.name], periods)
                values[metric.name] = with_values(found, present, wanted)
            else:
                values[metric.name] = roll_up(metric, series[metric.name], periods, ordinals)
        return values


def _nullable(number: float) -> float | None:
    return None if np.isnan(number) else float(number)


def compute_on_demand(
    raw_engine: Engine, registry: Registry, metrics: list[Metric], periods: list[Period]
) -> dict[str, dict[Period, tuple[float | None, bool]]]:
    """Medians and percentiles for `periods`, from raw rows, without storing them.

    Metrics of one table are read together: one daily scan for completeness,
    then their percentiles in as few queries as the memory budget allows.
    """
    by_read: dict[SourceRead, list[Metric]] = defaultdict(list)
    for metric in metrics:
        by_read[source_read(registry, metric)].append(metric)
    found: dict[str, dict[Period, tuple[float | None, bool]]] = {}
    everywhere = np.ones(len(periods), dtype=bool)
    with raw_engine.connect() as conn, day_maps(conn) as maps:
        for read, group in by_read.items():
            series = daily_series(conn, read.table, read.date_column, group)
            jobs = [
                PercentileJob(m, _rows_per_period(series[m.name], periods))
                for m in group
                if m.name in series
            ]
            together = percentiles_together(conn, read.table, read.date_column, jobs, periods, maps)
            for metric in group:
                if metric.name not in series:
                    found[metric.name] = {period: (None, False) for period in periods}
                    continue
                result = with_values(
                    together[metric.name], presence(series[metric.name], periods), everywhere
                )
                found[metric.name] = {
                    period: (_nullable(result.value[i]), bool(result.complete[i]))
                    for i, period in enumerate(periods)
                }
    return found


def first_and_last_day(series: dict[str, DailySeries]) -> tuple[date, date]:
    return (
        min(s.first_day for s in series.values()),
        max(s.last_day for s in series.values()),
    )
