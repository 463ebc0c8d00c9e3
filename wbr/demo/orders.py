"""Order-level demo data: one row per order, with its region, category and customer.

The number of orders a day comes from the flywheel in `wbr.demo.generate`; this
module spreads them over regions and categories, prices them, and assigns
delivery times, defects and customers (new or returning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wbr.demo.story import DAYS_PER_YEAR, EVENTS_BY_NAME, Calendar, Floats, Ints

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
ELECTRONICS, TOYS, GROCERY, SOUTH = 0, 4, 6, 2  # positions in CATEGORIES and REGIONS


@dataclass(frozen=True)
class Inputs:
    """The teams' inputs, one value per day (drawn in `wbr.demo.generate`)."""

    active_skus: Floats
    in_stock_rate: Floats
    price_competitiveness: Floats
    latency_ms: Floats
    delivery_days: Floats  # mean before region offsets and the South carrier incident
    south_delay_days: Floats
    defect_rate: Floats
    electronics_extra_defects: Floats


def _pick(cumulative: Floats, u: Floats) -> Ints:
    """Index of the bucket each uniform draw falls into, per row of `cumulative`."""
    return np.asarray((u[:, None] >= cumulative[:, :-1]).sum(axis=1), dtype=np.int64)


def _category_shares(days: pd.DatetimeIndex, cal: Calendar) -> Floats:
    shares = np.tile(np.asarray(CATEGORY_SHARE), (len(days), 1))
    shares[:, GROCERY] = GROCERY_FULL_SHARE * np.clip(
        (days - pd.Timestamp(EVENTS_BY_NAME["grocery_launch"].start)).days / DAYS_PER_YEAR, 0.0, 1.0
    )
    december = np.asarray(days.month == 12)
    shares[december, TOYS] *= 1.8  # Toys sell in December
    electronics_boost = 1.0 + 0.8 * (cal.discount >= 0.15)  # deal days: gadgets
    shares[:, ELECTRONICS] *= electronics_boost
    return np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)


def generate_orders(
    days: pd.DatetimeIndex,
    per_day: Ints,
    cal: Calendar,
    inputs: Inputs,
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
        np.take(CATEGORY_MEDIAN_PRICE, category)
        * rng.lognormal(0.0, 0.55, total)
        * (1 + PRICE_INFLATION) ** years
        * (1.0 - cal.discount[day])
    )
    delivery_mean = (
        inputs.delivery_days[day]
        + np.take(REGION_DELIVERY_OFFSET, region)
        + (region == SOUTH) * inputs.south_delay_days[day]
    )
    delivery_days = np.minimum(1 + rng.poisson(np.maximum(delivery_mean - 1.0, 0.05)), 14)
    defect_p = (
        inputs.defect_rate[day]
        + (category == ELECTRONICS) * (inputs.electronics_extra_defects[day])
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


def _customers(day: Ints, cal: Calendar, rng: np.random.Generator) -> tuple[Ints, Ints]:
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
