"""Medians and percentiles per period, computed in SQL, agree with numpy.

Periods of other grains that cover the same days (a month and its month-to-date, a
year-to-date that is still its first month) are computed once and share the value;
the test gives them on purpose, beside ranges that differ by a day.
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
from wbr.compute import percentiles as percentiles_module
from wbr.compute.day_maps import day_maps
from wbr.compute.percentiles import PercentileJob, percentiles_together
from wbr.registry.models import Metric

FIRST_DAY = date(2024, 1, 1)
DAYS = 70


@pytest.fixture
def engine(raw_sql_engine: Engine) -> Engine:
    return raw_sql_engine


def random_rows(seed: int) -> list[dict[str, Any]]:
    chance = random.Random(seed)
    return [
        {
            "day": FIRST_DAY + timedelta(days=chance.randrange(DAYS)),
            "amount": None if chance.random() < 0.05 else round(chance.lognormvariate(3, 1), 2),
            "region": chance.choice(["na", "eu"]),
        }
        for _ in range(1500)
    ]


def write_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    table = sa.Table(
        "raw_orders",
        sa.MetaData(),
        sa.Column("day", sa.Date),
        sa.Column("amount", sa.Double),  # DuckDB's FLOAT is 32-bit
        sa.Column("region", sa.Text),
    )
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), rows)


def periods() -> list[Period]:
    january = (date(2024, 1, 1), date(2024, 1, 31))
    february = (date(2024, 2, 1), date(2024, 2, 29))
    return [
        Period(Grain.WEEK, date(2024, 1, 21), date(2024, 1, 27)),
        Period(Grain.MONTH, *january),
        Period(Grain.MTD, *january),
        Period(Grain.QTD, *january),
        Period(Grain.YTD, *january),
        Period(Grain.MONTH, *february),
        Period(Grain.MTD, february[0], february[1] - timedelta(days=1)),  # a day short
        Period(Grain.MTD, *february),
        Period(Grain.QTD, date(2024, 1, 1), date(2024, 2, 29)),
        Period(Grain.WEEK, date(2024, 3, 17), date(2024, 3, 23)),  # after every row
    ]


def metric(name: str, aggregation: dict[str, Any]) -> Metric:
    return Metric.model_validate(
        {
            "name": name,
            "label": name,
            "description": "A test metric.",
            "kind": "output",
            "owner": "QA",
            "source": "orders",
            "aggregation": aggregation,
        }
    )


def expected(
    rows: list[dict[str, Any]], period: Period, quantile: float, region: str | None
) -> float:
    values = [
        row["amount"]
        for row in rows
        if row["amount"] is not None
        and period.start <= row["day"] <= period.end
        and (region is None or row["region"] == region)
    ]
    return float(np.percentile(values, quantile * 100)) if values else np.nan


@pytest.mark.parametrize("seed", [1, 2])
def test_percentiles_agree_with_numpy_and_each_range_is_computed_once(
    engine: Engine, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = random_rows(seed)
    write_rows(engine, rows)
    median = metric("median_order", {"type": "median", "column": "amount"})
    eu_p90 = metric(
        "p90_order_eu",
        {
            "type": "percentile",
            "column": "amount",
            "percentile": 90,
            "filters": [{"column": "region", "op": "eq", "value": "eu"}],
        },
    )
    wanted = periods()
    jobs = [PercentileJob(m, np.full(len(wanted), 100.0)) for m in (median, eu_p90)]
    asked: list[list[Period]] = []
    inner = percentiles_module.percentiles_together

    def recording(*args: Any) -> dict[str, np.ndarray]:
        asked.append(list(args[4]))
        return inner(*args)

    monkeypatch.setattr(percentiles_module, "percentiles_together", recording)
    with engine.connect() as conn, day_maps(conn) as maps:
        found = percentiles_together(conn, "raw_orders", "day", jobs, wanted, maps)

    ranges = {(p.start, p.end) for p in wanted}
    assert [len({(p.start, p.end) for p in call}) for call in asked] == [len(ranges)]
    assert len(asked[0]) == len(ranges) < len(wanted)
    for name, quantile, region in (("median_order", 0.5, None), ("p90_order_eu", 0.9, "eu")):
        truth = [expected(rows, period, quantile, region) for period in wanted]
        assert np.isnan(truth[-1]) and not np.isnan(truth[:-1]).any()
        np.testing.assert_allclose(found[name], truth, rtol=1e-9, equal_nan=True)
