"""Writing recomputed values: the rows of many metrics per statement, in key order.

A computation replaces each changed metric's stored values from its change on (every
value for a new or edited definition, a full reload or `--full`). Doing that one metric
at a time cost a DELETE per metric: 300 statements, 0.15-0.2 s of a 300-metric build or
weekly refresh, even on an empty table. Here the rows of consecutive metrics are held
until BATCH_ROWS of them wait, then one DELETE per change date (the metrics' names
in chunks) and one bulk insert write them. Metrics arrive in name order and each metric's
rows in key order (`wbr.compute.run._rows`), so the insert still appends to SQLite's key
index. The caller's transaction holds it all: a failure leaves the values as they were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import Connection

from wbr.calendar import Grain
from wbr.compute.state import Change, Everything
from wbr.store.dialect import bulk_insert, in_lists
from wbr.store.schema import metric_values

# About 25 metrics of three years (~1,000 periods each); a weekly refresh's few new
# periods per metric fit all 300 metrics in one batch. With 100,000 the 300 x 3 years
# build was no faster and peaked 7-11 MB higher (two runs; this machine's noise is large).
BATCH_ROWS = 25_000


class ValueWriter:
    """Replaces metrics' stored values with recomputed rows, many metrics at a time.

    Call `add` per metric, then `flush` once at the end.
    """

    def __init__(self, conn: Connection, batch_rows: int = BATCH_ROWS) -> None:
        self._conn = conn
        self._batch_rows = batch_rows
        self._rows: list[tuple[object, ...]] = []
        self._replacing: dict[Change, list[str]] = defaultdict(list)
        self.rows_written = 0

    def add(self, metric: str, change: Change, rows: Sequence[tuple[object, ...]]) -> None:
        """`rows` (metric_values' columns, in key order) replace the metric's values from
        `change` on: all of them for EVERYTHING, from that period end for a date, none
        for None (the rows are new periods)."""
        self._replacing[change].append(metric)
        self._rows.extend(rows)
        if len(self._rows) >= self._batch_rows:
            self.flush()

    def flush(self) -> None:
        for change, metrics in self._replacing.items():
            for names in in_lists(metrics):
                _delete(self._conn, names, change)
        # The driver's own bulk path (executemany of tuples, COPY on PostgreSQL):
        # per-row dictionaries cost seconds.
        bulk_insert(self._conn, metric_values, self._rows)
        self.rows_written += len(self._rows)
        self._rows = []
        self._replacing = defaultdict(list)


def _delete(conn: Connection, metrics: Sequence[str], change: Change) -> None:
    """The stored values a change replaces, for several metrics at once."""
    table = metric_values.c
    if isinstance(change, Everything):
        conn.execute(metric_values.delete().where(table.metric.in_(metrics)))
    elif isinstance(change, date):
        # Every grain a computation writes, named: with them SQLite reads the few rows
        # from `change` on through the deck's (grain, period_end) index instead of every
        # row of each metric through the key (a week appended to 300 metrics: 0.002 s
        # against 0.04-0.11 s).
        grains = [grain.value for grain in Grain]
        recent = [table.grain.in_(grains), table.period_end >= change]
        conn.execute(metric_values.delete().where(table.metric.in_(metrics), *recent))
