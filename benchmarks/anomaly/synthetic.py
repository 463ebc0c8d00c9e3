"""Synthetic weekly metrics with nothing wrong in them: the timing set and a clean set.

A mix like a real deck's: growing counts and currency with a yearly pattern and
a holiday peak, rates near a target, smooth levels, and sparse counts.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from cases import Case, period_range

from wbr.anomalies.holidays import US_RETAIL_HOLIDAYS
from wbr.registry.anomaly_settings import KnownEvent

FIRST_WEEK_ENDING = date(2023, 1, 7)
WEEKS = 156  # three years
KINDS = ("count", "currency", "percent", "milliseconds", "sparse")


def thanksgiving_events() -> tuple[KnownEvent, ...]:
    """The synthetic peak as an analyst declares it in metrics.yaml (see cases.demo_events)."""
    return tuple(
        KnownEvent(name="Thanksgiving", start=day, end=day + timedelta(days=7))
        for day in (US_RETAIL_HOLIDAYS["Thanksgiving"](year) for year in range(2022, 2027))
    )


def synthetic_metrics(count: int, seed: int = 0, weeks: int = WEEKS) -> list[Case]:
    rng = np.random.default_rng(seed)
    ends = pd.DatetimeIndex([FIRST_WEEK_ENDING + timedelta(weeks=w) for w in range(weeks)])
    t = np.arange(weeks)
    yearly = np.sin(2 * np.pi * t / 52)
    # A peak in Thanksgiving week and the week after, wherever the calendar puts them.
    thanksgivings = [US_RETAIL_HOLIDAYS["Thanksgiving"](year) for year in range(2022, 2027)]
    holiday = np.zeros(weeks)
    for day in thanksgivings:
        lo, hi = period_range(ends, "week", day, day + timedelta(days=7))
        holiday[lo : hi + 1] = 1.0
    cases = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        if kind == "sparse":
            values = rng.poisson(rng.uniform(2, 20), weeks).astype(float)
            unit = "count"
        elif kind == "percent":
            level = rng.uniform(0.3, 0.97)
            logit = np.log(level / (1 - level)) + rng.normal(0, rng.uniform(0.01, 0.05), weeks)
            values = 1 / (1 + np.exp(-logit))
            unit = "percent"
        else:
            growth = rng.uniform(-0.1, 0.3) / 52
            season = rng.uniform(0, 0.25) * yearly + rng.uniform(0, 0.4) * holiday
            noise = rng.normal(0, rng.uniform(0.01, 0.08), weeks)
            values = rng.uniform(1e2, 1e6) * np.exp(growth * t + season + noise)
            unit = kind
            if kind == "count":
                values = np.round(values)
        ignore = np.zeros(weeks, dtype=np.bool_)
        series = pd.Series(values, index=ends)
        cases.append(
            Case(f"synthetic_{kind}_{i}", series, "week", unit, [], ignore, thanksgiving_events())
        )
    return cases
