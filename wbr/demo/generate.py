"""Deterministic demo data: Acme Retail's flywheel, 2023-11-19 to 2026-11-21.

Acme Retail is an online retailer. Its teams control six **inputs**, and the
**outputs** are computed from them every day, so the flywheel is in the data:

* selection: active SKUs (more to find brings more traffic);
* in-stock rate: in-stock product-page views / product-page views;
* price competitiveness: share of price checks where we are at or below the
  competition;
* delivery speed: average promised-and-kept delivery days per order;
* page latency: milliseconds per page load;
* defect rate: share of orders with a defective item.

Outputs: sessions (traffic) grow with selection and, with a month's lag, with
price, delivery speed and defects; conversion depends on in-stock (with a lag of
about three days: shoppers who find an item out of stock wait for it before they
give up), price competitiveness, page latency and delivery promises; orders are
Poisson(sessions x conversion); revenue and average order value follow from the
orders' category mix, units and prices.

Shape: weekly seasonality (Saturdays are quiet, Sundays and Mondays busy),
organic growth of about 20 % a year, Thanksgiving-Black Friday-Cyber Monday and
the December run-up, and a two-day "Summer Deal Days" event in July.

Milestones (improvements that show in the outputs):

* 2024-05-14 CDN migration: page latency steps down by about 90 ms.
* 2024-09-09 a new fulfilment centre opens: delivery gets ~0.35 days faster.
* 2025-06-02 the Grocery category launches: +5,000 SKUs, and traffic steps up.

Incidents (the exceptions a WBR should catch), dates inclusive:

* 2025-03-10 to 2025-03-19 supplier outage: in-stock falls from ~95.5 % to
  ~87 %; orders and conversion fall about three days later (03-13 to 03-24).
* 2025-08-19 to 2025-08-28 a deploy regresses page latency by ~320 ms until it
  is rolled back; conversion drops ~8 % at once.
* 2026-02-02 to 2026-02-13 a regional carrier's hub fails: delivery to the
  South takes ~2.6 days longer (the company average ~0.6 days).
* 2026-10-12 to 2026-10-25 a defective batch of Electronics (chargers): the
  defect rate roughly doubles.
* 2026-11-09 to 2026-11-21 (the last two weeks) a competitor cuts prices:
  price competitiveness falls ~8 points, then recovers half as Pricing responds;
  conversion falls with it. This is the exception of the default deck.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

START_DATE = date(2023, 11, 19)  # a Sunday: the data is whole weeks ending on Saturday
END_DATE = date(2026, 11, 21)  # a Saturday: the week the default deck reviews
DAY_COUNT = (END_DATE - START_DATE).days + 1  # 1,099 days = 157 weeks
DAYS_PER_YEAR = 365.25
SITE_DAILY_FILE = "site_daily.csv"
ORDERS_FILE = "orders.csv"
DEFAULT_SEED = 7


@dataclass(frozen=True)
class StoryEvent:
    """A dated event of the demo's story; `end` is inclusive."""

    name: str
    metric: str  # the metric in metrics.yaml that moves first
    start: date
    end: date
    story: str


MILESTONES = (
    StoryEvent("cdn_migration", "page_latency_ms", date(2024, 5, 14), date(2024, 5, 14),
               "Static assets move to a new CDN: page latency steps down by ~90 ms."),
    StoryEvent("new_fulfilment_centre", "avg_delivery_days", date(2024, 9, 9), date(2024, 9, 22),
               "A new fulfilment centre ramps up over two weeks: ~0.35 days faster."),
    StoryEvent("grocery_launch", "active_skus", date(2025, 6, 2), date(2025, 6, 8),
               "The Grocery category launches with 5,000 SKUs; traffic steps up."),
)  # fmt: skip

INCIDENTS = (
    StoryEvent("supplier_outage", "in_stock_rate", date(2025, 3, 10), date(2025, 3, 19),
               "A key supplier's outage empties shelves: in-stock falls ~9 points; "
               "orders and conversion fall about three days later."),
    StoryEvent("latency_regression", "page_latency_ms", date(2025, 8, 19), date(2025, 8, 28),
               "A deploy adds ~320 ms per page load until it is rolled back; "
               "conversion drops ~8 %."),
    StoryEvent("carrier_hub_failure", "avg_delivery_days", date(2026, 2, 2), date(2026, 2, 13),
               "A regional carrier's hub fails: South deliveries take ~2.6 days longer."),
    StoryEvent("defective_batch", "defect_rate", date(2026, 10, 12), date(2026, 10, 25),
               "A batch of defective chargers: the Electronics defect rate jumps ~8 points."),
    StoryEvent("competitor_price_cuts", "price_competitiveness", date(2026, 11, 9),
               date(2026, 11, 21),
               "A competitor cuts prices: competitiveness falls ~8 points, half recovers "
               "as Pricing responds; conversion falls with it."),
)  # fmt: skip

_BY_NAME = {event.name: event for event in (*MILESTONES, *INCIDENTS)}


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files `generate_demo_data` wrote."""

    site_daily: Path
    orders: Path


# --- Calibration. Each constant is one knob of the story. -------------------------
BASE_SESSIONS = 7_300.0  # sessions on an ordinary day at the start
ORGANIC_GROWTH = 0.05  # a year, on top of what selection and price add (~20 % in all)
BASE_CONVERSION = 0.0325
SESSION_WEEKDAY = (1.06, 1.03, 1.00, 0.98, 0.93, 0.90, 1.07)  # Monday .. Sunday
CONVERSION_WEEKDAY = (1.01, 1.00, 1.00, 0.99, 0.98, 1.02, 1.03)
MONTHLY_SEASONALITY = (0.92, 0.93, 0.98, 0.99, 1.00, 0.99, 1.00, 1.02, 1.00, 1.02, 1.05, 1.04)

START_SKUS, SKUS_PER_YEAR, GROCERY_SKUS = 40_000.0, 3_300.0, 5_000.0
SELECTION_TRAFFIC_ELASTICITY = 0.5  # sessions ~ skus ** 0.5
IN_STOCK_REF, IN_STOCK_CONVERSION_ELASTICITY = 0.955, 2.0
IN_STOCK_LAG_KERNEL = (0.04, 0.08, 0.18, 0.30, 0.22, 0.12, 0.06)  # weight of lag 0..6 days
PRICE_REF, PRICE_CONVERSION_ELASTICITY, PRICE_TRAFFIC_ELASTICITY = 0.89, 1.2, 1.0
LATENCY_REF_MS, CONVERSION_LOSS_PER_MS = 750.0, 0.00025  # -2.5 % per extra 100 ms
DELIVERY_REF_DAYS, CONVERSION_LOSS_PER_DAY, DELIVERY_TRAFFIC_ELASTICITY = 3.0, 0.05, 0.2
DEFECT_REF, TRAFFIC_LOSS_PER_DEFECT_POINT = 0.012, 3.0
FLYWHEEL_LAG_DAYS = 28  # traffic reacts to a month of price, delivery and defects

PAGES_PER_SESSION, PRODUCT_PAGES_PER_SESSION, PRICE_CHECKS_PER_SKU = 5.6, 3.4, 0.55
INITIAL_CUSTOMERS = 60_000  # customers who bought before the data starts
REPEAT_RECENCY = 0.6  # < 1: repeat orders come mostly from recent customers
REGIONS = ("West", "East", "South", "Central")
REGION_SHARE = (0.30, 0.28, 0.24, 0.18)
REGION_DELIVERY_OFFSET = (-0.2, 0.0, 0.15, 0.3)
CATEGORIES = ("Electronics", "Home", "Apparel", "Beauty", "Toys", "Books", "Grocery")
CATEGORY_SHARE = (0.18, 0.22, 0.20, 0.12, 0.13, 0.15, 0.0)
CATEGORY_MEDIAN_PRICE = (62.0, 34.0, 29.0, 19.0, 24.0, 13.0, 7.5)
CATEGORY_EXTRA_UNITS = (0.2, 0.4, 0.5, 0.6, 0.4, 0.6, 2.5)  # units = 1 + Poisson(this)
GROCERY_FULL_SHARE = 0.10  # reached a year after the launch
PRICE_INFLATION = 0.02  # a year
ELECTRONICS, SOUTH, GROCERY = 0, 2, 6


@dataclass(frozen=True)
class _Calendar:
    """Multipliers and offsets of the retail calendar, one value per day."""

    traffic: Floats
    conversion: Floats
    discount: Floats  # fraction off list prices
    extra_units: Floats
    new_customer_boost: Floats
    fulfilment_load: Floats  # 0..1: peak volume slows delivery and empties shelves


@dataclass(frozen=True)
class _Inputs:
    active_skus: Floats
    in_stock_rate: Floats
    price_competitiveness: Floats
    latency_ms: Floats
    delivery_days: Floats  # mean before region offsets and the South carrier incident
    south_delay_days: Floats
    defect_rate: Floats
    electronics_extra_defects: Floats


def generate_demo_data(out_dir: Path, seed: int = DEFAULT_SEED) -> DemoFiles:
    """Write `site_daily.csv` and `orders.csv` into `out_dir`; same seed, same bytes."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    days = pd.date_range(START_DATE, END_DATE, freq="D")
    calendar = _retail_calendar(days)
    inputs = _controllable_inputs(days, calendar, rng)
    sessions, orders_per_day = _traffic_and_orders(days, calendar, inputs, rng)
    site = _site_daily(days, sessions, inputs, rng)
    orders = _orders(days, orders_per_day, calendar, inputs, rng)
    files = DemoFiles(site_daily=out_dir / SITE_DAILY_FILE, orders=out_dir / ORDERS_FILE)
    site.to_csv(files.site_daily, index=False, lineterminator="\n")
    orders.to_csv(files.orders, index=False, lineterminator="\n", float_format="%.2f")
    return files


# --- The calendar ----------------------------------------------------------------------


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def summer_deal_days(year: int) -> date:
    """First day of the two-day July event: the Tuesday between July 8 and 14."""
    eighth = date(year, 7, 8)
    return eighth + timedelta(days=(1 - eighth.weekday()) % 7)


def _retail_calendar(days: pd.DatetimeIndex) -> _Calendar:
    n = len(days)
    traffic, conversion = np.ones(n), np.ones(n)
    discount, extra_units, new_boost, load = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)

    def mark(first: date, last: date, t: float, c: float, disc: float = 0.0,
             units: float = 0.0, new: float = 0.0, busy: float = 0.0) -> None:  # fmt: skip
        lo = max((first - START_DATE).days, 0)
        hi = min((last - START_DATE).days + 1, n)
        if lo < hi:
            traffic[lo:hi], conversion[lo:hi] = t, c
            discount[lo:hi], extra_units[lo:hi] = disc, units
            new_boost[lo:hi], load[lo:hi] = new, busy

    for year in range(START_DATE.year, END_DATE.year + 1):
        tg = thanksgiving(year)
        day = timedelta(days=1)
        mark(tg - 7 * day, tg - 2 * day, 1.08, 1.03, 0.03)  # early deals
        mark(tg - day, tg - day, 1.10, 1.05, 0.05)
        mark(tg, tg, 1.30, 1.12, 0.10, 0.1, 0.05, 0.3)
        mark(tg + day, tg + day, 2.10, 1.45, 0.20, 0.4, 0.14, 1.0)  # Black Friday
        mark(tg + 2 * day, tg + 3 * day, 1.58, 1.25, 0.18, 0.3, 0.10, 1.0)
        mark(tg + 4 * day, tg + 4 * day, 2.00, 1.40, 0.20, 0.4, 0.12, 1.0)  # Cyber Monday
        mark(tg + 5 * day, tg + 8 * day, 1.30, 1.12, 0.10, 0.2, 0.06, 0.9)  # Cyber week
        run_up_start, run_up_end = tg + 9 * day, date(year, 12, 18)
        for i in range((run_up_end - run_up_start).days + 1):  # December run-up: a ramp
            ramp = i / max((run_up_end - run_up_start).days, 1)
            d = run_up_start + i * day
            mark(d, d, 1.15 + 0.25 * ramp, 1.10, 0.05, 0.2, 0.05, 0.6 + 0.3 * ramp)
        mark(date(year, 12, 19), date(year, 12, 22), 1.25, 1.05, 0.05, 0.1, 0.04, 0.8)
        mark(date(year, 12, 24), date(year, 12, 24), 0.80, 0.95)
        mark(date(year, 12, 25), date(year, 12, 25), 0.65, 0.90)
        mark(date(year, 12, 26), date(year, 12, 31), 1.12, 1.00, 0.08, 0.0, 0.04)
        mark(date(year, 1, 1), date(year, 1, 1), 0.85, 0.95)
        deal = summer_deal_days(year)
        mark(deal - 4 * day, deal - day, 0.94, 0.95)  # shoppers wait for the event
        mark(deal, deal + day, 2.00, 1.50, 0.18, 0.3, 0.10, 0.7)
        mark(deal + 2 * day, deal + 4 * day, 1.10, 1.05, 0.0, 0.0, 0.0, 0.5)
    return _Calendar(traffic, conversion, discount, extra_units, new_boost, load)


def _profile(days: pd.DatetimeIndex, name: str, ramp_in: int = 0, ramp_out: int = 0) -> Floats:
    """0 outside the named event, 1 inside it, with linear ramps of the given days."""
    event = _BY_NAME[name]
    offset = np.asarray((days - pd.Timestamp(event.start)).days, dtype=np.float64)
    length = (event.end - event.start).days
    rise = np.clip((offset + 1) / (ramp_in + 1), 0.0, 1.0)
    fall = np.clip(1.0 - (offset - length) / (ramp_out + 1), 0.0, 1.0)
    return np.asarray(np.where(offset < 0, 0.0, np.minimum(rise, fall)), dtype=np.float64)


def _step(days: pd.DatetimeIndex, name: str) -> Floats:
    """0 before the named milestone, rising linearly to 1 at its end, then 1."""
    event = _BY_NAME[name]
    offset = np.asarray((days - pd.Timestamp(event.start)).days, dtype=np.float64)
    return np.clip((offset + 1) / ((event.end - event.start).days + 1), 0.0, 1.0)


# --- Inputs ----------------------------------------------------------------------------


def _controllable_inputs(days: pd.DatetimeIndex, cal: _Calendar, rng: np.random.Generator) -> _Inputs:
    n = len(days)
    years = np.arange(n) / DAYS_PER_YEAR
    skus = (START_SKUS + SKUS_PER_YEAR * years + GROCERY_SKUS * _step(days, "grocery_launch")
            + np.cumsum(rng.normal(0.0, 25.0, n)))  # fmt: skip
    in_stock = (0.952 + 0.010 * years / 3 - 0.012 * cal.fulfilment_load
                - 0.090 * _profile(days, "supplier_outage", ramp_in=2, ramp_out=3)
                + rng.normal(0.0, 0.0025, n))  # fmt: skip
    cuts = _profile(days, "competitor_price_cuts", ramp_in=1)
    responding = days >= pd.Timestamp(_BY_NAME["competitor_price_cuts"].start) + pd.Timedelta(
        days=7
    )
    price = (0.872 + 0.040 * years / 3 - cuts * np.where(responding, 0.042, 0.082)
             + rng.normal(0.0, 0.004, n))  # fmt: skip
    latency = (840.0 - 27.0 * years - 60.0 * _step(days, "cdn_migration")
               + 40.0 * (cal.traffic - 1.0).clip(0.0)
               + 320.0 * _profile(days, "latency_regression", ramp_out=0)
               + rng.normal(0.0, 10.0, n))  # fmt: skip
    delivery = (3.35 - 0.13 * years - 0.25 * _step(days, "new_fulfilment_centre")
                + 0.5 * cal.fulfilment_load + rng.normal(0.0, 0.04, n))  # fmt: skip
    south_delay = 2.6 * _profile(days, "carrier_hub_failure", ramp_in=1, ramp_out=3)
    defects = 0.0145 - 0.0017 * years + rng.normal(0.0, 0.0006, n)
    electronics = 0.08 * _profile(days, "defective_batch", ramp_in=2, ramp_out=2)
    return _Inputs(
        active_skus=np.round(skus),
        in_stock_rate=np.clip(in_stock, 0.5, 0.995),
        price_competitiveness=np.clip(price, 0.5, 0.99),
        latency_ms=latency,
        delivery_days=delivery,
        south_delay_days=south_delay,
        defect_rate=np.clip(defects, 0.002, 0.2),
        electronics_extra_defects=electronics,
    )


# --- Outputs ---------------------------------------------------------------------------


def _trailing_mean(values: Floats, window: int) -> Floats:
    """Mean of the last `window` days (fewer at the start), today included."""
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    sums = np.cumsum(np.concatenate([[0.0], padded]))
    return np.asarray((sums[window:] - sums[:-window]) / window, dtype=np.float64)


def _lagged(values: Floats, kernel: Sequence[float]) -> Floats:
    """Weighted mean of the values `lag` days ago, lag = 0 .. len(kernel) - 1."""
    weights = np.asarray(kernel) / sum(kernel)
    padded = np.concatenate([np.full(len(weights) - 1, values[0]), values])
    return np.asarray(np.convolve(padded, weights, mode="valid"), dtype=np.float64)


def _seasonality(days: pd.DatetimeIndex) -> Floats:
    """Monthly factors anchored mid-month, interpolated by day of year (wrapping)."""
    anchors = np.array([15.0 + 30.44 * m for m in range(-1, 13)])
    factors = np.array([MONTHLY_SEASONALITY[-1], *MONTHLY_SEASONALITY, MONTHLY_SEASONALITY[0]])
    return np.interp(np.asarray(days.day_of_year, dtype=np.float64), anchors, factors)


def _company_delivery(inputs: _Inputs) -> Floats:
    """Average delivery days over all regions, as orders will see them."""
    region_mean = float(np.dot(REGION_SHARE, REGION_DELIVERY_OFFSET))
    return inputs.delivery_days + region_mean + REGION_SHARE[SOUTH] * inputs.south_delay_days


def _traffic_and_orders(
    days: pd.DatetimeIndex, cal: _Calendar, inputs: _Inputs, rng: np.random.Generator
) -> tuple[Ints, Ints]:
    n = len(days)
    years = np.arange(n) / DAYS_PER_YEAR
    weekday = np.asarray(days.day_of_week)
    delivery = _company_delivery(inputs)
    defects = inputs.defect_rate + CATEGORY_SHARE[ELECTRONICS] * inputs.electronics_extra_defects
    flywheel = (
        (inputs.active_skus / START_SKUS) ** SELECTION_TRAFFIC_ELASTICITY
        * (_trailing_mean(inputs.price_competitiveness, FLYWHEEL_LAG_DAYS) / PRICE_REF)
        ** PRICE_TRAFFIC_ELASTICITY
        * (DELIVERY_REF_DAYS / _trailing_mean(delivery, FLYWHEEL_LAG_DAYS))
        ** DELIVERY_TRAFFIC_ELASTICITY
        * np.exp(-TRAFFIC_LOSS_PER_DEFECT_POINT
                 * (_trailing_mean(defects, FLYWHEEL_LAG_DAYS) - DEFECT_REF))
    )  # fmt: skip
    sessions = np.round(
        BASE_SESSIONS * np.exp(ORGANIC_GROWTH * years) * np.take(SESSION_WEEKDAY, weekday)
        * _seasonality(days) * cal.traffic * flywheel * rng.lognormal(0.0, 0.03, n)
    ).astype(np.int64)  # fmt: skip
    conversion = (
        BASE_CONVERSION * np.take(CONVERSION_WEEKDAY, weekday) * cal.conversion
        * (_lagged(inputs.in_stock_rate, IN_STOCK_LAG_KERNEL) / IN_STOCK_REF)
        ** IN_STOCK_CONVERSION_ELASTICITY
        * (inputs.price_competitiveness / PRICE_REF) ** PRICE_CONVERSION_ELASTICITY
        * np.exp(-CONVERSION_LOSS_PER_MS * (inputs.latency_ms - LATENCY_REF_MS))
        * np.exp(-CONVERSION_LOSS_PER_DAY * (delivery - DELIVERY_REF_DAYS))
        * rng.lognormal(0.0, 0.02, n)
    )  # fmt: skip
    return sessions, rng.poisson(sessions * conversion).astype(np.int64)


def _site_daily(
    days: pd.DatetimeIndex, sessions: Ints, inputs: _Inputs, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(days)
    product_views = np.round(sessions * PRODUCT_PAGES_PER_SESSION * rng.lognormal(0, 0.02, n))
    price_checks = np.round(inputs.active_skus * PRICE_CHECKS_PER_SKU * rng.lognormal(0, 0.01, n))
    page_loads = np.round(sessions * PAGES_PER_SESSION * rng.lognormal(0.0, 0.02, n))
    product_views_i = product_views.astype(np.int64)
    price_checks_i = price_checks.astype(np.int64)
    return pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "sessions": sessions,
            "product_page_views": product_views_i,
            "in_stock_page_views": rng.binomial(product_views_i, inputs.in_stock_rate),
            "active_skus": inputs.active_skus.astype(np.int64),
            "price_checks": price_checks_i,
            "price_competitive_checks": rng.binomial(
                price_checks_i, inputs.price_competitiveness
            ),
            "page_loads": page_loads.astype(np.int64),
            "page_load_ms_total": np.round(page_loads * inputs.latency_ms).astype(np.int64),
        }
    )


def _pick(cumulative: Floats, u: Floats) -> Ints:
    """Index of the bucket each uniform draw falls into, per row of `cumulative`."""
    return np.asarray((u[:, None] >= cumulative[:, :-1]).sum(axis=1), dtype=np.int64)


def _category_shares(days: pd.DatetimeIndex, cal: _Calendar) -> Floats:
    shares = np.tile(np.asarray(CATEGORY_SHARE), (len(days), 1))
    shares[:, GROCERY] = GROCERY_FULL_SHARE * np.clip(
        (days - pd.Timestamp(_BY_NAME["grocery_launch"].start)).days / DAYS_PER_YEAR, 0.0, 1.0
    )
    december = np.asarray(days.month == 12)
    shares[december, 4] *= 1.8  # Toys sell in December
    electronics_boost = 1.0 + 0.8 * (cal.discount >= 0.15)  # deal days: gadgets
    shares[:, ELECTRONICS] *= electronics_boost
    return np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)


def _orders(
    days: pd.DatetimeIndex,
    per_day: Ints,
    cal: _Calendar,
    inputs: _Inputs,
    rng: np.random.Generator,
) -> pd.DataFrame:
    day = np.repeat(np.arange(len(days)), per_day)
    total = len(day)
    years = day / DAYS_PER_YEAR
    region = _pick(np.tile(np.cumsum(REGION_SHARE), (total, 1)), rng.random(total))
    category = _pick(_category_shares(days, cal)[day], rng.random(total))
    app_share = 0.34 + 0.05 * years
    channel = np.where(rng.random(total) < app_share, "app", "web")
    extra_units = np.take(CATEGORY_EXTRA_UNITS, category) + cal.extra_units[day]
    units = 1 + rng.poisson(extra_units)
    unit_price = (
        np.take(CATEGORY_MEDIAN_PRICE, category) * rng.lognormal(0.0, 0.55, total)
        * (1 + PRICE_INFLATION) ** years * (1.0 - cal.discount[day])
    )  # fmt: skip
    delivery_mean = (
        inputs.delivery_days[day] + np.take(REGION_DELIVERY_OFFSET, region)
        + (region == SOUTH) * inputs.south_delay_days[day]
    )  # fmt: skip
    delivery_days = np.minimum(1 + rng.poisson(np.maximum(delivery_mean - 1.0, 0.05)), 14)
    defect_p = inputs.defect_rate[day] + (category == ELECTRONICS) * (
        inputs.electronics_extra_defects[day]
    )
    defective = (rng.random(total) < defect_p).astype(np.int64)
    customer_id, new_customer = _customers(day, cal, rng)
    return pd.DataFrame(
        {
            "order_id": np.arange(1, total + 1, dtype=np.int64) + 10_000_000,
            "order_date": np.asarray(days.strftime("%Y-%m-%d"))[day],
            "customer_id": customer_id,
            "amount": np.round(units * unit_price, 2),
            "units": units,
            "delivery_days": delivery_days,
            "defective": defective,
            "region": np.take(REGIONS, region),
            "category": np.take(CATEGORIES, category),
            "channel": channel,
            "new_customer": new_customer,
        }
    )


def _customers(day: Ints, cal: _Calendar, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Customer ids and first-order flags (0/1).

    A new customer gets the next id; a repeat buyer is drawn from everyone who has
    bought before, favouring recent customers (older ones slowly churn).
    """
    years = day / DAYS_PER_YEAR
    p_new = 0.32 - 0.02 * years + cal.new_customer_boost[day]
    is_new = rng.random(len(day)) < p_new
    new_so_far = np.cumsum(is_new)
    pool_before = INITIAL_CUSTOMERS + new_so_far - is_new
    repeat_id = 1 + np.floor(pool_before * rng.random(len(day)) ** REPEAT_RECENCY)
    ids = np.where(is_new, INITIAL_CUSTOMERS + new_so_far, repeat_id).astype(np.int64)
    return ids, is_new.astype(np.int64)


# --- Command line ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wbr.demo.generate",
        description=(
            f"Write Acme Retail's demo data ({START_DATE} to {END_DATE}): "
            f"{SITE_DAILY_FILE} and {ORDERS_FILE}."
        ),
    )
    parser.add_argument("--out", type=Path, default=Path("demo/data"),
                        help="folder to write into (default: demo/data)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed; the same seed writes the same bytes "
                             f"(default: {DEFAULT_SEED})")  # fmt: skip
    args = parser.parse_args(argv)
    files = generate_demo_data(args.out, seed=args.seed)
    for path in (files.site_daily, files.orders):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
