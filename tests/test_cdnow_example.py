"""The CDNOW example: real 1997-1998 purchases through the file and SQL connectors.

Weekly numbers computed by wbr (ingest → compute → metric_values) must equal an
independent pandas computation over the published file.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from wbr.compute.run import compute
from wbr.ingest import ingest
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, metric_values, migrate

EXAMPLE = Path(__file__).parent.parent / "examples" / "cdnow"
DATA = EXAMPLE / "data" / "CDNOW_master.txt"
WEEKS = [
    date(1997, 1, 11),
    date(1997, 3, 29),
    date(1997, 4, 5),
    date(1997, 11, 29),
    date(1998, 6, 27),
]


@pytest.fixture(scope="module", params=["sqlite", "sqlite+duckdb"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The app store, after a load and computation; raw tables in SQLite too, or in
    DuckDB as by default (its `purchases` source reads the raw store back with SQL)."""
    folder = tmp_path_factory.mktemp("cdnow")
    engine = create_store_engine(f"sqlite:///{folder / 'store.db'}")
    migrate(engine)
    raw = (
        create_store_engine(f"duckdb:///{folder / 'raw.duckdb'}")
        if "duckdb" in request.param
        else None
    )
    registry = load_registry(EXAMPLE / "metrics.yaml")
    reports = ingest(engine, registry, EXAMPLE, raw_engine=raw)
    assert [(report.source, report.rows) for report in reports] == [
        ("cdnow", 69_659),
        ("purchases", 69_659),
    ]
    compute(engine, registry, raw_engine=raw)
    return engine


def _stored(engine: Engine, metric: str, week_ending: date) -> float | None:
    query = select(metric_values.c.value).where(
        metric_values.c.metric == metric,
        metric_values.c.grain == "week",
        metric_values.c.period_end == week_ending,
    )
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def _pandas_week(week_ending: date) -> dict[str, float]:
    frame = pd.read_csv(DATA, sep=r"\s+", dtype={"customer_id": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    first_day = frame.groupby("customer_id")["date"].transform("min")
    start = pd.Timestamp(week_ending - timedelta(days=6))
    week = frame[(frame["date"] >= start) & (frame["date"] <= pd.Timestamp(week_ending))]
    is_first = week["date"] == first_day[week.index]
    revenue = float(week["dollar_value"].sum())
    active = week["customer_id"].nunique()
    return {
        "orders": len(week),
        "cds_sold": int(week["number_of_cds"].sum()),
        "revenue": revenue,
        "active_customers": active,
        "new_customers": week.loc[is_first, "customer_id"].nunique(),
        "repeat_customers": week.loc[~is_first, "customer_id"].nunique(),
        "revenue_per_customer": revenue / active,
    }


@pytest.mark.parametrize("week_ending", WEEKS, ids=str)
def test_weekly_numbers_equal_pandas(store: Engine, week_ending: date) -> None:
    for metric, expected in _pandas_week(week_ending).items():
        assert _stored(store, metric, week_ending) == pytest.approx(expected), metric


def test_customers_are_new_only_in_the_first_quarter_of_1997(store: Engine) -> None:
    """The cohort made its first purchase in Q1 1997, so no customer is new afterwards."""
    assert _stored(store, "new_customers", date(1997, 3, 29)) > 0
    assert _stored(store, "new_customers", date(1997, 11, 29)) == 0


def test_the_example_ships_the_licence_and_attribution() -> None:
    assert "MIT" in (EXAMPLE / "data" / "LICENSE.txt").read_text()
    readme = (EXAMPLE / "README.md").read_text()
    assert "Cameron Davidson-Pilon" in readme
    assert "Fader" in readme
