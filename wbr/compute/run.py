"""Compute every metric for every period a deck can show, and store the values.

The deck reads only these stored values, so a page view never touches raw rows.
The whole set is replaced in one transaction: a failed computation leaves the
previous values in place.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wbr import calendar as cal
from wbr.calendar import Grain, Period
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
from wbr.errors import ComputeError
from wbr.registry.aggregations import (
    NON_ADDITIVE,
    CountDistinctAggregation,
    FormulaAggregation,
    RatioAggregation,
)
from wbr.registry.formula import formula_references
from wbr.registry.models import Metric, Registry
from wbr.store.raw import raw_table_name
from wbr.store.schema import compute_runs, metric_values

INSERT_BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class ComputeReport:
    metrics: int
    periods: int
    rows_written: int
    first_day: date | None
    last_day: date | None
    latest_week_ending: date | None


def needed_periods(first_day: date, last_day: date, registry: Registry) -> list[Period]:
    """Every period a deck for any complete week in [first_day, last_day] can show."""
    project = registry.project
    fy_end = project.fiscal_year_end_month
    latest = cal.latest_week_ending(last_day, project.week_ends_on.iso_index)
    periods: set[Period] = set()
    week_ending = latest
    while week_ending >= first_day:
        this_week = cal.week(week_ending)
        periods.update((this_week, cal.prior_year_week(this_week)))
        for to_date in (
            cal.month_to_date(week_ending),
            cal.quarter_to_date(week_ending, fy_end),
            cal.year_to_date(week_ending, fy_end),
        ):
            periods.update((to_date.current, to_date.prior_year))
        week_ending -= timedelta(days=cal.DAYS_PER_WEEK)
    year, month_number = first_day.year, first_day.month
    while date(year, month_number, 1) <= last_day:
        periods.add(cal.month(year, month_number))
        year, month_number = cal.add_months(year, month_number, 1)
    return sorted(period for period in periods if period.end >= first_day)


def _dependency_order(metrics: dict[str, Metric]) -> list[Metric]:
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


def _read_daily(conn: Connection, registry: Registry) -> dict[str, DailySeries]:
    """One GROUP BY per (table, date column) over all metrics that read it."""
    groups: dict[SourceRead, list[Metric]] = defaultdict(list)
    for metric in registry.metrics:
        if metric.reads_source and metric.source is not None:
            groups[source_read(registry, metric)].append(metric)
    series: dict[str, DailySeries] = {}
    for read, metrics in groups.items():
        series.update(daily_series(conn, read.table, read.date_column, metrics))
    return series


def _precomputed(periods: list[Period], latest: date) -> np.ndarray:
    """Which periods a median or percentile is computed for ahead of time.

    Every week and month (the charts), and the to-date periods of the latest
    week (its box). A percentile over a year of rows costs a sort of that
    year, so older weeks' to-date values are computed when a deck asks for them.
    """
    latest_to_date = {
        td.current
        for td in (
            cal.month_to_date(latest),
            cal.quarter_to_date(latest, 12),
            cal.year_to_date(latest, 12),
        )
    }
    return np.array(
        [
            p.grain in (Grain.WEEK, Grain.MONTH)
            or p.end in (latest, cal.same_date_last_year(latest))
            or p in latest_to_date
            for p in periods
        ],
        dtype=bool,
    )


def holistic_values(
    conn: Connection,
    registry: Registry,
    metric: Metric,
    series: DailySeries,
    periods: list[Period],
    computed: np.ndarray,
) -> PeriodValues:
    read = source_read(registry, metric)
    wanted = [period for period, keep in zip(periods, computed, strict=True) if keep]
    if isinstance(metric.aggregation, CountDistinctAggregation):
        found = count_distinct(conn, read.table, read.date_column, metric, wanted)
    else:
        found = percentiles(conn, read.table, read.date_column, metric, wanted)
    values = np.full(len(periods), np.nan)
    values[computed] = found
    return with_values(values, presence(series, periods), computed)


def compute_values(
    conn: Connection,
    registry: Registry,
    series: dict[str, DailySeries],
    periods: list[Period],
    latest: date,
) -> dict[str, PeriodValues]:
    values: dict[str, PeriodValues] = {}
    everything = np.ones(len(periods), dtype=bool)
    for metric in _dependency_order(registry.metrics_by_name):
        agg = metric.aggregation
        if isinstance(agg, RatioAggregation):
            if agg.numerator in values and agg.denominator in values:
                values[metric.name] = combine_ratio(
                    agg, (values[agg.numerator], values[agg.denominator])
                )
        elif isinstance(agg, FormulaAggregation):
            names = formula_references(agg.expression)
            if all(name in values for name in names):
                values[metric.name] = combine_formula(agg, {n: values[n] for n in names})
        elif metric.name not in series:
            continue  # its table has no rows
        elif isinstance(agg, NON_ADDITIVE):
            computed = (
                everything
                if isinstance(agg, CountDistinctAggregation)
                else (_precomputed(periods, latest))
            )
            values[metric.name] = holistic_values(
                conn, registry, metric, series[metric.name], periods, computed
            )
        else:
            values[metric.name] = roll_up(metric, series[metric.name], periods)
    return values


def _nullable(number: float) -> float | None:
    return None if math.isnan(number) else float(number)


def _rows(
    values: dict[str, PeriodValues], periods: list[Period], computed_at: datetime
) -> Iterator[dict[str, object]]:
    for metric, result in values.items():
        for index, period in enumerate(periods):
            if result.days_present[index] == 0:
                continue  # no data at all: the deck shows N/A for a missing row
            if result.computed is not None and not result.computed[index]:
                continue  # computed on demand (see _precomputed)
            yield {
                "metric": metric,
                "grain": period.grain.value,
                "period_start": period.start,
                "period_end": period.end,
                "value": _nullable(result.value[index]),
                "numerator": _nullable(result.numerator[index]),
                "denominator": _nullable(result.denominator[index]),
                "days_present": int(result.days_present[index]),
                "days_expected": int(result.days_expected[index]),
                "complete": bool(result.complete[index]),
                "computed_at": computed_at,
            }


def _batches(rows: Iterator[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= INSERT_BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def compute(engine: Engine, registry: Registry) -> ComputeReport:
    """Recompute all metric values from the raw tables and replace the stored set."""
    started = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(
            compute_runs.insert()
            .values(started_at=started, status="running")
            .returning(compute_runs.c.id)
        ).scalar_one()
    try:
        with engine.begin() as conn:
            series = _read_daily(conn, registry)
            if not series:
                raise ComputeError("the raw tables hold no rows; run `wbr ingest` first")
            first_day = min(s.first_day for s in series.values())
            last_day = max(s.last_day for s in series.values())
            periods = needed_periods(first_day, last_day, registry)
            latest = cal.latest_week_ending(last_day, registry.project.week_ends_on.iso_index)
            values = compute_values(conn, registry, series, periods, latest)
            conn.execute(metric_values.delete())
            written = 0
            for batch in _batches(_rows(values, periods, started)):
                conn.execute(metric_values.insert(), batch)
                written += len(batch)
    except Exception as error:
        with engine.begin() as conn:
            conn.execute(
                compute_runs.update()
                .where(compute_runs.c.id == run_id)
                .values(finished_at=datetime.now(UTC), status="failed", error=str(error))
            )
        raise
    with engine.begin() as conn:
        conn.execute(
            compute_runs.update()
            .where(compute_runs.c.id == run_id)
            .values(
                finished_at=datetime.now(UTC),
                status="succeeded",
                metrics_computed=len(values),
                periods_written=written,
            )
        )
    return ComputeReport(len(values), len(periods), written, first_day, last_day, latest)


def stored_week_endings(engine: Engine) -> list[date]:
    """Week-ending dates with stored values, oldest first."""
    query = (
        sa.select(metric_values.c.period_end)
        .where(metric_values.c.grain == cal.Grain.WEEK.value)
        .distinct()
        .order_by(metric_values.c.period_end)
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]


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
