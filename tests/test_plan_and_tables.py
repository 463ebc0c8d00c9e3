"""Targets (from another metric or typed in), variance to plan, and the two tables."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest
import small_project as shop

from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.deck.model import Chart, Deck, MetricTable
from wbr.registry.models import Registry
from wbr.store import create_store_engine, migrate, replace_raw_table


def registry() -> Registry:
    data: dict[str, Any] = copy.deepcopy(shop.REGISTRY_DATA)
    data["sources"]["plan"] = {"kind": "csv", "path": "plan.csv", "date_column": "day"}
    data["metrics"].append(
        {
            "name": "orders_plan",
            "label": "Orders plan",
            "description": "The plan.",
            "kind": "output",
            "owner": "Finance",
            "source": "plan",
            "aggregation": {"type": "sum", "column": "orders_target"},
        }
    )
    for metric in data["metrics"]:
        if metric["name"] == "orders":
            metric["target"] = {"metric": "orders_plan"}
        if metric["name"] == "clicks":
            metric["target"] = {"weeks": {date(2024, 3, 16): 80.0}, "months": {"2024-02": 300.0}}
    return Registry.model_validate(data)


@pytest.fixture
def deck(store_url: str) -> Iterator[Deck]:
    engine = create_store_engine(store_url)
    migrate(engine)
    replace_raw_table(engine, "traffic", [shop.traffic_frame()], "day")
    replace_raw_table(engine, "orders", [shop.orders_frame()], "order_date")
    plan = pd.DataFrame({"day": shop.days(), "orders_target": 2.5})
    replace_raw_table(engine, "plan", [plan], "day")
    compute(engine, registry())
    yield build_deck(engine, registry(), shop.WEEK_ENDING)
    engine.dispose()


def chart(deck: Deck, name: str) -> Chart:
    return next(c for c in deck.charts if c.metric == name)


def row(table: MetricTable, label: str) -> list[float | None]:
    return list(next(r for r in table.rows if r.label == label).cells)


def test_plan_from_a_metric(deck: Deck) -> None:
    orders = chart(deck, "orders")
    assert orders.weeks[-1].target == 17.5  # 7 days x 2.5
    assert orders.plan is not None
    assert orders.plan.last_week.variance == pytest.approx(21 - 17.5)
    assert orders.plan.last_week.variance_pct == pytest.approx(20.0)
    assert orders.plan.mtd.target == 40  # 1-16 March x 2.5
    assert orders.plan.mtd.variance_pct == pytest.approx(20.0)  # 48 against 40


def test_typed_in_targets_cover_weeks_and_months(deck: Deck) -> None:
    clicks = chart(deck, "clicks")
    assert clicks.weeks[-1].target == 80
    assert clicks.weeks[-2].target is None
    assert clicks.months[-1].target == 300  # February 2024
    assert clicks.plan is not None
    assert clicks.plan.last_week.variance == 4  # 84 against 80
    assert clicks.plan.mtd.target is None  # no typed-in target for a month so far
    assert chart(deck, "ctr").plan is None


def test_six_week_table(deck: Deck) -> None:
    table = chart(deck, "clicks").tables[0]
    assert table.columns == (*(f"wk {n}" for n in range(5, 11)), "QTD", "YTD")
    assert row(table, "Actual") == [84] * 6 + [912, 912]
    assert row(table, "YoY") == pytest.approx([20.0] * 6 + [912 / 750 * 100 - 100] * 2)
    assert row(table, "WoW") == [0.0] * 6 + [None, None]
    assert row(table, "Plan")[-3:] == [80, None, None]
    assert row(table, "Vs plan")[5] == 4


def test_twelve_month_table(deck: Deck) -> None:
    table = chart(deck, "ctr").tables[1]
    assert table.title == "Trailing 12 months"
    assert table.columns[0] == "Mar" and table.columns[-1] == "Feb"
    assert [r.label for r in table.rows] == ["Actual", "YoY", "MoM"]  # no plan rows
    assert row(table, "Actual")[-1] == pytest.approx(0.06)
    assert row(table, "YoY")[-1] == pytest.approx(-400.0)  # a rate: basis points
    assert row(table, "MoM")[-1] == pytest.approx(0.0)
    assert row(table, "MoM")[-2] == pytest.approx(-400.0)  # January 2024 against December
    assert next(r for r in table.rows if r.label == "YoY").kind == "bps"
