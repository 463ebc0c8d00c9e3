"""Last year's pattern, from robust STL fits that never see the weeks they score.

For weekly data each week's pattern is the median of the same (holiday-aligned)
week in every year of history, and with two years, their mean only when they
agree: one odd week of last year is not expected again.

The series is fitted once per season of history (once a year for weekly data),
when the scorer reaches a block of periods: the fit of everything before the
block gives the block's seasonal offsets, each week taking the STL seasonal
component of the same week a year earlier (moved with Thanksgiving, Easter and
recurring events, see `wbr.anomalies.holidays`). A refresh therefore never
changes the expectation of a week already scored, and a 156-week metric costs
one or two fits.

The fit sees a cleaned history: a period flagged earlier (or inside a one-off
known event) is replaced by what was expected of it, so last year's outage is
not expected again this year, unless the same week stood out the same way a year
before or after as well: then it is a pattern (an undeclared holiday), and it stays.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from wbr.anomalies import fit_cache
from wbr.anomalies.baseline import Bools, Floats
from wbr.anomalies.holidays import aligned_source_weeks, occurrences
from wbr.registry.anomaly_settings import HolidayCalendar, KnownEvent

MIN_SEASONS = 2  # a seasonal pattern needs two full seasons of history
# Robust STL's outer loop down-weights outliers; three passes give most of the
# benefit of the default fifteen at a fifth of the cost.
STL_OUTER_ITERATIONS = 3
STL_INNER_ITERATIONS = 1
MAX_MISSING_SHARE = 0.2  # more gaps than this in the history: no seasonal fit
# A flagged week is a pattern, not an incident, when the same week a year
# earlier or later (give or take one) stood out from its neighbours the same
# way, at least half as much.
RECURRENCE_SLACK = 1
RECURRENCE_SHARE = 0.5
NEIGHBOURS = 3  # periods either side that define "standing out"
AGREEING_FACTOR = 2.0  # two seasons agree on a period when within this factor


@dataclass(frozen=True, slots=True)
class SeasonalFit:
    season: Floats  # offset per period, NaN where no pattern is known
    strength: float  # how much each season's detrended shape repeats the last, 0..1


def block_starts(x: Floats, period: int) -> list[int]:
    """Where each block of seasonal scoring starts: after two seasons, then every season."""
    present = np.flatnonzero(~np.isnan(x))
    if not len(present):
        return []
    return list(range(int(present[0]) + MIN_SEASONS * period, len(x), period))


def _standout(x: Floats, j: int, end: int) -> float:
    """How far x[j] stands out from the median of its neighbours (NaN if unknown)."""
    around = [x[k] for k in range(j - NEIGHBOURS, j + NEIGHBOURS + 1) if k != j and 0 <= k < end]
    around = [value for value in around if not np.isnan(value)]
    if np.isnan(x[j]) or not around:
        return float("nan")
    return float(x[j] - np.median(around))


def _recurs(x: Floats, j: int, end: int, period: int) -> bool:
    """Whether the same period a season earlier or later stood out the same way (half as much)."""
    own = _standout(x, j, end)
    for lag in (-period, period):
        for k in range(j + lag - RECURRENCE_SLACK, j + lag + RECURRENCE_SLACK + 1):
            if 0 <= k < end:
                other = _standout(x, k, end)
                if other * own > 0 and abs(other) >= RECURRENCE_SHARE * abs(own):
                    return True
    return False


def cleaned_history(
    x: Floats,
    expected: Floats,
    fired: Bools,
    replaceable: Bools,
    end: int,
    period: int,
    keep_recurring: bool,
) -> Floats:
    """x[:end] with flagged (and one-off event) periods replaced by their expectation."""
    history = x[:end].copy()
    for j in np.flatnonzero((fired[:end] | replaceable[:end]) & ~np.isnan(expected[:end])):
        if keep_recurring and fired[j] and _recurs(x, int(j), end, period):
            continue
        history[j] = expected[j]
    return history


def _filled(values: Floats) -> Floats:
    """Gaps linearly interpolated (STL needs a complete series)."""
    present = ~np.isnan(values)
    positions = np.arange(len(values))
    return np.asarray(np.interp(positions, positions[present], values[present]))


# What `_stl` does with its input, for the key of a kept fit (`wbr.anomalies.fit_cache`).
_STL_SETTINGS = f"robust;seasonal_deg=0;inner={STL_INNER_ITERATIONS};outer={STL_OUTER_ITERATIONS}"


def _stl(history: Floats, period: int) -> tuple[Floats, Floats, float] | None:
    """STL seasonal component, detrended values and seasonal strength (None: no fit);
    from the detection run's kept fits when this very history was fitted before."""
    cache = fit_cache.active()
    if cache is None:
        return _fit_stl(history, period)
    key = fit_cache.fit_key(history, period, _STL_SETTINGS)
    found = cache.get(key)
    if found is None:
        found = _fit_stl(history, period)
        if found is not None:
            cache.put(key, found)
    return found


def _fit_stl(history: Floats, period: int) -> tuple[Floats, Floats, float] | None:
    # Imported here: statsmodels (and the parts of scipy it pulls in) cost about 0.9 s,
    # which a refresh whose fits are all kept need not pay.
    from statsmodels.tsa.seasonal import STL

    with warnings.catch_warnings():
        # A warning from statsmodels means the fit is not to be trusted: no pattern.
        warnings.simplefilter("error")
        try:
            fit = STL(_filled(history), period=period, robust=True, seasonal_deg=0).fit(
                inner_iter=STL_INNER_ITERATIONS, outer_iter=STL_OUTER_ITERATIONS
            )
        except (Warning, ValueError, np.linalg.LinAlgError):
            return None
    seasonal = np.asarray(fit.seasonal, dtype=np.float64)
    detrended = seasonal + np.asarray(fit.resid, dtype=np.float64)
    return seasonal, detrended, _repeats(detrended, period)


def _median_of_seasons(detrended: Floats, source: list[int], j: int) -> float | None:
    """The pattern of period j as the median of its season-ago chain (holidays aligned).

    STL's seasonal smoother averages the seasons, so one odd week of last year
    (an outage nobody flagged, a burst) moves this year's expectation by half of
    it with two years of history. The median of the seasons' detrended values
    does not move; with only two seasons, "no pattern" is the third voice, so a
    week is expected to stand out only when both years agree that it does.
    None when only one season has the period.
    """
    votes = []
    while 0 <= j < len(detrended):
        votes.append(float(detrended[j]))
        j = source[j]
    if len(votes) < 2:
        return None
    if len(votes) == 2:
        return _pair(votes[0], votes[1])
    return float(np.median(votes))


def _pair(last: float, before: float) -> float:
    """Two seasons' values of a period: their mean when they agree, else the smaller move.

    Agreeing means on the same side and within a factor of two: Thanksgiving
    +35 % and +37 %. A playoff burst of +80 % one year and +20 % the next is
    expected at +20 %; +30 % and -10 % at no move at all.
    """
    if last * before <= 0:
        return 0.0
    small, large = sorted((abs(last), abs(before)))
    if large <= AGREEING_FACTOR * small:
        return (last + before) / 2
    return math.copysign(small, last)


def _repeats(detrended: Floats, period: int) -> float:
    """How much each season's shape repeats the one before: the median correlation, 0..1.

    A yearly pattern shows the same shape every year; a trend's step or a
    one-off incident that STL absorbed into its seasonal component does not.
    """
    seasons = len(detrended) // period
    last = detrended[len(detrended) - seasons * period :].reshape(seasons, period)
    correlations = []
    for before, after in itertools.pairwise(last):
        if np.std(before) == 0 or np.std(after) == 0:
            return 0.0
        correlations.append(float(np.corrcoef(before, after)[0, 1]))
    return max(0.0, float(np.median(correlations))) if correlations else 0.0


def fit_block(
    history: Floats,
    dates: Sequence[date],
    start: int,
    end: int,
    period: int,
    calendar: HolidayCalendar,
    events: Sequence[KnownEvent],
    align: bool,
) -> SeasonalFit | None:
    """Seasonal offsets for periods [0, end), from a fit of the `history` before `start`."""
    first = _fitted_from(history, start)
    if first is None:
        return None
    fitted = _stl(history[first:start], period)
    if fitted is None:
        return None
    component, detrended, strength = fitted
    source = _source_periods(dates, first, end, period, calendar, events, align)
    season = np.full(len(dates), np.nan)
    for i in range(first + period, end):
        j = source[i - first]
        if 0 <= j < len(component):
            # Years, not weeks: a weekday pattern drifts with the seasons, and
            # STL's local smoothing follows it better than a median of all weeks.
            yearly = align and i >= start
            robust = _median_of_seasons(detrended, source, j) if yearly else None
            season[i] = component[j] if robust is None else robust
    return SeasonalFit(season, strength)


def keep_fit(history: Floats, start: int, period: int) -> None:
    """Ask the run's kept fits for the fit `fit_block` would make, and make nothing.

    For a block a restored scorer has scored already (`wbr.anomalies.resume`): its
    offsets are not needed, but its fit must stay kept for a run that cannot resume."""
    cache = fit_cache.active()
    first = _fitted_from(history, start)
    if cache is not None and first is not None:
        cache.get(fit_cache.fit_key(history[first:start], period, _STL_SETTINGS))


def _fitted_from(history: Floats, start: int) -> int | None:
    """Where the history a block's fit is made from begins; None: too little to fit."""
    present = np.flatnonzero(~np.isnan(history))
    if not len(present):
        return None
    first = int(present[0])
    if np.isnan(history[first:start]).mean() > MAX_MISSING_SHARE:
        return None
    return first


def _source_periods(
    dates: Sequence[date],
    first: int,
    end: int,
    period: int,
    calendar: HolidayCalendar,
    events: Sequence[KnownEvent],
    align: bool,
) -> list[int]:
    """Index (counted from `first`) of the period whose pattern each period takes.

    Holidays and events are known in advance, so the alignment looks a season
    past the data: a holiday just after the last week can move the pattern of
    that week, and must move it the same way now as once the holiday's week
    has data (a refresh never changes a week already scored).
    """
    size = end - first
    if not align or len(dates) < 2:
        return [i - period for i in range(size)]
    origin = dates[first]
    days_per_period = (dates[1] - dates[0]).days

    def index_of(day: date) -> int:
        # The period ending on origin + k * days holds the days after the one before it.
        return -(-(day - origin).days // days_per_period)

    horizon = dates[end - 1] + timedelta(days=days_per_period * period)
    found = occurrences(calendar, events, dates[first + period], horizon)
    return aligned_source_weeks(index_of, period, found, size + period)[:size]


__all__ = [
    "MIN_SEASONS",
    "SeasonalFit",
    "block_starts",
    "cleaned_history",
    "fit_block",
    "keep_fit",
]
