"""Detect anomalies for every metric of a project, from the stored weekly values.

`detect_project` reads the complete weeks of `metric_values`, scores each
metric with its `anomaly:` settings, attaches the root-cause hint to the flags
of metrics with `dimensions`, and writes the flags idempotently (see
`wbr.anomalies.store`). The scheduler runs it after `compute`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr.anomalies import fit_cache, resume, store
from wbr.anomalies.model import Flag, FlagStatus
from wbr.anomalies.rootcause import contributors, measure_of
from wbr.anomalies.series import DetectionError, SeriesContext, detect_series
from wbr.errors import ComputeError
from wbr.registry.models import Metric, Registry
from wbr.registry.vocabulary import DetectionMethod
from wbr.store.schema import metric_values


@dataclass(frozen=True, slots=True)
class WeeklyValues:
    """One metric's stored weeks: value (NaN when incomplete), volume and denominator."""

    value: pd.Series
    volume: pd.Series
    denominator: dict[date, float]


@dataclass(frozen=True, slots=True)
class DetectionReport:
    run_id: int
    metrics_scored: int
    weeks_scored: int
    latest_week: date | None
    flags: tuple[Flag, ...]  # every flag this run produced, all weeks
    inserted: int
    updated: int  # found again
    resolved: int
    warnings: tuple[str, ...] = ()
    changed: int = 0  # of the updated, those whose values or explanation changed
    resumed: int = 0  # metrics scored from the last run's state on (`wbr.anomalies.resume`)

    @property
    def latest_flags(self) -> tuple[Flag, ...]:
        return tuple(flag for flag in self.flags if flag.week_ending == self.latest_week)

    @property
    def open_count(self) -> int:
        return sum(flag.status is FlagStatus.OPEN for flag in self.flags)


def read_weekly_values(engine: Engine) -> dict[str, WeeklyValues]:
    """Every metric's weekly rows; incomplete weeks (and missing values) are NaN."""
    table = metric_values
    query = (
        sa.select(
            table.c.metric,
            table.c.period_end,
            table.c.value,
            table.c.denominator,
            table.c.complete,
        )
        .where(table.c.grain == "week")
        .order_by(table.c.metric, table.c.period_end)
    )
    rows: dict[str, list[tuple[date, float, float, float]]] = defaultdict(list)
    with engine.connect() as conn:
        for metric, end, value, denominator, complete in conn.execute(query):
            usable = complete and value is not None
            number = float(value) if usable else math.nan
            base = float(denominator) if denominator is not None else math.nan
            volume = base if not math.isnan(base) else number
            rows[metric].append((end, number, volume, base))
    found = {}
    for metric, items in rows.items():
        index = pd.DatetimeIndex(pd.to_datetime([end for end, *_ in items]))
        found[metric] = WeeklyValues(
            pd.Series([item[1] for item in items], index=index, dtype=float),
            pd.Series([item[2] for item in items], index=index, dtype=float),
            {end: base for end, _, _, base in items if not math.isnan(base)},
        )
    return found


def _context(metric: Metric, registry: Registry) -> SeriesContext:
    return SeriesContext(
        metric=metric.name,
        grain="week",
        direction=metric.direction.value,
        unit=metric.unit.value,
        currency_symbol=registry.project.currency_symbol,
        events=registry.project.events,
    )


def _with_contributors(
    raw_engine: Engine, metric: Metric, registry: Registry, flags: list[Flag], weekly: WeeklyValues
) -> tuple[list[Flag], list[str]]:
    measure = measure_of(metric, registry)
    if measure is None:
        kind = metric.aggregation.type
        return flags, [f"`{metric.name}`: a {kind} metric has no root-cause hint by dimension"]
    pairs = [(f.week_ending, f.comparison_week) for f in flags if f.comparison_week is not None]
    if not pairs:
        return flags, []
    try:
        with raw_engine.connect() as conn:
            found = contributors(conn, metric, measure, pairs, weekly.denominator)
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        return flags, [f"`{metric.name}`: no root-cause hint ({reason})"]
    hinted = [replace(f, contributors=found.get(f.week_ending, ())) for f in flags]
    return hinted, []


def detect_project(
    engine: Engine,
    registry: Registry,
    raw_engine: Engine | None = None,
    fits_file: Path | None = None,
) -> DetectionReport:
    """Score every metric's complete weeks and store the flags (idempotent).

    `raw_engine` is the raw tables' store (for root-cause hints) when not `engine`.
    `fits_file`: where seasonal fits are kept between runs (`wbr.anomalies.fit_cache`,
    `fit_cache.project_file(registry_file)`), and beside it the scorers' states
    (`wbr.anomalies.resume`); None fits and scores every series from the start.
    """
    raw_store = raw_engine if raw_engine is not None else engine
    now = datetime.now(UTC)
    run_id = store.start_run(engine, now)
    try:
        weekly = read_weekly_values(engine)
        if not weekly:
            raise ComputeError("the store holds no weekly values; run `wbr compute` first")
        flags: list[Flag] = []
        warnings: list[str] = []
        scored = weeks = 0
        with (
            fit_cache.fits_kept_in(fits_file),
            resume.states_kept_in(resume.project_file(fits_file)) as states,
        ):
            for metric in registry.metrics:
                values = weekly.get(metric.name)
                if metric.anomaly.method is DetectionMethod.OFF or values is None:
                    continue
                try:
                    found = detect_series(
                        values.value, metric.anomaly, _context(metric, registry), values.volume
                    )
                except DetectionError as error:
                    warnings.append(f"`{metric.name}`: {error}")
                    continue
                scored += 1
                weeks += int(values.value.notna().sum())
                if found and metric.dimensions:
                    found, problems = _with_contributors(raw_store, metric, registry, found, values)
                    warnings.extend(problems)
                flags.extend(found)
        with engine.begin() as conn:
            counts = store.write_flags(conn, flags, run_id, now)
    except Exception as error:
        store.finish_run(engine, run_id, datetime.now(UTC), status="failed", error=str(error))
        raise
    store.finish_run(
        engine,
        run_id,
        datetime.now(UTC),
        status="succeeded",
        metrics_scored=scored,
        flags_open=sum(flag.status is FlagStatus.OPEN for flag in flags),
        flags_resolved=counts.resolved,
    )
    # Each series' last week with a value, not every week as a date (0.1 s at 300 metrics).
    valid = (w.value.dropna().index for w in weekly.values())
    ends = [pd.Timestamp(index.max()).date() for index in valid if len(index)]
    return DetectionReport(
        run_id=run_id,
        metrics_scored=scored,
        weeks_scored=weeks,
        latest_week=max(ends) if ends else None,
        flags=tuple(flags),
        inserted=counts.inserted,
        updated=counts.updated,
        changed=counts.changed,
        resolved=counts.resolved,
        warnings=tuple(warnings),
        resumed=0 if states is None else states.resumed,
    )


__all__ = ["DetectionReport", "WeeklyValues", "detect_project", "read_weekly_values"]
