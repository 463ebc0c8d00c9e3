"""Distinct counts per period, computed in SQL, agree with counting sets in Python.

`count_distinct` counts the values new to each range on each day, by one of two
queries (each row's first day in each range, or each row's previous day); both are
run here whatever the ranges' overlap. The cases that could trip them are here on
purpose: a value seen twice on one day, a value last seen just before a range starts
or on its first day, values seen only before every range, nulls, a filter, and
periods that share a first day (a month and its month-to-date periods).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from wbr.calendar import Grain, Period
from wbr.compute import holistic
from wbr.compute.holistic import count_distinct, overlap
from wbr.registry.models import Metric

FIRST_DAY = date(2024, 1, 1)
DAYS = 120


@pytest.fixture
def engine(raw_sql_engine: Engine) -> Engine:
    return raw_sql_engine


@pytest.fixture(params=["first-day", "previous-day"])
def query(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever query the overlap would choose, the other one too."""
    chosen = request.param == "previous-day"
    monkeypatch.setattr(holistic, "_window_pays", lambda conn, ranges: chosen)


def random_rows(seed: int) -> list[dict[str, Any]]:
    """Orders of a few dozen customers, some repeating on one day, some with no customer."""
    chance = random.Random(seed)
    rows = []
    for _ in range(900):
        day = FIRST_DAY + timedelta(days=chance.randrange(DAYS))
        customer = None if chance.random() < 0.05 else f"c{chance.randrange(40)}"
        rows.append({"day": day, "customer": customer, "region": chance.choice(["na", "eu"])})
        if chance.random() < 0.1:  # the same customer again that day
            rows.append(dict(rows[-1]))
    return rows


def periods() -> list[Period]:
    """Weeks, months with their month-to-date periods, and a year-to-date period;
    the first week lies before any row."""
    found = [
        Period(Grain.WEEK, start, start + timedelta(days=6))
        for start in (FIRST_DAY - timedelta(days=7) + timedelta(days=7 * i) for i in range(19))
    ]
    for month in (1, 2, 3, 4):
        start = date(2024, month, 1)
        end = date(2024, month + 1, 1) - timedelta(days=1)
        found.append(Period(Grain.MONTH, start, end))
        found += [Period(Grain.MTD, start, start + timedelta(days=n)) for n in (0, 9, 20)]
    found.append(Period(Grain.YTD, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS + 5)))
    return found


def expected(rows: list[dict[str, Any]], period: Period, region: str | None) -> float:
    return float(
        len(
            {
                row["customer"]
                for row in rows
                if row["customer"] is not None
                and period.start <= row["day"] <= period.end
                and (region is None or row["region"] == region)
            }
        )
    )


def distinct_metric(filters: list[dict[str, Any]]) -> Metric:
    aggregation: dict[str, Any] = {"type": "count_distinct", "column": "customer"}
    if filters:
        aggregation["filters"] = filters
    return Metric.model_validate(
        {
            "name": "active_customers",
            "label": "Active customers",
            "description": "Customers with an order in the period.",
            "kind": "output",
            "owner": "QA",
            "source": "orders",
            "aggregation": aggregation,
        }
    )


def write_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    table = sa.Table(
        "raw_orders",
        sa.MetaData(),
        sa.Column("day", sa.Date),
        sa.Column("customer", sa.Text),
        sa.Column("region", sa.Text),
    )
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), rows)


@pytest.mark.usefixtures("query")
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("region", [None, "eu"])
def test_counts_agree_with_sets(engine: Engine, seed: int, region: str | None) -> None:
    rows = random_rows(seed)
    write_rows(engine, rows)
    filters = [] if region is None else [{"column": "region", "op": "eq", "value": region}]
    wanted = periods()
    with engine.connect() as conn:
        found = count_distinct(conn, "raw_orders", "day", distinct_metric(filters), wanted)
    truth = np.array([expected(rows, period, region) for period in wanted])
    assert truth[0] == 0 and truth.max() > 20  # the cases the docstring names are in play
    np.testing.assert_array_equal(found, truth)


@pytest.mark.usefixtures("query")
def test_recent_periods_alone_ignore_older_rows(engine: Engine) -> None:
    """A refresh asks for recent periods only: a customer last seen long before
    them is new in them, and rows outside them change nothing."""
    rows = random_rows(4)
    write_rows(engine, rows)
    recent = [p for p in periods() if p.start >= date(2024, 3, 1)]
    with engine.connect() as conn:
        found = count_distinct(conn, "raw_orders", "day", distinct_metric([]), recent)
    np.testing.assert_array_equal(found, [expected(rows, period, None) for period in recent])


def test_overlap_tells_a_first_compute_from_a_refresh() -> None:
    everything = [(p.start, p.end) for p in periods()]
    assert overlap(everything) > 2
    assert overlap([(date(2024, 4, 21), date(2024, 4, 27))]) == 1
    week_and_year = [(date(2024, 4, 21), date(2024, 4, 27)), (FIRST_DAY, date(2024, 12, 31))]
    assert overlap(week_and_year) == pytest.approx((7 + 366) / 366)
