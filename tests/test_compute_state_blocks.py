"""A metric's daily arrays are saved in blocks of days (`metric_series_blocks`): what
is read back is what was saved, byte for byte, and a refresh that adds days rewrites
only the blocks from the first changed day on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wbr.compute.daily import DailySeries
from wbr.compute.state import load_stored, save_stored
from wbr.store import create_store_engine, migrate
from wbr.store.schema import SERIES_BLOCK_DAYS, metric_series_blocks

FIRST = date(2023, 1, 1)


def series(first: date, days: int, seed: int) -> DailySeries:
    """Arrays as compute makes them: gaps, NaN extremes, a -0.0 and whole counts."""
    rng = np.random.default_rng(seed)
    sums = rng.normal(100, 30, days)
    if days:
        sums[0] = -0.0
    return DailySeries(
        first_day=first,
        present=rng.random(days) > 0.1,
        sums=sums,
        counts=rng.integers(0, 50, days).astype(np.float64),
        extremes=np.where(rng.random(days) > 0.5, np.nan, rng.normal(0, 1, days)),
    )


def same(a: DailySeries | None, b: DailySeries | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.first_day == b.first_day and all(
        getattr(a, name).astype(dtype).tobytes() == getattr(b, name).astype(dtype).tobytes()
        for name, dtype in (
            ("present", np.bool_),
            ("sums", np.float64),
            ("counts", np.float64),
            ("extremes", np.float64),
        )
    )


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    made = create_store_engine(store_url)
    migrate(made)
    yield made
    made.dispose()


def written_blocks(engine: sa.Engine) -> list[list[dict[str, Any]]]:
    """Collects the block rows each INSERT writes, as the test goes on."""
    inserted: list[list[dict[str, Any]]] = []

    @sa.event.listens_for(engine, "before_execute")
    def _seen(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any) -> None:
        if getattr(clause, "table", None) is metric_series_blocks and clause.is_insert:
            inserted.append(list(multiparams) if multiparams else [params])

    return inserted


def save(engine: sa.Engine, saved: dict[str, DailySeries], full: bool = False) -> None:
    with engine.begin() as conn:
        before = None if full else load_stored(conn)
        save_stored(conn, {name: "v1" for name in saved}, saved, before)


def test_a_week_added_rewrites_only_the_last_block(engine: sa.Engine) -> None:
    old = {"orders": series(FIRST, 1092, 1), "clicks": series(FIRST + timedelta(days=40), 900, 2)}
    save(engine, old, full=True)
    inserted = written_blocks(engine)
    grown = {
        name: DailySeries(
            s.first_day,
            np.concatenate([s.present, [True] * 7]),
            np.concatenate([s.sums, np.arange(7.0)]),
            np.concatenate([s.counts, np.ones(7)]),
            np.concatenate([s.extremes, [np.nan] * 7]),
        )
        for name, s in old.items()
    }
    save(engine, grown)
    with engine.connect() as conn:
        loaded = load_stored(conn)
    assert all(same(loaded[name].series, grown[name]) for name in grown)
    (rows,) = inserted
    for name, s in grown.items():
        last_old_day = s.first_day.toordinal() + len(old[name].present) - 1
        blocks = sorted(row["block"] for row in rows if row["metric"] == name)
        # The block that held the last old day, and a new one if the week crossed into it.
        assert blocks[0] == last_old_day // SERIES_BLOCK_DAYS
        assert len(blocks) <= 2
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(metric_series_blocks))
        assert total.scalar_one() > 2 * len(rows)  # most blocks were left as they were


def test_an_unchanged_series_writes_no_block(engine: sa.Engine) -> None:
    saved = {"orders": series(FIRST, 500, 3)}
    save(engine, saved, full=True)
    inserted = written_blocks(engine)
    save(engine, saved)
    assert inserted == []


changes = st.sampled_from(["same", "grow", "shrink", "edit", "earlier", "later", "empty", "none"])


# Near block edges (128 days) as often as anywhere.
edges = st.sampled_from([1, 127, 128, 129, 255, 256, 257, 384])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.integers(0, 700) | edges,
    offset=st.integers(0, 300) | edges,
    change=changes,
    amount=st.integers(1, 200) | edges,
    seed=st.integers(0, 1000),
)
def test_what_is_read_back_is_what_was_saved(
    engine: sa.Engine, days: int, offset: int, change: str, amount: int, seed: int
) -> None:
    """Any old state and any new series (grown, cut, edited anywhere, moved to another
    first day, emptied or gone): after saving, the store reads back the new series,
    and the same blocks a full save writes."""
    first = FIRST + timedelta(days=offset)
    old = series(first, days, seed)
    new: DailySeries | None = old
    if change == "grow":
        new = series(first, days + amount, seed)
        new = DailySeries(
            first,
            np.concatenate([old.present, new.present[days:]]),
            np.concatenate([old.sums, new.sums[days:]]),
            np.concatenate([old.counts, new.counts[days:]]),
            np.concatenate([old.extremes, new.extremes[days:]]),
        )
    elif change == "shrink":
        keep = max(0, days - amount)
        new = DailySeries(
            first, old.present[:keep], old.sums[:keep], old.counts[:keep], old.extremes[:keep]
        )
    elif change == "edit" and days:
        sums = old.sums.copy()
        sums[amount % days] += 1.0
        new = DailySeries(first, old.present, sums, old.counts, old.extremes)
    elif change in ("earlier", "later"):
        moved = first + timedelta(days=-amount if change == "earlier" else amount)
        new = series(moved, days, seed + 1)
    elif change == "empty":
        new = series(first, 0, seed)
    elif change == "none":
        new = None
    with engine.begin() as conn:
        conn.execute(metric_series_blocks.delete())
    save(engine, {"m": old}, full=True)
    with engine.begin() as conn:
        save_stored(conn, {"m": "v2"}, {"m": new} if new is not None else {}, load_stored(conn))
        incremental = _blocks(conn)
        loaded = load_stored(conn)["m"].series
        expected = new if new is not None and len(new.present) else None
        if expected is None:
            assert loaded is None or not len(loaded.present)
        else:
            assert same(loaded, expected)
        save_stored(conn, {"m": "v2"}, {"m": new} if new is not None else {}, None)
        assert _blocks(conn) == incremental


def _blocks(conn: sa.Connection) -> list[tuple[Any, ...]]:
    table = metric_series_blocks.c
    rows = conn.execute(sa.select(metric_series_blocks).order_by(table.metric, table.block))
    return [(row.metric, row.block, *(bytes(v) for v in row[2:])) for row in rows]


def test_a_downgrade_joins_the_blocks_and_an_upgrade_splits_them_again(
    engine: sa.Engine,
) -> None:
    from alembic import command

    from wbr.store.migration import alembic_config

    saved = {"orders": series(FIRST + timedelta(days=5), 400, 7), "empty": series(FIRST, 0, 8)}
    save(engine, saved, full=True)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008")
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT first_day, present, sums, counts, extremes FROM metric_series "
                "WHERE metric = 'orders'"
            )
        ).one()
    expected = saved["orders"]
    assert bytes(row[1]) == expected.present.astype(np.bool_).tobytes()
    assert [bytes(v) for v in row[2:]] == [
        expected.sums.tobytes(),
        expected.counts.tobytes(),
        expected.extremes.tobytes(),
    ]
    migrate(engine)
    with engine.connect() as conn:
        loaded = load_stored(conn)
    assert same(loaded["orders"].series, expected)
    assert loaded["empty"].series is not None and not len(loaded["empty"].series.present)
