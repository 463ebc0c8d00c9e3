"""Day maps: how periods are joined to raw rows by equality instead of BETWEEN.

A day map holds one (range id, day) row for every day of every range. Joining
raw rows to it on the day is an equality every engine answers with a hash join;
joining them to ranges with BETWEEN makes a range join of it, several times
slower on DuckDB and a nested loop on SQLite.

The maps are temporary tables, written once per list of ranges and shared by
every metric that reads the same ranges (a query that inlined thousands of
VALUES rows spent more time compiling SQL than running it), and dropped when
the computation ends.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from wbr.registry.sources import ColumnType
from wbr.store.dialect import create_range_days, drop_range_days, is_duckdb, is_spark
from wbr.store.raw import insert_frame, insert_registered

if TYPE_CHECKING:
    import pandas as pd

RANGE_COLUMN = "wbr_rid"  # prefixed: they share a query with the raw table's columns
DAY_COLUMN = "wbr_day"
_SCHEMA = {RANGE_COLUMN: ColumnType.INTEGER, DAY_COLUMN: ColumnType.DATE}

Ranges = Sequence[tuple[date, date]]
_NUMBERS = itertools.count()
EPOCH = date(1970, 1, 1)


class DayMaps:
    """The day maps of one connection; use `day_maps(conn)` to have them dropped after."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._tables: dict[tuple[tuple[date, date], ...], sa.Table] = {}

    def table(self, ranges: Ranges) -> sa.Table:
        """The (wbr_rid, wbr_day) table of `ranges`; wbr_rid is the index in `ranges`."""
        key = tuple(ranges)
        found = self._tables.get(key)
        if found is not None:
            return found
        table = sa.Table(
            # Numbered across the process: two sessions on one connection, one after the
            # other or one inside the other, never share a name.
            f"wbr_day_map_{next(_NUMBERS)}",
            sa.MetaData(),
            sa.Column(RANGE_COLUMN, sa.Integer),
            sa.Column(DAY_COLUMN, sa.Date),
            prefixes=["TEMPORARY"],
        )
        if is_spark(self.conn):
            create_range_days(self.conn, table, ranges)
        else:
            self.conn.execute(sa.schema.DropTable(table, if_exists=True))
            table.create(self.conn)
            if is_duckdb(self.conn):
                _insert_arrays(self.conn, table, ranges)
            else:
                insert_frame(self.conn, table, _frame(ranges), _SCHEMA)
        self._tables[key] = table
        return table

    def drop(self) -> None:
        tables, self._tables = list(self._tables.values()), {}
        # After a failed query the transaction may be aborted (PostgreSQL, DuckDB):
        # the drop would then raise and hide the real error, and the rollback or the
        # end of the connection removes temporary tables anyway.
        with contextlib.suppress(SQLAlchemyError):
            for table in tables:
                if is_spark(self.conn):
                    drop_range_days(self.conn, table)
                else:
                    # Not `checkfirst`: duckdb_engine's table check does not see
                    # temporary tables, so the map would outlive its session.
                    self.conn.execute(sa.schema.DropTable(table, if_exists=True))


@contextmanager
def day_maps(conn: Connection) -> Iterator[DayMaps]:
    maps = DayMaps(conn)
    try:
        yield maps
    finally:
        maps.drop()


def _columns(ranges: Ranges) -> tuple[np.ndarray, np.ndarray]:
    """The map's range ids and days (days since 1970-01-01), one row per day of each range."""
    lengths = np.array([(end - start).days + 1 for start, end in ranges], dtype=np.int64)
    starts = np.array([start.toordinal() for start, _ in ranges], dtype=np.int64)
    rids = np.repeat(np.arange(len(ranges), dtype=np.int64), lengths)
    # Each range's days: its start plus 0, 1, ... within the range.
    offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(lengths) - lengths, lengths
    )
    ordinals = np.repeat(starts, lengths) + offsets
    return rids, ordinals - EPOCH.toordinal()


def _insert_arrays(conn: Connection, table: sa.Table, ranges: Ranges) -> None:
    """DuckDB reads the numpy columns themselves: no pandas (0.2 s to import), no
    Python object per row. It takes no datetime64 column, so days go as numbers."""
    rids, days = _columns(ranges)
    day = f"DATE '{EPOCH.isoformat()}' + CAST({DAY_COLUMN} AS INTEGER)"
    data = {RANGE_COLUMN: rids, DAY_COLUMN: days}
    insert_registered(conn, table, data, {RANGE_COLUMN: RANGE_COLUMN, DAY_COLUMN: day})


def _frame(ranges: Ranges) -> pd.DataFrame:
    """The map as a frame, for the stores that take rows (`insert_frame`)."""
    rids, days = _columns(ranges)
    import pandas as pd  # only when a computation runs: the deck imports this module

    return pd.DataFrame(
        {RANGE_COLUMN: rids, DAY_COLUMN: pd.to_datetime(days.astype("datetime64[D]"))}
    )
