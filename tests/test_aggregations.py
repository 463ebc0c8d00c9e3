"""Every aggregation class, filters and formulas against numbers worked out by hand,
on the embedded store and on PostgreSQL.

Data: 1-16 March 2024 (weeks end on Saturday: 2 March, 9 March, 16 March).
- events: on the k-th day of a week (k = 0 Sunday … 6 Saturday) customer A buys for
  k + 1 and a second customer buys for 10 (k + 1) — B in the week ending 9 March
  (and on 1-2 March), C in the week ending 16 March; D buys once, for 1000, on
  16 March.
- balances: accounts X (100 + days since 1 March) and Y (always 50), one row each a day.

So the week ending 16 March has 15 purchases: 1…7, 10…70 and 1000.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.deck.model import Chart, Deck
from wbr.registry.models import Registry
from wbr.store import create_store_engine, migrate, replace_raw_table

FIRST = date(2024, 3, 1)
WEEK_ENDING = date(2024, 3, 16)


def events() -> pd.DataFrame:
    rows = []
    day = FIRST
    while day <= WEEK_ENDING:
        k = (day.weekday() + 1) % 7  # Sunday 0 … Saturday 6
        second = "C" if day > date(2024, 3, 9) else "B"
        rows += [
            {"day": day, "customer": "A", "amount": float(k + 1)},
            {"day": day, "customer": second, "amount": float(10 * (k + 1))},
        ]
        if day == WEEK_ENDING:
            rows.append({"day": day, "customer": "D", "amount": 1000.0})
        day += timedelta(days=1)
    return pd.DataFrame(rows)


def balances() -> pd.DataFrame:
    rows = []
    for offset in range((WEEK_ENDING - FIRST).days + 1):
        day = FIRST + timedelta(days=offset)
        rows += [
            {"day": day, "account": "X", "balance": 100.0 + offset},
            {"day": day, "account": "Y", "balance": 50.0},
        ]
    return pd.DataFrame(rows)


def metric(
    name: str, aggregation: dict[str, Any], source: str | None = "events", **extra: Any
) -> dict[str, Any]:
    body = {
        "name": name,
        "label": name,
        "description": "test",
        "kind": "output",
        "owner": "QA",
        "aggregation": aggregation,
        **extra,
    }
    if source is not None and aggregation["type"] not in ("ratio", "formula"):
        body["source"] = source
    return body


METRICS = [
    metric("revenue", {"type": "sum", "column": "amount"}),
    metric("orders", {"type": "count"}),
    metric("mean_amount", {"type": "mean", "column": "amount"}),
    metric("smallest", {"type": "min", "column": "amount"}),
    metric("largest", {"type": "max", "column": "amount"}),
    metric("opening_balance", {"type": "first", "column": "balance"}, source="balances"),
    metric("closing_balance", {"type": "last", "column": "balance"}, source="balances"),
    metric("active_customers", {"type": "count_distinct", "column": "customer"}),
    metric("median_amount", {"type": "median", "column": "amount"}),
    metric("p90_amount", {"type": "percentile", "column": "amount", "percentile": 90}),
    metric(
        "a_revenue",
        {
            "type": "sum",
            "column": "amount",
            "filters": [{"column": "customer", "op": "eq", "value": "A"}],
        },
    ),
    metric(
        "d_orders",
        {"type": "count", "filters": [{"column": "customer", "op": "in", "value": ["D", "E"]}]},
    ),
    metric(
        "big_orders", {"type": "count", "filters": [{"column": "amount", "op": "ge", "value": 50}]}
    ),
    metric("other_revenue", {"type": "formula", "expression": "(revenue - a_revenue) / orders"}),
]


@pytest.fixture
def deck(store_url: str) -> Iterator[Deck]:
    registry = Registry.model_validate(
        {
            "project": {"week_ends_on": "saturday"},
            "sources": {
                "events": {"kind": "csv", "path": "e.csv", "date_column": "day"},
                "balances": {"kind": "csv", "path": "b.csv", "date_column": "day"},
            },
            "metrics": METRICS,
            "deck": {"sections": [{"title": "All", "metrics": [m["name"] for m in METRICS]}]},
        }
    )
    engine: Engine = create_store_engine(store_url)
    migrate(engine)
    replace_raw_table(engine, "events", [events()], "day")
    replace_raw_table(engine, "balances", [balances()], "day")
    compute(engine, registry)
    yield build_deck(engine, registry, WEEK_ENDING)
    engine.dispose()


def last_week(deck: Deck, name: str) -> float | None:
    return chart(deck, name).box.last_week


def chart(deck: Deck, name: str) -> Chart:
    return next(c for c in deck.charts if c.metric == name)


def test_additive(deck: Deck) -> None:
    assert last_week(deck, "revenue") == 28 + 280 + 1000
    assert last_week(deck, "orders") == 15
    assert last_week(deck, "mean_amount") == pytest.approx(1308 / 15)


def test_semi_additive(deck: Deck) -> None:
    assert last_week(deck, "smallest") == 1
    assert last_week(deck, "largest") == 1000
    assert chart(deck, "largest").weeks[-2].cy == 70  # the week before: no D
    assert last_week(deck, "opening_balance") == (100 + 9) + 50  # Sunday 10 March
    assert last_week(deck, "closing_balance") == (100 + 15) + 50  # Saturday 16 March
    assert chart(deck, "closing_balance").box.mtd == 165  # the month so far ends 16 March


def test_non_additive_are_computed_per_period(deck: Deck) -> None:
    active = chart(deck, "active_customers")
    assert active.box.last_week == 3  # A, C, D: not 7 days x 2 + 1
    assert active.weeks[-2].cy == 2  # A, B
    assert active.box.mtd == 4  # A, B, C, D over 1-16 March
    assert active.box.qtd is None  # January and February have no data: incomplete
    # 1…7, 10…70, 1000: the 8th of 15 is 10; p90 sits at 12.6 → 60 + 0.6 x (70 - 60).
    assert last_week(deck, "median_amount") == 10
    assert last_week(deck, "p90_amount") == pytest.approx(66.0)
    assert chart(deck, "median_amount").box.mtd is not None


def test_filters_and_zero_is_a_value(deck: Deck) -> None:
    assert last_week(deck, "a_revenue") == 28
    assert last_week(deck, "d_orders") == 1
    assert chart(deck, "d_orders").weeks[-2].cy == 0  # no D that week: zero, not N/A
    assert chart(deck, "d_orders").weeks[-2].cy_complete
    assert last_week(deck, "big_orders") == 4  # 50, 60, 70 and 1000


def test_formula(deck: Deck) -> None:
    assert last_week(deck, "other_revenue") == pytest.approx((1308 - 28) / 15)


def test_partial_first_week_is_incomplete(deck: Deck) -> None:
    first_week = chart(deck, "revenue").weeks[-3]  # 25 February - 2 March: only 1-2 March
    assert first_week.end == date(2024, 3, 2)
    assert first_week.cy is None
    assert first_week.cy_complete is False
