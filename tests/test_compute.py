"""Computed values equal hand-checked numbers and an independent pandas computation,
on the embedded store and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pandas as pd
import pytest
import small_project as shop
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr import calendar as cal
from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.deck.model import Chart, Deck
from wbr.errors import ComputeError, ConfigError
from wbr.store import create_store_engine, metric_values, migrate, replace_raw_table


def load(engine: Engine, missing: tuple[date, ...] = ()) -> None:
    replace_raw_table(engine, "traffic", [shop.traffic_frame(missing)], "day")
    replace_raw_table(engine, "orders", [shop.orders_frame()], "order_date")


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = create_store_engine(store_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def deck(engine: Engine) -> Deck:
    load(engine)
    compute(engine, shop.registry())
    return build_deck(engine, shop.registry(), shop.WEEK_ENDING)


def chart(deck: Deck, metric: str) -> Chart:
    return next(c for c in deck.charts if c.metric == metric)


def test_hand_checked_box_totals(deck: Deck) -> None:
    clicks = chart(deck, "clicks").box
    assert clicks.last_week == 84  # 7 days x 12
    assert clicks.wow.value == pytest.approx(0.0)
    assert clicks.last_week_yoy.value == pytest.approx(20.0)  # 84 / 70
    assert clicks.mtd == 192  # 1-16 March 2024: 16 x 12
    assert clicks.mtd_yoy.value == pytest.approx(20.0)  # 160 a year earlier
    assert clicks.qtd == 912  # 76 days of 2024 x 12
    assert clicks.ytd == 912
    assert clicks.ytd_yoy.value == pytest.approx(912 / 750 * 100 - 100)  # 75 days of 2023 x 10


def test_ratio_is_a_ratio_of_sums_compared_in_basis_points(deck: Deck) -> None:
    ctr = chart(deck, "ctr")
    assert ctr.comparison == "bps"
    assert ctr.box.last_week == pytest.approx(0.06)
    assert ctr.weeks[-1].py == pytest.approx(0.10)
    assert ctr.box.last_week_yoy.value == pytest.approx(-400.0)
    assert ctr.box.last_week_yoy.unit == "bps"


def test_count_sum_and_mean(deck: Deck) -> None:
    assert chart(deck, "orders").box.last_week == 21
    assert chart(deck, "orders").box.last_week_yoy.value == pytest.approx(50.0)
    assert chart(deck, "revenue").box.mtd == 16 * 3 * 5.0
    assert chart(deck, "order_value").box.last_week == pytest.approx(5.0)
    assert chart(deck, "order_value").box.last_week_yoy.value == pytest.approx(0.0)


def test_series_and_labels(deck: Deck) -> None:
    clicks = chart(deck, "clicks")
    assert [p.label for p in clicks.weeks] == [f"wk {n}" for n in range(5, 11)]
    assert [p.cy for p in clicks.weeks] == [84] * 6
    assert [p.py for p in clicks.weeks] == [70] * 6
    assert clicks.months[0].label == "Mar"
    assert clicks.months[-1].cy == 29 * 12  # February 2024
    assert clicks.months[-1].py == 28 * 10
    assert clicks.months[0].py is None  # March 2022: before the data
    assert clicks.months[0].cy == 31 * 10


def test_first_week_before_data_is_na_never_zero(engine: Engine) -> None:
    load(engine)
    compute(engine, shop.registry())
    deck = build_deck(engine, shop.registry(), date(2023, 1, 14))
    clicks = chart(deck, "clicks")
    assert clicks.weeks[-1].cy == 70
    assert clicks.weeks[-1].py is None
    assert clicks.box.last_week_yoy.value is None
    # The week ending 7 January 2023 is 1-7 January: complete. The one before it
    # ends 31 December 2022, before the data: N/A, not 0.
    assert clicks.weeks[-2].cy == 70
    assert clicks.weeks[-3].cy is None


def test_a_missing_day_makes_its_periods_incomplete(engine: Engine) -> None:
    missing = date(2024, 3, 13)  # Wednesday of the last week
    load(engine, missing=(missing,))
    compute(engine, shop.registry())
    deck = build_deck(engine, shop.registry(), shop.WEEK_ENDING)
    clicks, ctr = chart(deck, "clicks"), chart(deck, "ctr")
    assert clicks.weeks[-1].cy is None
    assert clicks.weeks[-1].cy_complete is False
    assert clicks.weeks[-2].cy == 84  # the week before is untouched
    assert clicks.box.mtd is None
    assert clicks.box.wow.value is None  # never computed from 6 of 7 days
    assert ctr.weeks[-1].cy is None
    # Orders come from another table, which has the day: unaffected.
    assert chart(deck, "orders").box.last_week == 21
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(metric_values).where(
                metric_values.c.metric == "clicks",
                metric_values.c.grain == "week",
                metric_values.c.period_end == shop.WEEK_ENDING,
            )
        ).one()
    assert (row.days_present, row.days_expected, row.complete) == (6, 7, False)
    assert row.numerator == 72  # what is known is kept beside the value, never as it


def independent_week_sums(frame: pd.DataFrame, column: str, week_ending: date) -> float | None:
    """The week's total straight from raw rows with pandas, None if a day is missing."""
    start = week_ending - timedelta(days=6)
    in_week = frame[(frame["day"] >= start) & (frame["day"] <= week_ending)]
    if in_week["day"].nunique() < 7:
        return None
    return float(in_week[column].sum())


def test_every_stored_week_equals_an_independent_pandas_computation(engine: Engine) -> None:
    load(engine)
    compute(engine, shop.registry())
    raw = shop.traffic_frame()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(metric_values.c.period_end, metric_values.c.value).where(
                metric_values.c.metric == "clicks", metric_values.c.grain == "week"
            )
        ).all()
    stored = {row.period_end: row.value for row in rows}
    week_ending = cal.latest_week_ending(shop.LAST_DAY, 5)
    checked = 0
    while week_ending >= shop.FIRST_DAY:
        assert stored.get(week_ending) == independent_week_sums(raw, "clicks", week_ending)
        week_ending -= timedelta(days=7)
        checked += 1
    assert checked == 63


def test_a_failed_compute_keeps_the_previous_values(engine: Engine) -> None:
    load(engine)
    compute(engine, shop.registry())
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(metric_values)).scalar()
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE raw_orders"))
    # Nothing was loaded since, so a plain refresh has nothing to do; a full one fails.
    compute(engine, shop.registry())
    with pytest.raises(ComputeError, match="raw_orders"):
        compute(engine, shop.registry(), full=True)
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(metric_values)).scalar()
    assert before == after
    assert before is not None and before > 0


def test_week_ending_must_be_a_week_end_with_data(deck: Deck, engine: Engine) -> None:
    with pytest.raises(ConfigError, match="Friday"):
        build_deck(engine, shop.registry(), date(2024, 3, 15))
    with pytest.raises(ConfigError, match="no data"):
        build_deck(engine, shop.registry(), date(2024, 3, 23))
