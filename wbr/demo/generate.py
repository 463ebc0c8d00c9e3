"""Deterministic demo data: Acme Retail's flywheel, 2023-11-19 to 2026-11-21.

Acme Retail is an online retailer. Its teams control six **inputs**, and the
**outputs** are computed from them every day, so the flywheel is in the data:

* selection: active SKUs (more to find brings more traffic);
* in-stock rate: in-stock product-page views / product-page views;
* price competitiveness: share of price checks where we are at or below the
  competition;
* delivery speed: average days from order to delivery;
* page latency: milliseconds per page load;
* defect rate: share of orders with a defective item.

Outputs: sessions (traffic) grow with selection and, with a month's lag, with
price, delivery speed and defects; conversion depends on in-stock (with a lag of
about three days: shoppers who find an item out of stock wait for it before they
give up), price competitiveness, page latency and delivery promises; orders are
Poisson(sessions x conversion); revenue and average order value follow from the
orders' category mix, units and prices.

Shape: weekly seasonality (Saturdays are quiet, Sundays and Mondays busy),
growth of about 20 % a year (5 % organic, the rest from the flywheel),
Thanksgiving-Black Friday-Cyber Monday and the December run-up, and a two-day
"Summer Deal Days" event in July.

The dated milestones and incidents, and the retail calendar, are in
`wbr.demo.story`; the orders (regions, categories, customers) in `wbr.demo.orders`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wbr.demo.orders import (
    CATEGORY_SHARE,
    ELECTRONICS,
    REGION_DELIVERY_OFFSET,
    REGION_SHARE,
    SOUTH,
    Inputs,
    generate_orders,
)
from wbr.demo.plan import PLAN_FILE, plan_frame
from wbr.demo.story import (
    DAYS_PER_YEAR,
    END_DATE,
    EVENTS_BY_NAME,
    START_DATE,
    Calendar,
    Floats,
    Ints,
    profile,
    retail_calendar,
    step,
)

SITE_DAILY_FILE = "site_daily.csv"
ORDERS_FILE = "orders.csv"
DEFAULT_SEED = 7


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files `generate_demo_data` wrote."""

    site_daily: Path
    orders: Path
    plan: Path


# --- Calibration. Each constant is one knob of the story. -------------------------
BASE_SESSIONS = 8_000.0  # sessions on an ordinary day at the start
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

# How hard each incident hits its input (see `wbr.demo.story` for the dates).
SUPPLIER_OUTAGE_IN_STOCK_DROP = 0.09
LATENCY_REGRESSION_MS = 320.0
CARRIER_SOUTH_DELAY_DAYS = 2.6
DEFECTIVE_BATCH_ELECTRONICS_RATE = 0.08
PRICE_CUT_DROP, PRICE_CUT_DROP_AFTER_RESPONSE = 0.082, 0.042  # Pricing responds after a week


def generate_demo_data(out_dir: Path, seed: int = DEFAULT_SEED) -> DemoFiles:
    """Write `site_daily.csv`, `orders.csv` and `plan_daily.csv`; same seed, same bytes."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    days = pd.date_range(START_DATE, END_DATE, freq="D")
    calendar = retail_calendar(days)
    inputs = _controllable_inputs(days, calendar, rng)
    sessions, orders_per_day = _traffic_and_orders(days, calendar, inputs, rng)
    site = _site_daily(days, sessions, inputs, rng)
    orders = generate_orders(days, orders_per_day, calendar, inputs, rng)
    files = DemoFiles(
        site_daily=out_dir / SITE_DAILY_FILE, orders=out_dir / ORDERS_FILE, plan=out_dir / PLAN_FILE
    )
    site.to_csv(files.site_daily, index=False, lineterminator="\n")
    orders.to_csv(files.orders, index=False, lineterminator="\n", float_format="%.2f")
    plan_frame(orders).to_csv(files.plan, index=False, lineterminator="\n", float_format="%.2f")
    return files


# --- Inputs ----------------------------------------------------------------------------


def _controllable_inputs(days: pd.DatetimeIndex, cal: Calendar, rng: np.random.Generator) -> Inputs:
    n = len(days)
    years = np.arange(n) / DAYS_PER_YEAR
    skus = (
        START_SKUS
        + SKUS_PER_YEAR * years
        + GROCERY_SKUS * step(days, "grocery_launch")
        + np.cumsum(rng.normal(0.0, 25.0, n))
    )
    in_stock = (
        0.952  # +1 point over three years, -1.2 points under peak load
        + 0.010 * years / 3
        - 0.012 * cal.fulfilment_load
        - SUPPLIER_OUTAGE_IN_STOCK_DROP * profile(days, "supplier_outage", ramp_in=2, ramp_out=3)
        + rng.normal(0.0, 0.0025, n)
    )
    cuts = profile(days, "competitor_price_cuts", ramp_in=1)
    responding = days >= pd.Timestamp(EVENTS_BY_NAME["competitor_price_cuts"].start) + pd.Timedelta(
        days=7
    )
    price = (
        0.872  # Pricing gains 4 points over three years
        + 0.040 * years / 3
        - cuts * np.where(responding, PRICE_CUT_DROP_AFTER_RESPONSE, PRICE_CUT_DROP)
        + rng.normal(0.0, 0.004, n)
    )
    latency = (
        840.0  # steady tuning, the CDN, and slower pages under peak traffic
        - 27.0 * years
        - 60.0 * step(days, "cdn_migration")
        + 40.0 * (cal.traffic - 1.0).clip(0.0)
        + LATENCY_REGRESSION_MS * profile(days, "latency_regression")
        + rng.normal(0.0, 10.0, n)
    )
    delivery = (
        3.35  # faster every year, the new fulfilment centre, slower at peaks
        - 0.13 * years
        - 0.25 * step(days, "new_fulfilment_centre")
        + 0.5 * cal.fulfilment_load
        + rng.normal(0.0, 0.04, n)
    )
    south_delay = CARRIER_SOUTH_DELAY_DAYS * profile(
        days, "carrier_hub_failure", ramp_in=1, ramp_out=3
    )
    defects = 0.0145 - 0.0017 * years + rng.normal(0.0, 0.0006, n)  # 1.45 % -> 0.95 %
    electronics = DEFECTIVE_BATCH_ELECTRONICS_RATE * profile(
        days, "defective_batch", ramp_in=2, ramp_out=2
    )
    return Inputs(
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
    day_of_year = np.asarray(days.day_of_year, dtype=np.float64)
    return np.asarray(np.interp(day_of_year, anchors, factors), dtype=np.float64)


def _company_delivery(inputs: Inputs) -> Floats:
    """Average delivery days over all regions, as orders will see them."""
    region_mean = float(np.dot(REGION_SHARE, REGION_DELIVERY_OFFSET))
    return inputs.delivery_days + region_mean + REGION_SHARE[SOUTH] * inputs.south_delay_days


def _traffic_and_orders(
    days: pd.DatetimeIndex, cal: Calendar, inputs: Inputs, rng: np.random.Generator
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
        * np.exp(
            -TRAFFIC_LOSS_PER_DEFECT_POINT
            * (_trailing_mean(defects, FLYWHEEL_LAG_DAYS) - DEFECT_REF)
        )
    )
    sessions = np.round(
        BASE_SESSIONS
        * np.exp(ORGANIC_GROWTH * years)
        * np.take(SESSION_WEEKDAY, weekday)
        * _seasonality(days)
        * cal.traffic
        * flywheel
        * rng.lognormal(0.0, 0.03, n)
    ).astype(np.int64)
    conversion = (
        BASE_CONVERSION
        * np.take(CONVERSION_WEEKDAY, weekday)
        * cal.conversion
        * (_lagged(inputs.in_stock_rate, IN_STOCK_LAG_KERNEL) / IN_STOCK_REF)
        ** IN_STOCK_CONVERSION_ELASTICITY
        * (inputs.price_competitiveness / PRICE_REF) ** PRICE_CONVERSION_ELASTICITY
        * np.exp(-CONVERSION_LOSS_PER_MS * (inputs.latency_ms - LATENCY_REF_MS))
        * np.exp(-CONVERSION_LOSS_PER_DAY * (delivery - DELIVERY_REF_DAYS))
        * rng.lognormal(0.0, 0.02, n)
    )
    return sessions, rng.poisson(sessions * conversion).astype(np.int64)


def _site_daily(
    days: pd.DatetimeIndex, sessions: Ints, inputs: Inputs, rng: np.random.Generator
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
            "price_competitive_checks": rng.binomial(price_checks_i, inputs.price_competitiveness),
            "page_loads": page_loads.astype(np.int64),
            "page_load_ms_total": np.round(page_loads * inputs.latency_ms).astype(np.int64),
        }
    )


# --- Command line ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wbr.demo.generate",
        description=(
            f"Write Acme Retail's demo data ({START_DATE} to {END_DATE}): "
            f"{SITE_DAILY_FILE} and {ORDERS_FILE}."
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo/data"),
        help="folder to write into (default: demo/data)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed; the same seed writes the same bytes (default: {DEFAULT_SEED})",
    )
    args = parser.parse_args(argv)
    files = generate_demo_data(args.out, seed=args.seed)
    for path in (files.site_daily, files.orders):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
