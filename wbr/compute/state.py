"""What the last computation saw, so a refresh costs what changed.

For every metric the store keeps a hash of the parts of its definition that
decide its values, and, for metrics read from raw tables, its daily series (as
compact arrays). Load history says which raw tables changed since the last
successful computation and from which date; an incremental load records the
first date of the window it replaced.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.compute.daily import DailySeries
from wbr.ingest.runs import FAILED, RUNNING, SUCCEEDED, shown_status
from wbr.registry.models import Metric, Registry
from wbr.store.dialect import in_lists
from wbr.store.raw import raw_table_name
from wbr.store.schema import (
    SERIES_BLOCK_DAYS,
    compute_runs,
    load_runs,
    metric_series,
    metric_series_blocks,
)

STORED_SERIES_VERSION = 2


class Everything:
    """A change that touches every day: a full reload, or a new or edited definition."""

    def __repr__(self) -> str:
        return "EVERYTHING"


EVERYTHING = Everything()
Change = date | Everything | None  # None: nothing changed


def earliest(*changes: Change) -> Change:
    """The change covering all of `changes`."""
    if any(isinstance(change, Everything) for change in changes):
        return EVERYTHING
    dates = [change for change in changes if isinstance(change, date)]
    return min(dates) if dates else None


def definition_hash(metric: Metric, registry: Registry) -> str:
    """A hash of what decides a metric's values (not its label, owner or colours)."""
    parts: dict[str, object] = {
        # Bumped when what is stored per metric changes (2: row counts of
        # non-additive metrics), so that stores computed before recompute once.
        "stored_series_version": STORED_SERIES_VERSION,
        "aggregation": metric.aggregation.model_dump(mode="json"),
        "date_column": metric.date_column,
        "calendar": registry.project.model_dump(
            mode="json", include={"week_ends_on", "fiscal_year_end_month"}
        ),
    }
    if metric.source is not None and metric.source in registry.sources:
        source = registry.sources[metric.source]
        parts["source"] = [raw_table_name(source.table_name(metric.source)), source.date_column]
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class StoredMetric:
    definition: str
    series: DailySeries | None


# The daily arrays, as they are stored in each block (see `metric_series_blocks`).
ARRAYS: tuple[tuple[str, type], ...] = (
    ("present", np.bool_),
    ("sums", np.float64),
    ("counts", np.float64),
    ("extremes", np.float64),
)


def load_stored(conn: Connection) -> dict[str, StoredMetric]:
    table = metric_series_blocks.c
    arrays = [getattr(table, name) for name, _ in ARRAYS]
    blocks: dict[str, list[Any]] = defaultdict(list)
    query = sa.select(table.metric, *arrays).order_by(table.metric, table.block)
    for row in conn.execute(query).all():
        blocks[row[0]].append(row)
    stored = {}
    for row in conn.execute(sa.select(metric_series)):
        series = None
        if row.first_day is not None:
            found = blocks.get(row.metric, [])
            joined: dict[str, np.ndarray] = {
                name: np.frombuffer(b"".join([part[i] for part in found]), dtype=dtype).copy()
                for i, (name, dtype) in enumerate(ARRAYS, start=1)
            }
            series = DailySeries(first_day=row.first_day, **joined)
        stored[row.metric] = StoredMetric(row.definition, series)
    return stored


def save_stored(
    conn: Connection,
    definitions: dict[str, str],
    series: dict[str, DailySeries],
    before: Mapping[str, StoredMetric] | None,
) -> None:
    """Bring the saved state to this computation's.

    `before`: the state this computation started from, or None when it was not read (a
    full computation): then every row is replaced. Otherwise only the metrics whose
    definition or daily arrays changed are written, and of their arrays only the
    blocks from the first changed day on; those no longer defined are removed. The
    arrays are ~27 KB a metric over three years: rewriting all of them cost 8.6 MB of
    writes at 300 metrics on every computation, growing with the history; a week added
    now rewrites one or two blocks of 128 days a metric (0.4-0.5 MB).
    """
    blocks = metric_series_blocks.c
    # Each metric to write, and the first of its blocks to write (None: no block).
    changed: dict[str, int | None] = {}
    for name, definition in definitions.items():
        old = before.get(name) if before is not None else None
        daily = series.get(name)
        first_block = _first_changed_block(old.series if old is not None else None, daily)
        if (
            old is None
            or old.definition != definition
            or (old.series is None) != (daily is None)
            or first_block is not None
        ):
            changed[name] = first_block
    if before is None:
        conn.execute(metric_series.delete())
        conn.execute(metric_series_blocks.delete())
    else:
        removed = [name for name in before if name not in definitions]
        for names in in_lists(removed + list(changed)):
            conn.execute(metric_series.delete().where(metric_series.c.metric.in_(names)))
        for names in in_lists(removed):
            conn.execute(metric_series_blocks.delete().where(blocks.metric.in_(names)))
    now = datetime.now(UTC)
    rows, rewritten, new_blocks = [], [], []
    for name, first_block in changed.items():
        daily = series.get(name)
        rows.append(
            {
                "metric": name,
                "definition": definitions[name],
                "first_day": daily.first_day if daily is not None else None,
                "updated_at": now,
            }
        )
        if first_block is not None and before is not None:
            rewritten.append({"name": name, "first_block": first_block})
        new_blocks.extend(_blocks_from(name, daily, first_block))
    if rows:
        conn.execute(metric_series.insert(), rows)
    if rewritten:
        conn.execute(
            metric_series_blocks.delete().where(
                blocks.metric == sa.bindparam("name"), blocks.block >= sa.bindparam("first_block")
            ),
            rewritten,
        )
    if new_blocks:
        conn.execute(metric_series_blocks.insert(), new_blocks)


def _block_of(day: int) -> int:
    return day // SERIES_BLOCK_DAYS


def _first_changed_block(old: DailySeries | None, new: DailySeries | None) -> int | None:
    """The first block whose stored arrays differ from `new`'s (None: none differs).

    Blocks are numbered by day ordinal, so with the same first day the blocks before
    the first day that changed hold the same bytes and stay as they are."""
    if old is None or not len(old.present):
        return None if new is None or not len(new.present) else _block_of(_ordinal(new, 0))
    if new is None or not len(new.present):
        return _block_of(_ordinal(old, 0))  # every old block goes
    if new.first_day != old.first_day:  # every old block goes; every new one is written
        return _block_of(min(_ordinal(old, 0), _ordinal(new, 0)))
    common = min(len(old.present), len(new.present))
    differs = old.present[:common] != new.present[:common].astype(np.bool_)
    for name in ("sums", "counts", "extremes"):
        a, b = getattr(old, name)[:common], getattr(new, name)[:common].astype(np.float64)
        # Byte for byte, as stored: NaN payloads and -0.0 count as changes.
        differs |= a.view(np.uint64) != b.view(np.uint64)
    found = np.flatnonzero(differs)
    if found.size:
        return _block_of(_ordinal(old, int(found[0])))
    if len(old.present) == len(new.present):
        return None
    # It grew or was cut: the block of the first day one of them has and the other not.
    return _block_of(_ordinal(old, common))


def _ordinal(series: DailySeries, index: int) -> int:
    return series.first_day.toordinal() + index


def _blocks_from(
    name: str, daily: DailySeries | None, first_block: int | None
) -> list[dict[str, Any]]:
    """The rows of `daily`'s blocks from `first_block` on."""
    if daily is None or first_block is None:
        return []
    arrays = [(key, getattr(daily, key).astype(dtype)) for key, dtype in ARRAYS]
    start, days = daily.first_day.toordinal(), len(daily.present)
    offset = max(0, first_block * SERIES_BLOCK_DAYS - start)
    found = []
    while offset < days:
        block = _block_of(start + offset)
        end = min(days, (block + 1) * SERIES_BLOCK_DAYS - start)
        row: dict[str, Any] = {"metric": name, "block": block}
        row.update({key: values[offset:end].tobytes() for key, values in arrays})
        found.append(row)
        offset = end
    return found


@dataclass(frozen=True, slots=True)
class TableChanges:
    """Which raw tables changed since the last successful computation, and from when."""

    through_load_run: int  # the newest load run this computation accounts for
    changed: dict[str, Change]  # raw table name → first changed date or EVERYTHING
    first_compute: bool

    def of(self, table: str) -> Change:
        return EVERYTHING if self.first_compute else self.changed.get(table)


def table_changes(conn: Connection) -> TableChanges:
    """What the loads since the last successful computation changed (see `load_changes`)."""
    last = conn.execute(
        sa.select(sa.func.max(compute_runs.c.load_runs_through)).where(
            compute_runs.c.status == "succeeded"
        )
    ).scalar()
    through, changed = load_changes(conn, last or 0)
    if last is None:
        return TableChanges(through, {}, first_compute=True)
    return TableChanges(through, changed, first_compute=False)


def load_changes(conn: Connection, after: int) -> tuple[int, dict[str, Change]]:
    """What the loads after load run `after` changed, per raw table, and how far that goes.

    A failed load changed nothing. An interrupted one may have committed its rows
    when the raw tables live in a store of their own (the record is written after
    the data), so it counts as a change to its whole table. So does a load still
    running (or one whose process cannot be checked, on another host): its rows may
    commit at any moment, so its table is read again, and the run returned (all
    runs up to it are accounted for) stays below it so that it and every later load
    are looked at again next time.
    """
    runs = conn.execute(
        sa.select(
            load_runs.c.id,
            load_runs.c.table_name,
            load_runs.c.mode,
            load_runs.c.window_start,
            load_runs.c.status,
            load_runs.c.pid,
            load_runs.c.host,
        )
        .where(load_runs.c.id > after)
        .order_by(load_runs.c.id)
    ).mappings()
    through = after
    first_running: int | None = None
    changed: dict[str, Change] = {}
    for run in runs:
        status = shown_status(run)
        if status == RUNNING and first_running is None:
            first_running = run["id"]
        if first_running is None:
            through = run["id"]
        if status == FAILED:
            continue
        change: Change = EVERYTHING
        if status == SUCCEEDED and run["mode"] == "incremental" and run["window_start"]:
            try:
                change = date.fromisoformat(str(run["window_start"])[:10])
            except ValueError:
                change = EVERYTHING  # an id watermark: the rows' dates are unknown
        changed[run["table_name"]] = earliest(changed.get(run["table_name"]), change)
    return through, changed


def merge_series(old: DailySeries, new: DailySeries | None, since: date) -> DailySeries | None:
    """Old days before `since`, then the freshly aggregated days from `since` on."""
    keep = max(0, min(len(old.present), (since - old.first_day).days))
    if new is None:
        if keep == 0:
            return None
        return DailySeries(
            old.first_day,
            old.present[:keep],
            old.sums[:keep],
            old.counts[:keep],
            old.extremes[:keep],
        )
    if keep == 0:
        return new
    gap = (new.first_day - old.first_day).days - keep  # days between the two parts
    filler_bool = np.zeros(max(gap, 0), dtype=np.bool_)
    filler = np.zeros(max(gap, 0))
    filler_nan = np.full(max(gap, 0), np.nan)
    return DailySeries(
        old.first_day,
        np.concatenate([old.present[:keep], filler_bool, new.present]),
        np.concatenate([old.sums[:keep], filler, new.sums]),
        np.concatenate([old.counts[:keep], filler, new.counts]),
        np.concatenate([old.extremes[:keep], filler_nan, new.extremes]),
    )
