"""The benchmark's series: NYC taxi (labelled by NAB), Peyton Manning's Wikipedia views
(labelled with his playoff games), CDNOW revenue and the demo retailer.

A `Case` is one series and what scoring it needs: labelled anomaly windows,
periods that count neither way (real but unlabelled events), where scoring
starts, and the known events an analyst would have declared in metrics.yaml.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from wbr.anomalies.holidays import US_RETAIL_HOLIDAYS
from wbr.registry.anomaly_settings import KnownEvent

DATA = Path(__file__).parent / "data"
WARM_UP = 8  # periods every detector may use before scoring starts
DAYS_PER_WEEK = 7
WEEK_RULE = "W-SAT"  # weeks end on Saturday, the project default
# CDNOW's first quarter is the acquisition of the one cohort the data follows;
# its end is a regime change, not a week to score.
CDNOW_FIRST_WEEK = "1997-04-05"
# Demo weeks after a story event that still show it (lags, a new level being learnt).
DEMO_AFTERMATH_WEEKS = 4
DEMO_SEED = 7

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Case:
    name: str
    values: pd.Series  # index: period ends; one value per period
    grain: str  # "week" or "day"
    unit: str
    windows: list[tuple[int, int]]  # labelled anomalies: inclusive period ranges
    ignore: Bools  # periods that count neither as a hit nor as a false alarm
    events: tuple[KnownEvent, ...] = ()
    start: int = WARM_UP
    kinds: list[str] = field(default_factory=list)  # per window, for synthetic cases


def period_range(ends: pd.DatetimeIndex, grain: str, first: date, last: date) -> tuple[int, int]:
    """Inclusive indices of the periods overlapping the days [first, last]; (0, -1) for none."""
    length = DAYS_PER_WEEK if grain == "week" else 1
    starts = ends - pd.Timedelta(days=length - 1)
    hits = np.flatnonzero((starts <= pd.Timestamp(last)) & (ends >= pd.Timestamp(first)))
    return (int(hits[0]), int(hits[-1])) if len(hits) else (0, -1)


def _complete_weeks(daily: pd.Series) -> pd.Series:
    """Weekly sums on an even grid; NaN for a week that misses a day (never summed)."""
    weeks = daily.resample(WEEK_RULE)
    sums = weeks.sum().astype(float)
    complete = sums.where(weeks.count() == DAYS_PER_WEEK)
    return complete.loc[complete.first_valid_index() : complete.last_valid_index()]


def nyc_taxi(grain: str) -> Case:
    raw = pd.read_csv(DATA / "nab" / "nyc_taxi.csv", parse_dates=["timestamp"])
    daily = raw.set_index("timestamp")["value"].resample("D").sum().astype(float)
    values = _complete_weeks(daily) if grain == "week" else daily
    labels = json.loads((DATA / "nab" / "nyc_taxi_windows.json").read_text())
    ends = pd.DatetimeIndex(values.index)
    windows = [
        period_range(ends, grain, pd.Timestamp(a).date(), pd.Timestamp(b).date())
        for a, b in labels["realKnownCause/nyc_taxi.csv"]
    ]
    name = "nyc_taxi_weekly" if grain == "week" else "nyc_taxi_daily"
    return Case(name, values, grain, "count", windows, np.zeros(len(values), np.bool_))


# Views spike on the game day and the day after (the highlights, the reactions).
GAME_AFTERMATH_DAYS = 1


def peyton_manning_weekly() -> Case:
    """Weekly views of Peyton Manning's Wikipedia page; his playoff games are the anomalies.

    The file holds the log of daily views with some days missing: a week that
    misses a day is NaN (incomplete), as `wbr compute` would store it.
    """
    folder = DATA / "peyton_manning"
    raw = pd.read_csv(folder / "example_wp_log_peyton_manning.csv", parse_dates=["ds"])
    daily = np.exp(raw.set_index("ds")["y"]).asfreq("D")
    values = _complete_weeks(daily)
    ends = pd.DatetimeIndex(values.index)
    games = json.loads((folder / "playoff_games.json").read_text())["games"]
    windows = []
    for day, _ in games:
        first = date.fromisoformat(day)
        lo, hi = period_range(ends, "week", first, first + timedelta(days=GAME_AFTERMATH_DAYS))
        if hi >= lo and not np.isnan(values.iloc[lo : hi + 1]).all():
            windows.append((lo, hi))
    return Case(
        "peyton_manning_views", values, "week", "count", windows, np.zeros(len(values), np.bool_)
    )


# CDNOW's real events, unlabelled: the end of the acquisition quarter (revenue
# falls by two thirds in three weeks) and a two-week burst in July 1997 (x2).
CDNOW_REAL_EVENTS = (("1997-03-23", "1997-04-19"), ("1997-07-20", "1997-08-09"))


def cdnow_real_events_ignored(case: Case) -> Case:
    """The CDNOW case with its real, unlabelled events counting neither way."""
    ignore = case.ignore.copy()
    ends = pd.DatetimeIndex(case.values.index)
    for first, last in CDNOW_REAL_EVENTS:
        lo, hi = period_range(ends, "week", date.fromisoformat(first), date.fromisoformat(last))
        ignore[lo : hi + 1] = True
    return Case(case.name, case.values, case.grain, case.unit, case.windows, ignore)


def cdnow_weekly(first_week: str | None = CDNOW_FIRST_WEEK) -> Case:
    raw = pd.read_csv(
        DATA / "cdnow" / "CDNOW_master.txt.gz",
        sep=r"\s+",
        header=0,  # the file has a header row
        names=["customer", "date", "cds", "dollars"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    daily = raw.groupby("date")["dollars"].sum()
    daily = daily.reindex(pd.date_range(daily.index[0], daily.index[-1]), fill_value=0.0)
    weekly = _complete_weeks(daily)
    name = "cdnow_revenue"
    if first_week is not None:
        weekly = weekly[weekly.index >= first_week]
    else:
        name = "cdnow_revenue_all"
    return Case(name, weekly, "week", "currency", [], np.zeros(len(weekly), np.bool_))


def demo_events(years: range) -> tuple[KnownEvent, ...]:
    """The demo's retail calendar as an analyst would declare it in metrics.yaml.

    See wbr/demo: Thanksgiving to Cyber Week, the December run-up, Christmas to
    New Year, and the two-day Summer Deal Days on the Tuesday of July 8-14.
    """
    events = []
    for year in years:
        tg = US_RETAIL_HOLIDAYS["Thanksgiving"](year)
        eighth = date(year, 7, 8)
        deal = eighth + timedelta(days=(1 - eighth.weekday()) % DAYS_PER_WEEK)
        day = timedelta(days=1)
        events += [
            KnownEvent(name="Thanksgiving to Cyber Week", start=tg - 7 * day, end=tg + 8 * day),
            KnownEvent(name="December run-up", start=tg + 9 * day, end=date(year, 12, 23)),
            KnownEvent(
                name="Christmas to New Year", start=date(year, 12, 24), end=date(year + 1, 1, 1)
            ),
            KnownEvent(name="Summer Deal Days", start=deal - 4 * day, end=deal + 4 * day),
        ]
    return tuple(events)


# Metric name -> (unit, how a week is computed from the daily frame).
DEMO_METRICS = {
    "sessions": "count",
    "orders": "count",
    "revenue": "currency",
    "new_customers": "count",
    "active_skus": "count",
    "in_stock_rate": "percent",
    "price_competitiveness": "percent",
    "conversion_rate": "percent",
    "defect_rate": "percent",
    "average_order_value": "currency",
    "page_latency_ms": "milliseconds",
    "avg_delivery_days": "days",
}


def _demo_weekly(seed: int) -> pd.DataFrame:
    """The demo's deck metrics per complete week, computed as metrics.yaml defines them."""
    from wbr.demo.generate import generate_demo_data

    with tempfile.TemporaryDirectory() as folder:
        files = generate_demo_data(Path(folder), seed=seed)
        site = pd.read_csv(files.site_daily, parse_dates=["date"]).set_index("date")
        orders = pd.read_csv(files.orders, parse_dates=["order_date"])
    per_day = orders.groupby("order_date").agg(
        orders=("amount", "size"),
        revenue=("amount", "sum"),
        new_customers=("new_customer", "sum"),
        defective=("defective", "sum"),
        delivery=("delivery_days", "sum"),
    )
    days = site.join(per_day).fillna(0.0)
    sums = days.resample(WEEK_RULE).sum()
    sums = sums[days.resample(WEEK_RULE).count()["sessions"] == DAYS_PER_WEEK]
    skus = days["active_skus"].resample(WEEK_RULE).mean().reindex(sums.index)
    return pd.DataFrame(
        {
            "sessions": sums["sessions"],
            "orders": sums["orders"],
            "revenue": sums["revenue"],
            "new_customers": sums["new_customers"],
            "active_skus": skus,
            "in_stock_rate": sums["in_stock_page_views"] / sums["product_page_views"],
            "price_competitiveness": sums["price_competitive_checks"] / sums["price_checks"],
            "conversion_rate": sums["orders"] / sums["sessions"],
            "defect_rate": sums["defective"] / sums["orders"],
            "average_order_value": sums["revenue"] / sums["orders"],
            "page_latency_ms": sums["page_load_ms_total"] / sums["page_loads"],
            "avg_delivery_days": sums["delivery"] / sums["orders"],
        }
    ).astype(float)


def demo_weekly(seed: int = DEMO_SEED) -> list[Case]:
    """One case per demo metric; the story's incidents and milestones count neither way."""
    from wbr.demo.story import INCIDENTS, MILESTONES

    frame = _demo_weekly(seed)
    ends = pd.DatetimeIndex(frame.index)
    ignore = np.zeros(len(frame), np.bool_)
    for event in (*INCIDENTS, *MILESTONES):
        lo, hi = period_range(ends, "week", event.start, event.end)
        if hi >= lo:
            ignore[lo : hi + 1 + DEMO_AFTERMATH_WEEKS] = True
    events = demo_events(range(ends[0].year - 1, ends[-1].year + 1))
    return [
        Case(f"demo_{name}", frame[name], "week", unit, [], ignore.copy(), events)
        for name, unit in DEMO_METRICS.items()
    ]
