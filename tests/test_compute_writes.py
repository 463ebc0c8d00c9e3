"""Recomputed values replace stored ones many metrics at a time (wbr/compute/writes.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr.compute.state import EVERYTHING, Change
from wbr.compute.writes import ValueWriter
from wbr.store.dialect import is_sqlite
from wbr.store.schema import metric_values

FIRST_END = date(2026, 1, 3)  # a Saturday


def week_end(week: int) -> date:
    return FIRST_END + timedelta(weeks=week - 1)


def rows(engine: Engine, metric: str, weeks: range, value: float) -> list[tuple[object, ...]]:
    """metric_values rows in the store's own form, as the computation makes them."""
    at: object = datetime(2026, 12, 7, tzinfo=UTC)
    if is_sqlite(engine):  # SQLAlchemy's text form of a DateTime on SQLite
        at = "2026-12-07 00:00:00.000000"
    made = []
    for week in weeks:
        end = week_end(week)
        start = end - timedelta(days=6)
        made.append(
            (
                metric,
                "week",
                start.isoformat(),
                end.isoformat(),
                value + week,
                None,
                None,
                7,
                7,
                True,
                at,
            )
        )
    return made


def stored(engine: Engine) -> dict[str, dict[date, float]]:
    table = metric_values.c
    found: dict[str, dict[date, float]] = {}
    with engine.connect() as conn:
        for metric, end, value in conn.execute(
            sa.select(table.metric, table.period_end, table.value)
        ):
            found.setdefault(metric, {})[end] = value
    return found


def write(engine: Engine, batch_rows: int, writes: list[tuple[str, Change, list[Any]]]) -> int:
    with engine.begin() as conn:
        writer = ValueWriter(conn, batch_rows=batch_rows)
        for metric, change, made in writes:
            writer.add(metric, change, made)
        writer.flush()
        return writer.rows_written


def test_each_metric_is_replaced_from_its_own_change_across_batches(store_engine: Engine) -> None:
    first = [(name, EVERYTHING, rows(store_engine, name, range(1, 5), 100.0)) for name in "abc"]
    assert write(store_engine, 3, first) == 12  # a flush within the second metric
    again: list[tuple[str, Change, list[Any]]] = [
        ("a", week_end(3), rows(store_engine, "a", range(3, 6), 200.0)),  # from week 3 on
        ("b", None, rows(store_engine, "b", range(5, 6), 200.0)),  # a new week only
        ("c", EVERYTHING, rows(store_engine, "c", range(2, 4), 200.0)),  # all of it
    ]
    assert write(store_engine, 2, again) == 6
    got = stored(store_engine)
    assert got["a"] == {
        week_end(1): 101.0,
        week_end(2): 102.0,
        week_end(3): 203.0,
        week_end(4): 204.0,
        week_end(5): 205.0,
    }
    assert got["b"] == {**{week_end(w): 100.0 + w for w in range(1, 5)}, week_end(5): 205.0}
    assert got["c"] == {week_end(2): 202.0, week_end(3): 203.0}


def test_metrics_with_the_same_change_share_one_delete(store_engine: Engine) -> None:
    names = [f"m{n:03d}" for n in range(120)]
    write(
        store_engine,
        10_000,
        [(n, EVERYTHING, rows(store_engine, n, range(1, 3), 1.0)) for n in names],
    )
    deletes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    sa.event.listen(store_engine, "before_cursor_execute", count)
    try:
        later = [(n, week_end(2), rows(store_engine, n, range(2, 4), 5.0)) for n in names]
        assert write(store_engine, 10_000, later) == 240
    finally:
        sa.event.remove(store_engine, "before_cursor_execute", count)
    assert len(deletes) == 1
    assert all(
        values == {week_end(1): 2.0, week_end(2): 7.0, week_end(3): 8.0}
        for values in stored(store_engine).values()
    )
