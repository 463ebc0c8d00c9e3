"""Day maps (temporary (range, day) tables) on one connection: each session's own, dropped after.

A second session on the same connection, after the first or inside it, must neither
collide with nor drop the other's tables; DuckDB's table check does not see
temporary tables, so the drop must not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from wbr.compute.day_maps import RANGE_COLUMN, day_maps
from wbr.store import create_store_engine

WEEK = [(date(2024, 3, 10), date(2024, 3, 16))]
TWO_WEEKS = [(date(2024, 3, 3), date(2024, 3, 9)), (date(2024, 3, 10), date(2024, 3, 16))]


@pytest.fixture(params=["duckdb", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    made = create_store_engine(f"{request.param}:///{tmp_path / 'store.db'}")
    yield made
    made.dispose()


def rows(conn: sa.Connection, table: sa.Table) -> dict[int, int]:
    query = sa.select(table.c[RANGE_COLUMN], sa.func.count()).group_by(table.c[RANGE_COLUMN])
    return {int(rid): int(count) for rid, count in conn.execute(query)}


def test_sessions_on_one_connection_keep_their_own_maps(engine: Engine) -> None:
    with engine.connect() as conn:
        with day_maps(conn) as first:
            outer = first.table(TWO_WEEKS)
            with day_maps(conn) as second:
                inner = second.table(WEEK)
                assert inner.name != outer.name
                assert rows(conn, inner) == {0: 7}
            assert rows(conn, outer) == {0: 7, 1: 7}  # the inner session dropped only its own
        with day_maps(conn) as third:  # after both: no leftover in the way
            assert rows(conn, third.table(WEEK)) == {0: 7}
        for table in (outer, inner):
            with pytest.raises(sa.exc.DBAPIError):  # dropped with their sessions
                conn.execute(sa.select(sa.func.count()).select_from(table))
            conn.rollback()
