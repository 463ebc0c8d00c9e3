"""Compute every metric for every period a deck can show, and store the values.

The deck reads only these stored values, so a page view never touches raw rows.
A refresh costs what changed: tables untouched since the last computation are
not read again, a table loaded incrementally is read from the first date its
load replaced, and only periods ending on or after that date (or new ones) are
rewritten. Everything happens in one transaction: a failed computation leaves
the previous values in place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wbr import calendar as cal
from wbr.calendar import Period
from wbr.compute.daily import DailySeries, daily_series
from wbr.compute.periods import PeriodValues
from wbr.compute.schedule import needed_periods, precomputed_percentiles
from wbr.compute.state import (
    EVERYTHING,
    Change,
    Everything,
    StoredMetric,
    TableChanges,
    definition_hash,
    earliest,
    load_stored,
    merge_series,
    save_stored,
    table_changes,
)
from wbr.compute.unchanged import PeriodKey, changed_periods, changed_periods_text, stored_rows
from wbr.compute.values import (
    SourceRead,
    compute_values,
    dependency_order,
    first_and_last_day,
    source_read,
)
from wbr.compute.writes import ValueWriter
from wbr.errors import ComputeError
from wbr.registry.aggregations import NON_ADDITIVE, CountDistinctAggregation
from wbr.registry.models import Metric, Registry
from wbr.store.dialect import in_lists, is_sqlite
from wbr.store.schema import compute_runs, metric_values

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy's DateTime is stored there


@dataclass(frozen=True, slots=True)
class ComputeReport:
    metrics: int  # metrics whose stored values changed (what came out the same is not written)
    periods: int
    rows_written: int
    first_day: date | None
    last_day: date | None
    latest_week_ending: date | None
    incremental: bool
    # The periods (grain, ISO start, ISO end) whose value changed, for any metric; None:
    # any may have (a full computation). A deck showing none of them is still right.
    changed_periods: frozenset[PeriodKey] | None = None


def _metric_change(
    metric: Metric, stored: dict[str, StoredMetric], definition: str, table_change: Change
) -> Change:
    known = stored.get(metric.name)
    if known is None or known.definition != definition:
        return EVERYTHING
    if metric.reads_source and known.series is None:
        return EVERYTHING
    return table_change


def _read_series(
    raw_conn: Connection,
    registry: Registry,
    stored: dict[str, StoredMetric],
    changes: TableChanges,
    definitions: dict[str, str],
) -> tuple[dict[str, DailySeries], dict[str, Change]]:
    """Each source metric's daily series, read from SQL only where something changed."""
    groups: dict[SourceRead, list[Metric]] = defaultdict(list)
    for metric in registry.metrics:
        if metric.reads_source and metric.source is not None:
            groups[source_read(registry, metric)].append(metric)
    series: dict[str, DailySeries] = {}
    change_of: dict[str, Change] = {}
    for read, metrics in groups.items():
        table_change = changes.of(read.table)
        by_change: dict[Change, list[Metric]] = defaultdict(list)
        for metric in metrics:
            change = _metric_change(metric, stored, definitions[metric.name], table_change)
            change_of[metric.name] = change
            by_change[change].append(metric)
        for change, group in by_change.items():
            if change is None:
                series.update({m.name: s for m in group if (s := stored[m.name].series)})
                continue
            since = change if isinstance(change, date) else None
            fresh = daily_series(raw_conn, read.table, read.date_column, group, since=since)
            for metric in group:
                if since is None:
                    found = fresh.get(metric.name)
                else:
                    old = stored[metric.name].series
                    assert old is not None
                    found = merge_series(old, fresh.get(metric.name), since)
                if found is not None:
                    series[metric.name] = found
    return series, change_of


def _old_periods(stored: dict[str, StoredMetric], registry: Registry) -> set[Period]:
    """The periods the previous computation stored (to find the new ones)."""
    old = [s.series for s in stored.values() if s.series is not None and len(s.series.present)]
    if not old:
        return set()
    first = min(s.first_day for s in old)
    last = max(s.last_day for s in old)
    return set(needed_periods(first, last, registry))


@dataclass(frozen=True)
class _PeriodFacts:
    """What `_affected` asks of every period, made once rather than once per metric
    (hashing 972 periods for each of 300 metrics cost 0.3 s)."""

    new: np.ndarray  # never stored before
    end_ordinals: np.ndarray

    @classmethod
    def of(cls, periods: list[Period], old: set[Period]) -> _PeriodFacts:
        return cls(
            np.array([period not in old for period in periods], dtype=bool),
            np.fromiter((period.end.toordinal() for period in periods), np.int64, len(periods)),
        )


def _affected(change: Change, facts: _PeriodFacts) -> np.ndarray:
    """The periods whose stored values a change invalidates, plus periods never stored."""
    if isinstance(change, Everything):
        return np.ones(len(facts.new), dtype=bool)
    if change is None:
        return facts.new.copy()
    return np.asarray((facts.end_ordinals >= change.toordinal()) | facts.new)


@dataclass(frozen=True)
class PeriodColumns:
    """The periods' grain and ISO dates as arrays, made once for every metric's rows.

    300 metrics × 900 periods were 540 k `date.isoformat` calls (1.6 s); indexing
    these arrays costs a few milliseconds per metric.
    """

    grains: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    key_order: np.ndarray  # the periods in metric_values' key order (grain, start, end)

    @classmethod
    def of(cls, periods: list[Period]) -> PeriodColumns:
        grains = np.array([period.grain.value for period in periods], dtype=object)
        starts = np.array([period.start.isoformat() for period in periods], dtype=object)
        ends = np.array([period.end.isoformat() for period in periods], dtype=object)
        order = sorted(range(len(periods)), key=lambda i: (grains[i], starts[i], ends[i]))
        return cls(grains, starts, ends, np.array(order, dtype=np.int64))


def _rows(
    result: PeriodValues, periods: PeriodColumns, keep: np.ndarray, metric: str, at: object
) -> list[tuple[object, ...]]:
    """Rows in metric_values' column order, in the database's own form (ISO dates).

    Built column by column with numpy: per-value Python calls cost seconds at
    300 metrics × 900 periods.
    """
    chosen = keep & (result.days_present != 0)  # no data at all: the deck shows N/A
    if result.computed is not None:
        chosen &= result.computed  # computed on demand (see precomputed_percentiles)
    # In the primary key's order, so SQLite appends to its key index instead of
    # splitting pages all over it (metrics come in name order, see _compute).
    indexes = periods.key_order[chosen[periods.key_order]]
    if not len(indexes):
        return []
    count = len(indexes)
    return list(
        zip(
            [metric] * count,
            periods.grains[indexes].tolist(),
            periods.starts[indexes].tolist(),
            periods.ends[indexes].tolist(),
            _nullables(result.value[indexes]),
            _nullables(result.numerator[indexes]),
            _nullables(result.denominator[indexes]),
            result.days_present[indexes].astype(np.int64).tolist(),
            result.days_expected[indexes].astype(np.int64).tolist(),
            result.complete[indexes].tolist(),
            [at] * count,
            strict=True,
        )
    )


def _nullables(numbers: np.ndarray) -> list[float | None]:
    """Floats, with None where a value is NaN."""
    values: list[float | None] = numbers.astype(np.float64).tolist()
    for index in np.flatnonzero(np.isnan(numbers)):
        values[index] = None
    return values


def _stored_time(conn: Connection, at: datetime) -> object:
    """`at` as the store keeps a DateTime: SQLAlchemy's text form on SQLite."""
    return at.strftime(SQLITE_DATETIME_FORMAT) if is_sqlite(conn) else at


# SQLite's page cache while the values are written: its default 2 MB holds a fraction
# of the table's two B-trees, so inserts evicted and re-read pages. Since the rows come
# in key order (see _rows) they append, and 16 MB writes as fast as 64 MB did while
# the process's peak memory is 50 MB lower (a page cache is resident memory).
SQLITE_WRITE_CACHE_KIB = 16 * 1024
READ_INDEX = "ix_metric_values_grain_period_end"  # the deck's (grain, period_end) index


@contextmanager
def _bulk_write(conn: Connection, rewrite: bool) -> Iterator[None]:
    """On SQLite, rewriting every value: build the deck's index once, after the rows.

    Maintaining it row by row took about as long as the rows themselves (266,832 at
    300 metrics). SQLite's DDL is transactional and readers see the last commit, so a
    reader never meets the table without it. PostgreSQL would lock readers out for
    the whole write: there the index stays.
    """
    if not is_sqlite(conn):
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")
    index = next(index for index in metric_values.indexes if index.name == READ_INDEX)
    if not rewrite:
        yield
        return
    index.drop(conn)
    yield
    index.create(conn)


def _stored_metrics() -> sa.Select[Any]:
    """The distinct metric names of the values, one index seek each: each name found
    asks the primary key's index for the least name after it (a loose index scan)."""
    names = sa.select(sa.func.min(metric_values.c.metric).label("metric")).cte(
        "stored_names", recursive=True
    )
    later = metric_values.alias("later")
    following = (
        sa.select(sa.func.min(later.c.metric))
        .where(later.c.metric > names.c.metric)
        .scalar_subquery()
    )
    names = names.union_all(sa.select(following).where(names.c.metric.is_not(None)))
    return sa.select(names.c.metric).where(names.c.metric.is_not(None))


def _remove_undefined(conn: Connection, registry: Registry) -> int:
    """Delete the values of metrics the registry no longer defines; how many rows.

    The metrics that have values are read from the values themselves (the primary
    key's index), not from the saved states: a compute that ran beside this one may
    have taken a metric's state and left its values (a PostgreSQL store lets two
    overlap). A DELETE ... NOT IN read every value row instead: 0.065 s at 300
    metrics, and SELECT DISTINCT still read every key: 0.015-0.10 s, against 0.001 s
    for one index seek per name (`_stored_metrics`).
    """
    column = metric_values.c.metric
    stored = conn.execute(_stored_metrics()).scalars()
    undefined = [name for name in stored if name not in registry.metrics_by_name]
    removed = 0
    for names in in_lists(undefined):
        removed += conn.execute(metric_values.delete().where(column.in_(names))).rowcount
    return removed


def _compute(
    conn: Connection, raw_conn: Connection, registry: Registry, full: bool, at: datetime
) -> tuple[ComputeReport, int]:
    stored = {} if full else load_stored(conn)
    changes = table_changes(conn)
    if full:
        changes = TableChanges(changes.through_load_run, {}, first_compute=True)
    definitions = {m.name: definition_hash(m, registry) for m in registry.metrics}
    series, change_of = _read_series(raw_conn, registry, stored, changes, definitions)
    if not series:
        raise ComputeError("the raw tables hold no rows; run `wbr ingest` first")
    first_day, last_day = first_and_last_day(series)
    periods = needed_periods(first_day, last_day, registry)
    old = _old_periods(stored, registry)
    latest = cal.latest_week_ending(last_day, registry.project.week_ends_on.iso_index)
    percentile_mask = precomputed_percentiles(
        periods, latest, registry.project.fiscal_year_end_month
    )
    affected: dict[str, np.ndarray] = {}
    holistic_wanted: dict[str, np.ndarray] = {}
    period_facts = _PeriodFacts.of(periods, old)
    for metric in dependency_order(registry.metrics_by_name):
        if not metric.reads_source:
            own = (
                EVERYTHING
                if stored.get(metric.name) is None
                or (stored[metric.name].definition != definitions[metric.name])
                else None
            )
            change_of[metric.name] = earliest(own, *(change_of.get(d) for d in metric.depends_on))
        change = change_of.get(metric.name)
        affected[metric.name] = _affected(change, period_facts)
        if isinstance(metric.aggregation, NON_ADDITIVE):
            mask = affected[metric.name]
            if not isinstance(metric.aggregation, CountDistinctAggregation):
                mask = mask & percentile_mask
            holistic_wanted[metric.name] = mask
    values = compute_values(raw_conn, registry, series, periods, holistic_wanted)
    columns = PeriodColumns.of(periods)
    stamp = _stored_time(conn, at)
    touched = 0
    changed: set[PeriodKey] = set()  # the periods whose value changed, for any metric
    rewrite = full or changes.first_compute
    # What each metric's recomputation would replace, to leave alone what came out the same.
    stored_before = {} if rewrite else stored_rows(conn, {n: change_of.get(n) for n in values})
    writer = ValueWriter(conn)
    with _bulk_write(conn, rewrite):
        for name, result in sorted(values.items()):
            keep = affected[name]
            if not keep.any() and change_of.get(name) is None:
                continue
            rows = _rows(result, columns, keep, name, stamp)
            if not rewrite:
                differs = changed_periods(stored_before.get(name, {}), rows)
                if not differs:
                    continue
                changed |= differs
            touched += 1
            writer.add(name, change_of.get(name), rows)
        writer.flush()
    written = writer.rows_written
    removed = _remove_undefined(conn, registry)
    everywhere = rewrite  # every period may have changed
    if removed:  # a metric taken out of the registry changed too, in every period
        touched += 1
        everywhere = True
    save_stored(conn, definitions, series, None if full else stored)
    report = ComputeReport(
        touched,
        len(periods),
        written,
        first_day,
        last_day,
        latest,
        incremental=not changes.first_compute,
        changed_periods=None if everywhere else frozenset(changed),
    )
    return report, changes.through_load_run


def compute(
    engine: Engine, registry: Registry, full: bool = False, raw_engine: Engine | None = None
) -> ComputeReport:
    """Bring the stored metric values up to date with the raw tables and the registry.

    `full` recomputes everything from the raw tables, ignoring what is stored.
    `raw_engine` is the raw tables' store when it is not `engine`.
    """
    started = datetime.now(UTC)
    with engine.begin() as conn:
        run_id = conn.execute(
            compute_runs.insert()
            .values(started_at=started, status="running")
            .returning(compute_runs.c.id)
        ).scalar_one()
    try:
        with engine.begin() as conn:
            if raw_engine is None or raw_engine is engine:
                report, through = _compute(conn, conn, registry, full, started)
            else:
                with raw_engine.connect() as raw_conn:
                    report, through = _compute(conn, raw_conn, registry, full, started)
            # In the values' own transaction: a reader (the served deck's cache) sees
            # the new values and the run that made them at once, and one commit fewer.
            conn.execute(
                compute_runs.update()
                .where(compute_runs.c.id == run_id)
                .values(
                    finished_at=datetime.now(UTC),
                    status="succeeded",
                    metrics_computed=report.metrics,
                    periods_written=report.rows_written,
                    load_runs_through=through,
                    changed_periods=changed_periods_text(report.changed_periods),
                )
            )
    except Exception as error:
        with engine.begin() as conn:
            conn.execute(
                compute_runs.update()
                .where(compute_runs.c.id == run_id)
                .values(finished_at=datetime.now(UTC), status="failed", error=str(error))
            )
        raise
    return report
