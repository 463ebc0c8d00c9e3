"""Project detection on the store: idempotent flags, events, completeness, root cause.

Runs on SQLite and on PostgreSQL (the `store_engine` fixture).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import small_project as shop
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr.anomalies import (
    DetectorName,
    FlagStatus,
    detect_project,
    flag_by_id,
    flags_for_metric,
    flags_for_week,
)
from wbr.anomalies.model import Contributor
from wbr.anomalies.store import write_flags
from wbr.compute.run import compute
from wbr.registry.models import Registry
from wbr.store import replace_raw_table
from wbr.store.schema import anomaly_flags, detection_runs

# In the small shop, 2024 brings 200 impressions a day instead of 100 and three
# $5 orders instead of two: impressions, CTR and revenue step on 2024-01-06.
STEP_WEEKS = [date(2024, 1, 6) + timedelta(weeks=i) for i in range(4)]
STEPPED = {"impressions", "ctr", "revenue"}


def load_shop(engine: Engine, traffic: pd.DataFrame | None = None) -> None:
    replace_raw_table(
        engine, "traffic", [shop.traffic_frame() if traffic is None else traffic], "day"
    )
    replace_raw_table(engine, "orders", [shop.orders_frame()], "order_date")


def flag_rows(engine: Engine) -> list[dict[str, Any]]:
    query = sa.select(anomaly_flags).order_by(anomaly_flags.c.id)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def test_detection_flags_the_step_and_a_rerun_updates_instead_of_duplicating(
    store_engine: Engine,
) -> None:
    load_shop(store_engine)
    compute(store_engine, shop.registry())
    first = detect_project(store_engine, shop.registry())

    # A step is one level-shift flag at the week it began, then it is the baseline.
    assert {(f.metric, f.week_ending, f.detector) for f in first.flags} == {
        (metric, STEP_WEEKS[0], DetectorName.LEVEL_SHIFT) for metric in STEPPED
    }
    assert (first.inserted, first.updated, first.resolved) == (3, 0, 0)
    assert first.metrics_scored == 6 and first.latest_week == shop.WEEK_ENDING
    ctr = next(f for f in first.flags if f.metric == "ctr")
    # The week ending 2024-01-06 holds six days of 2024 (12 clicks of 200) and one of 2023.
    assert ctr.is_bad and ctr.actual == pytest.approx((6 * 12 + 10) / (6 * 200 + 100))
    assert ctr.expected == pytest.approx(0.10)
    assert ctr.explanation.startswith("new level since 2024-01-06: 400 bps below the previous")
    revenue = next(f for f in first.flags if f.metric == "revenue")
    assert not revenue.is_bad and revenue.actual == pytest.approx(100.0)

    before = flag_rows(store_engine)
    second = detect_project(store_engine, shop.registry())
    assert (second.inserted, second.updated, second.resolved) == (0, 3, 0)
    rows = flag_rows(store_engine)
    assert [row["id"] for row in rows] == [row["id"] for row in before]
    assert {row["run_id"] for row in rows} == {second.run_id}
    # Found as they were: confirmed by the new run, but not changed (the deck keeps its copy).
    assert second.changed == 0
    assert [row["updated_at"] for row in rows] == [row["updated_at"] for row in before]
    with store_engine.connect() as conn:
        runs = conn.execute(sa.select(detection_runs.c.status, detection_runs.c.flags_open)).all()
    assert runs == [("succeeded", 3), ("succeeded", 3)]


def test_a_rerun_on_changed_data_updates_or_resolves_flags_and_keeps_their_ids(
    store_engine: Engine,
) -> None:
    load_shop(store_engine)
    compute(store_engine, shop.registry())
    detect_project(store_engine, shop.registry())
    impressions_ids = [f.id for f in flags_for_metric(store_engine, "impressions")]
    ctr_before = flags_for_metric(store_engine, "ctr")
    assert len(impressions_ids) == 1 and all(f.is_bad for f in ctr_before)

    # Corrected data: 2024 had 100 impressions a day after all; clicks stay at 12.
    traffic = shop.traffic_frame()
    traffic["impressions"] = 100
    load_shop(store_engine, traffic)
    compute(store_engine, shop.registry(), full=True)  # raw tables replaced without a load run
    report = detect_project(store_engine, shop.registry())

    assert (report.inserted, report.updated, report.resolved) == (0, 2, 1)
    assert report.changed == 1  # CTR's values moved; revenue's flag came out the same
    assert flags_for_metric(store_engine, "impressions") == []
    assert impressions_ids[0] is not None
    resolved = flag_by_id(store_engine, impressions_ids[0])
    assert resolved is not None and resolved.status is FlagStatus.RESOLVED
    assert resolved.week_ending == STEP_WEEKS[0]
    # CTR still fires, now up (12 / 100 against 10 / 100): the same rows, updated.
    ctr_after = flags_for_metric(store_engine, "ctr")
    assert [f.id for f in ctr_after] == [f.id for f in ctr_before]
    assert [f.is_bad for f in ctr_after] == [False]
    assert ctr_after[0].actual == pytest.approx((6 * 12 + 10) / 700)
    assert set(flags_for_week(store_engine, STEP_WEEKS[0])) == {"ctr", "revenue"}


def test_known_events_explain_their_weeks(store_engine: Engine) -> None:
    data = {**shop.REGISTRY_DATA}
    data["project"] = {
        **data["project"],
        "events": [{"name": "New Year pricing", "start": "2024-01-01", "end": "2024-01-10"}],
    }
    registry = Registry.model_validate(data)
    load_shop(store_engine)
    compute(store_engine, registry)
    detect_project(store_engine, registry)
    first_week = flags_for_week(store_engine, STEP_WEEKS[0])
    assert set(first_week) == STEPPED
    assert {f.status for flags in first_week.values() for f in flags} == {FlagStatus.EXPLAINED}
    assert {f.explained_by for flags in first_week.values() for f in flags} == {"New Year pricing"}
    assert all(
        f.explanation.endswith("; during New Year pricing (a known event)")
        for flags in first_week.values()
        for f in flags
    )


def test_an_incomplete_week_is_never_scored(store_engine: Engine) -> None:
    missing = (shop.LAST_DAY - timedelta(days=2),)  # the last week lacks a day of traffic
    load_shop(store_engine, shop.traffic_frame(missing))
    compute(store_engine, shop.registry())
    report = detect_project(store_engine, shop.registry())
    last_week = flags_for_week(store_engine, shop.WEEK_ENDING)
    # Six days of impressions are 14 % below a full week: summed, it would be flagged.
    assert "impressions" not in last_week and "clicks" not in last_week
    assert report.latest_week == shop.WEEK_ENDING  # orders' last week is complete


# --- Root cause -------------------------------------------------------------------------

FIRST_DAY = date(2024, 1, 7)  # a Sunday: whole weeks ending on Saturday
WEEKS = 20
DAILY_AMOUNT = {"West": 100.0, "East": 50.0, "South": 30.0}
LAST_WEEK_AMOUNT = {"West": 40.0, "East": 55.0, "South": 30.0}
CHANNEL = {"West": "web", "East": "web", "South": "app"}
SESSIONS_PER_DAY = 1000


def sales_frame() -> pd.DataFrame:
    rows = []
    for offset in range(WEEKS * 7):
        day = FIRST_DAY + timedelta(days=offset)
        amounts = LAST_WEEK_AMOUNT if offset >= (WEEKS - 1) * 7 else DAILY_AMOUNT
        for region, amount in amounts.items():
            rows.append(
                {"day": day, "region": region, "channel": CHANNEL[region], "amount": amount}
            )
    return pd.DataFrame(rows)


def root_cause_registry() -> Registry:
    def metric(name: str, aggregation: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "label": name,
            "description": f"{name} for the root-cause test.",
            "kind": "output",
            "owner": "Test Owner",
            "aggregation": aggregation,
            **extra,
        }

    return Registry.model_validate(
        {
            "sources": {
                "sales": {"kind": "csv", "path": "sales.csv", "date_column": "day"},
                "site": {"kind": "csv", "path": "site.csv", "date_column": "day"},
            },
            "metrics": [
                metric(
                    "revenue",
                    {"type": "sum", "column": "amount"},
                    source="sales",
                    unit="currency",
                    dimensions=["region", "channel"],
                ),
                metric("sessions", {"type": "sum", "column": "sessions"}, source="site"),
                metric(
                    "revenue_per_session",
                    {"type": "ratio", "numerator": "revenue", "denominator": "sessions"},
                    unit="currency",
                    dimensions=["region"],
                ),
            ],
            "deck": {"sections": [{"title": "All", "metrics": ["revenue", "sessions"]}]},
        }
    )


def test_root_cause_ranks_the_dimension_values_that_drove_the_change(store_engine: Engine) -> None:
    replace_raw_table(store_engine, "sales", [sales_frame()], "day")
    days = [FIRST_DAY + timedelta(days=n) for n in range(WEEKS * 7)]
    site = pd.DataFrame({"day": days, "sessions": SESSIONS_PER_DAY})
    replace_raw_table(store_engine, "site", [site], "day")
    registry = root_cause_registry()
    compute(store_engine, registry)
    report = detect_project(store_engine, registry)
    assert report.warnings == ()
    last_week = FIRST_DAY + timedelta(days=WEEKS * 7 - 1)
    flags = flags_for_week(store_engine, last_week)

    (revenue,) = flags["revenue"]
    assert revenue.actual == pytest.approx(
        875.0
    ) and revenue.comparison_week == last_week - timedelta(weeks=1)
    by_region = [c for c in revenue.contributors if c.dimension == "region"]
    # The week fell by 385: West -420, South 0, East +35; the biggest drivers first.
    assert [c.value for c in by_region] == ["West", "South", "East"]
    assert [c.contribution for c in by_region] == pytest.approx([-420.0, 0.0, 35.0])
    assert by_region[0].current == pytest.approx(280.0)
    assert by_region[0].comparison == pytest.approx(700.0)
    assert by_region[0].share == pytest.approx(420 / 385)
    by_channel = [c for c in revenue.contributors if c.dimension == "channel"]
    assert [c.value for c in by_channel] == ["web", "app"]
    assert [c.contribution for c in by_channel] == pytest.approx([-385.0, 0.0])

    # Each dimension's top value, the most concentrated first: West carries 109 % of it.
    assert [(c.dimension, c.value) for c in revenue.drivers()] == [
        ("region", "West"),
        ("channel", "web"),
    ]

    # A ratio decomposes its numerator over the whole week's denominator.
    (ratio,) = flags["revenue_per_session"]
    parts = {c.value: c.contribution for c in ratio.contributors}
    assert parts == {
        "West": pytest.approx(-420 / 7000),
        "South": pytest.approx(0.0),
        "East": pytest.approx(35 / 7000),
    }
    assert sum(parts.values()) == pytest.approx(ratio.actual - 1260 / 7000)


def test_a_missing_dimension_column_is_a_warning_not_a_failure(store_engine: Engine) -> None:
    replace_raw_table(store_engine, "sales", [sales_frame().drop(columns=["channel"])], "day")
    days = [FIRST_DAY + timedelta(days=n) for n in range(WEEKS * 7)]
    replace_raw_table(store_engine, "site", [pd.DataFrame({"day": days, "sessions": 1000})], "day")
    registry = root_cause_registry()
    compute(store_engine, registry)
    report = detect_project(store_engine, registry)
    assert any("revenue" in warning and "channel" in warning for warning in report.warnings)
    (revenue,) = flags_for_week(store_engine, FIRST_DAY + timedelta(days=WEEKS * 7 - 1))["revenue"]
    assert revenue.contributors == ()


def test_contributions_summed_in_another_order_are_not_a_change(store_engine: Engine) -> None:
    """DuckDB sums a dimension's rows on several threads: a rerun's contributions may
    differ in the last digits. The flag is the same one, and keeps its stamp."""
    load_shop(store_engine)
    compute(store_engine, shop.registry())
    report = detect_project(store_engine, shop.registry())
    flag = replace(
        report.flags[0],
        contributors=(Contributor("region", "West", 51214.26, 31085.9, 20128.36, 0.3277),),
    )
    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    with store_engine.begin() as conn:
        first = write_flags(conn, [flag], report.run_id, now)
    assert first.changed == 1  # the contributors are new
    noisy = replace(
        flag,
        contributors=(
            Contributor("region", "West", 51214.259999999966, 31085.9, 20128.359999999968, 0.3277),
        ),
    )
    with store_engine.begin() as conn:
        again = write_flags(conn, [noisy], report.run_id, now + timedelta(hours=1))
    assert again.changed == 0
    moved = replace(
        flag, contributors=(Contributor("region", "West", 51300.0, 31085.9, 20214.1, 0.33),)
    )
    with store_engine.begin() as conn:
        assert write_flags(conn, [moved], report.run_id, now + timedelta(hours=2)).changed == 1
