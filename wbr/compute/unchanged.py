"""Which recomputed metrics came out exactly as stored, so a refresh leaves them be.

A refresh recomputes every period a load may have touched: a source reloaded whole
(a small plan table) or a lookback window that re-reads the last week's days
recomputes values that nearly always come out as they were. Rewriting them would
cost the writes, and it would tell every reader that the numbers changed: the
served deck keeps what it built until a computation changes a value it shows
(`dashboards/deck_cache.py`). So the rows a metric would be given are compared with
the rows it has, and a metric whose rows are the same is not written.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.store.schema import metric_values

if TYPE_CHECKING:
    from wbr.compute.state import Change

# A refresh changes a few dozen periods; a computation that changed more is recorded
# as having changed any (a deck then rebuilds, as it would have anyway).
MAX_RECORDED_PERIODS = 5000
# Same number: a float sum over other threads' partial sums may differ in its last bits.
RELATIVE_TOLERANCE = 1e-12

PeriodKey = tuple[str, str, str]  # grain, ISO start, ISO end
Shown = tuple[object, ...]  # value, numerator, denominator, days present/expected, complete
# A row as `wbr.compute.run._rows` makes it: metric, grain, start, end, the shown values, at.
NewRow = Sequence[object]
SHOWN_COLUMNS = (
    metric_values.c.value,
    metric_values.c.numerator,
    metric_values.c.denominator,
    metric_values.c.days_present,
    metric_values.c.days_expected,
    metric_values.c.complete,
)


def stored_rows(
    conn: Connection, changes: Mapping[str, Change]
) -> dict[str, dict[PeriodKey, Shown]]:
    """The stored rows each change would replace, by metric, in two reads at most.

    `changes` maps a metric to what its recomputation replaces: everything, or
    the periods ending on or after a date (None replaces nothing: no rows).
    """
    # Here, not at the top: the deck reads `same_value` and `recorded_periods` without numpy.
    from wbr.compute.state import Everything

    whole = sorted(name for name, change in changes.items() if isinstance(change, Everything))
    since = {name: c for name, c in changes.items() if isinstance(c, date)}
    found: dict[str, dict[PeriodKey, Shown]] = defaultdict(dict)
    table = metric_values.c
    columns = (table.metric, table.grain, table.period_start, table.period_end, *SHOWN_COLUMNS)
    queries = []
    if whole:
        queries.append(sa.select(*columns).where(table.metric.in_(whole)))
    if since:
        first = min(since.values())
        queries.append(
            sa.select(*columns).where(table.metric.in_(sorted(since)), table.period_end >= first)
        )
    for query in queries:
        for metric, grain, start, end, *shown in conn.execute(query):
            limit = since.get(metric)
            if limit is not None and end < limit:
                continue  # another metric's earlier change brought this row in
            found[metric][(grain, _iso(start), _iso(end))] = (*shown[:5], bool(shown[5]))
    return dict(found)


def changed_periods(stored: Mapping[PeriodKey, Shown], rows: Sequence[NewRow]) -> set[PeriodKey]:
    """The periods at which `rows` (a metric's new rows) differ from the stored ones: added,
    removed or with another value. Empty: the metric came out as stored."""
    changed: set[PeriodKey] = set()
    for row in rows:
        key = (str(row[1]), str(row[2]), str(row[3]))
        old = stored.get(key)
        new = (*row[4:9], bool(row[9]))
        if old is None or not all(same_value(a, b) for a, b in zip(old, new, strict=True)):
            changed.add(key)
    new_keys = {(str(row[1]), str(row[2]), str(row[3])) for row in rows}
    changed.update(stored.keys() - new_keys)  # removed
    return changed


def changed_periods_text(periods: frozenset[PeriodKey] | None) -> str | None:
    """`compute_runs.changed_periods`: the periods as JSON, or NULL for "any" (or too many)."""
    if periods is None or len(periods) > MAX_RECORDED_PERIODS:
        return None
    return json.dumps(sorted(periods), separators=(",", ":"))


def recorded_periods(text: str | None) -> frozenset[PeriodKey] | None:
    """The periods a computation recorded as changed; None: any may have."""
    if text is None:
        return None
    return frozenset((str(g), str(s), str(e)) for g, s, e in json.loads(text))


def same_value(old: object, new: object) -> bool:
    """Equal, numbers (bools included) to `RELATIVE_TOLERANCE`: the same number read back."""
    if isinstance(old, int | float) and isinstance(new, int | float):
        return old == new or math.isclose(float(old), float(new), rel_tol=RELATIVE_TOLERANCE)
    return old == new


def _iso(day: object) -> str:
    return day.isoformat() if isinstance(day, date) else str(day)[:10]


__all__ = [
    "changed_periods",
    "changed_periods_text",
    "recorded_periods",
    "same_value",
    "stored_rows",
]
