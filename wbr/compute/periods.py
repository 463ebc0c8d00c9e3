"""Roll daily values up to periods, and combine period totals into ratios.

Pure functions over numpy arrays. A period's value is None (NaN here) unless
every one of its days has data: an incomplete period is never silently summed
from the days that are there (docs/calculations.md, "Completeness").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from wbr.calendar import Period
from wbr.compute.daily import DailySeries
from wbr.registry.models import (
    CountAggregation,
    MeanAggregation,
    Metric,
    RatioAggregation,
    SumAggregation,
)


@dataclass(frozen=True, slots=True)
class PeriodValues:
    """One metric's values for a list of periods (arrays aligned with the periods).

    `numerator` holds the total of the days present (for a ratio or mean, the
    numerator's total) even when the period is incomplete, so a caller can
    say what is known; `value` is NaN unless the period is complete.
    """

    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray  # NaN for sums and counts
    days_present: np.ndarray
    days_expected: np.ndarray

    @property
    def complete(self) -> np.ndarray:
        return np.asarray(self.days_present == self.days_expected)


def _day_offsets(periods: list[Period], first_day: date) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([(p.start - first_day).days for p in periods], dtype=np.int64)
    ends = np.array([(p.end - first_day).days for p in periods], dtype=np.int64)
    return starts, ends


def _range_sums(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Sum of values[start..end] (inclusive) per range; days outside the data add 0."""
    cumulative = np.concatenate([[0], np.cumsum(values, dtype=np.float64)])
    lo = np.clip(starts, 0, len(values))
    hi = np.clip(ends + 1, 0, len(values))
    return np.asarray(cumulative[np.maximum(hi, lo)] - cumulative[lo])


def roll_up(metric: Metric, series: DailySeries, periods: list[Period]) -> PeriodValues:
    """A base metric (sum, count, mean) over `periods` from its daily series."""
    starts, ends = _day_offsets(periods, series.first_day)
    days_expected = ends - starts + 1
    days_present = _range_sums(series.present.astype(np.float64), starts, ends).astype(np.int64)
    sums = _range_sums(series.sums, starts, ends)
    counts = _range_sums(series.counts.astype(np.float64), starts, ends)
    complete = days_present == days_expected
    agg = metric.aggregation
    if isinstance(agg, MeanAggregation):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
        value, numerator, denominator = mean, sums, counts
    elif isinstance(agg, SumAggregation | CountAggregation):
        value, numerator, denominator = sums, sums, np.full(len(periods), np.nan)
    else:
        raise TypeError(f"{metric.name} is not a base metric")
    return PeriodValues(
        value=np.where(complete, value, np.nan),
        numerator=numerator,
        denominator=denominator,
        days_present=days_present,
        days_expected=days_expected,
    )


def combine_ratio(agg: RatioAggregation, parts: tuple[PeriodValues, PeriodValues]) -> PeriodValues:
    """Σnumerator / Σdenominator per period: aggregate first, then divide."""
    top, bottom = parts
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            bottom.value != 0, top.value / np.where(bottom.value != 0, bottom.value, 1), np.nan
        )
    # A ratio has data on a day only when both of its parts do.
    days_present = np.minimum(top.days_present, bottom.days_present)
    complete = (days_present == top.days_expected) & ~np.isnan(top.value) & ~np.isnan(bottom.value)
    return PeriodValues(
        value=np.where(complete, ratio * agg.scale, np.nan),
        numerator=top.value,
        denominator=bottom.value,
        days_present=days_present,
        days_expected=top.days_expected,
    )
