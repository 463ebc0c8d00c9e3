"""Flags reach the deck: the chart of a flagged metric carries the week, the sentence and
the numbers, in the model and in the JSON export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import small_project as shop

from wbr.anomalies import detect_project
from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.deck.model import Deck
from wbr.export import deck_from_dict, deck_to_dict
from wbr.store import create_store_engine, migrate, replace_raw_table

LAST_WEEK = [shop.LAST_DAY - timedelta(days=n) for n in range(7)]


@pytest.fixture
def deck(store_url: str) -> Iterator[Deck]:
    traffic = shop.traffic_frame()
    # An outage: the last week's clicks halve; impressions do not move.
    traffic.loc[traffic["day"].isin(LAST_WEEK), "clicks"] = 6
    engine = create_store_engine(store_url)
    migrate(engine)
    replace_raw_table(engine, "traffic", [traffic], "day")
    replace_raw_table(engine, "orders", [shop.orders_frame()], "order_date")
    compute(engine, shop.registry())
    detect_project(engine, shop.registry())
    yield build_deck(engine, shop.registry(), shop.WEEK_ENDING)
    engine.dispose()


def test_the_flagged_week_is_on_its_chart(deck: Deck) -> None:
    clicks = next(c for c in deck.charts if c.metric == "clicks")
    [note] = [n for n in clicks.anomalies if n.week_ending == shop.WEEK_ENDING]
    assert note.actual == 42  # 7 days x 6
    assert note.expected == pytest.approx(84)
    assert note.is_bad  # clicks: higher is better, and they fell
    assert note.status == "open"
    assert "got 42" in note.explanation
    assert note.flag_id is not None
    orders = next(c for c in deck.charts if c.metric == "orders")
    assert orders.anomalies == ()  # routine weeks are not flagged


def test_flags_round_trip_through_json(deck: Deck) -> None:
    body = deck_to_dict(deck)
    clicks = next(c for s in body["sections"] for c in s["charts"] if c["metric"] == "clicks")
    assert clicks["anomalies"][-1]["week_ending"] == shop.WEEK_ENDING.isoformat()
    assert deck_to_dict(deck_from_dict(body)) == body
