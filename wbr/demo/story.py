"""The dated story of Acme Retail's demo data, and its retail calendar.

Milestones (improvements that show in the outputs):

* 2024-05-14 CDN migration: page latency steps down by about 60 ms.
* 2024-09-09 to 09-22 a new fulfilment centre ramps up: delivery ~0.25 days faster.
* 2025-06-02 the Grocery category launches: +5,000 SKUs, and traffic steps up.

Incidents (the exceptions a WBR should catch), dates inclusive:

* 2025-03-10 to 2025-03-19 supplier outage: in-stock falls from ~95.5 % to
  ~87.5 %; orders and conversion fall about three days later (03-13 to 03-24),
  so in the deck orders drop a week after in-stock does.
* 2025-08-19 to 2025-08-28 a deploy regresses page latency by ~320 ms until it
  is rolled back; conversion drops ~8 % at once.
* 2026-02-02 to 2026-02-13 a regional carrier's hub fails: delivery to the
  South takes ~2.6 days longer (the company average ~0.6 days).
* 2026-10-12 to 2026-10-25 a defective batch of Electronics (chargers): the
  defect rate more than doubles (~0.85 % to ~2 %).
* 2026-11-09 to 2026-11-21 (the last two weeks) a competitor cuts prices:
  price competitiveness falls ~8 points, then recovers half as Pricing responds;
  conversion falls with it. This is the exception of the default deck.

The retail calendar (Thanksgiving to Cyber Monday, the December run-up, Summer
Deal Days) is `retail_calendar`; `profile` and `step` turn the events above into
daily shapes for the flywheel in `wbr.demo.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

START_DATE = date(2023, 11, 19)  # a Sunday: the data is whole weeks ending on Saturday
END_DATE = date(2026, 11, 21)  # a Saturday: the week the default deck reviews
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class StoryEvent:
    """A dated event of the story told in this module's docstring; `end` is inclusive."""

    name: str
    metric: str  # the metric in metrics.yaml that moves first
    start: date
    end: date


MILESTONES = (
    StoryEvent("cdn_migration", "page_latency_ms", date(2024, 5, 14), date(2024, 5, 14)),
    StoryEvent("new_fulfilment_centre", "avg_delivery_days", date(2024, 9, 9), date(2024, 9, 22)),
    StoryEvent("grocery_launch", "active_skus", date(2025, 6, 2), date(2025, 6, 8)),
)
INCIDENTS = (
    StoryEvent("supplier_outage", "in_stock_rate", date(2025, 3, 10), date(2025, 3, 19)),
    StoryEvent("latency_regression", "page_latency_ms", date(2025, 8, 19), date(2025, 8, 28)),
    StoryEvent("carrier_hub_failure", "avg_delivery_days", date(2026, 2, 2), date(2026, 2, 13)),
    StoryEvent("defective_batch", "defect_rate", date(2026, 10, 12), date(2026, 10, 25)),
    StoryEvent(
        "competitor_price_cuts", "price_competitiveness", date(2026, 11, 9), date(2026, 11, 21)
    ),
)
EVENTS_BY_NAME = {event.name: event for event in (*MILESTONES, *INCIDENTS)}


@dataclass(frozen=True)
class Calendar:
    """Multipliers and offsets of the retail calendar, one value per day."""

    traffic: Floats
    conversion: Floats
    discount: Floats  # fraction off list prices
    extra_units: Floats
    new_customer_boost: Floats
    fulfilment_load: Floats  # 0..1: peak volume slows delivery and empties shelves


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def summer_deal_days(year: int) -> date:
    """First day of the two-day July event: the Tuesday between July 8 and 14."""
    eighth = date(year, 7, 8)
    return eighth + timedelta(days=(1 - eighth.weekday()) % 7)


def retail_calendar(days: pd.DatetimeIndex) -> Calendar:
    n = len(days)
    traffic, conversion = np.ones(n), np.ones(n)
    discount, extra_units, new_boost, load = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)

    def mark(
        first: date,
        last: date,
        t: float,
        c: float,
        disc: float = 0.0,
        units: float = 0.0,
        new: float = 0.0,
        busy: float = 0.0,
    ) -> None:
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
    return Calendar(traffic, conversion, discount, extra_units, new_boost, load)


def profile(days: pd.DatetimeIndex, name: str, ramp_in: int = 0, ramp_out: int = 0) -> Floats:
    """0 outside the named event, 1 inside it, with linear ramps of the given days."""
    event = EVENTS_BY_NAME[name]
    offset = np.asarray((days - pd.Timestamp(event.start)).days, dtype=np.float64)
    length = (event.end - event.start).days
    rise = np.clip((offset + 1) / (ramp_in + 1), 0.0, 1.0)
    fall = np.clip(1.0 - (offset - length) / (ramp_out + 1), 0.0, 1.0)
    return np.asarray(np.where(offset < 0, 0.0, np.minimum(rise, fall)), dtype=np.float64)


def step(days: pd.DatetimeIndex, name: str) -> Floats:
    """0 before the named milestone, rising linearly to 1 at its end, then 1."""
    event = EVENTS_BY_NAME[name]
    offset = np.asarray((days - pd.Timestamp(event.start)).days, dtype=np.float64)
    return np.clip((offset + 1) / ((event.end - event.start).days + 1), 0.0, 1.0)
