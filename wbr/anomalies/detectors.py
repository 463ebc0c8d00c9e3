"""The detectors: one small interface, four built-ins.

A detector takes a regular series (one value per period, NaN where a period is
missing or incomplete) and returns, per period, what it expected, the band it
allows, and whether the value fell outside. Turning that into flags (events,
minimum volume, direction, explanations) is `wbr.anomalies.series`' job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np

from wbr.anomalies import resume
from wbr.anomalies.baseline import Bools, Floats, ScoringParams, SequentialScorer
from wbr.anomalies.model import DetectorName
from wbr.anomalies.seasonal import block_starts, cleaned_history, fit_block, keep_fit
from wbr.registry.anomaly_settings import AnomalySettings, KnownEvent

# Band half-width in noise sigmas at sensitivity 1 (before the small-sample
# widening), chosen on the benchmark (benchmarks/anomaly; docs/anomalies.md):
# about 1 false alarm per 100 metric-weeks on clean series.
DEFAULT_Z = 3.0
DEFAULT_WOW_THRESHOLD_PCT = 10.0  # the week-over-week rule's default
# The noise is at least 0.2 % of the level (a band of at least +-0.7 % at the
# default sensitivity): a leader does not discuss a 0.5 % move of a smooth metric.
RELATIVE_NOISE_FLOOR = 0.002
# Auto adds last year's pattern only when each season's detrended shape repeats
# the one before (median correlation): a trend's step or an incident that STL
# took for seasonality does not repeat, and would only add noise.
PATTERN_REPEAT_FOR_AUTO = 0.3
# The runs whose state `wbr.anomalies.resume` keeps: `auto`'s robust and seasonal runs
# of a weekly series, or one robust run over consecutive periods.
AUTO_RUNS = "auto-weekly"
ROBUST_RUN = "robust-consecutive"
SPARSE_ZERO_SHARE = 0.2  # auto: this share of zeros, or a median under 10, is sparse
SPARSE_MEDIAN = 10.0


@dataclass(frozen=True, slots=True)
class Cadence:
    """The grain of a series: what is comparable and how long a season is."""

    name: str  # "week" or "day", used in explanations
    season: int  # periods per seasonal cycle (a year of weeks; a week of days)
    step: int  # without a pattern, comparable periods are this far apart
    yearly: bool  # the season is a year: align holidays, keep recurring flags
    new_level: tuple[int, int]  # (flags, out of this many periods) that make a new level
    z: float  # band half-width in noise sigmas at sensitivity 1


# Four weeks off the level is a new level; four days (a long holiday weekend) is not.
# A day is judged at the two-sided tail a week has, divided by seven (3.55
# sigmas against 3): a daily metric raises no more false alarms per week.
DAILY_Z = float(NormalDist().inv_cdf(1 - (1 - NormalDist().cdf(DEFAULT_Z)) / 7))
WEEKLY = Cadence("week", 52, 1, yearly=True, new_level=(4, 4), z=DEFAULT_Z)
DAILY = Cadence("day", 7, 7, yearly=False, new_level=(10, 14), z=DAILY_Z)


@dataclass(frozen=True, slots=True)
class SeriesInput:
    values: Floats  # original scale, NaN where missing or incomplete
    dates: Sequence[date]  # period ends, evenly spaced
    cadence: Cadence
    counts: bool  # whole-number counts: Poisson noise at least
    known: Bools  # periods in a known event: scored, never part of a baseline
    one_off: Bools  # periods in a known event that does not recur: not a pattern
    events: Sequence[KnownEvent] = field(default=())


@dataclass(frozen=True, slots=True)
class Estimates:
    """Per period: who scored it, what it expected, the band, and the verdict."""

    detector: list[DetectorName | None]  # None: not scored (no history, missing)
    expected: Floats
    lower: Floats
    upper: Floats
    score: Floats  # signed distance from expected in band half-widths
    fired: Bools
    baseline_size: Sequence[int]  # comparable periods in the baseline (0 for wow)
    # Per period: where a new level it confirmed began (that period's index), else -1.
    shift_start: Sequence[int] = ()


class Detector(Protocol):
    name: str

    def estimate(self, series: SeriesInput, settings: AnomalySettings) -> Estimates: ...


class WeekOverWeek:
    """The simple baseline: a change from the previous comparable period beyond a threshold."""

    name = DetectorName.WEEK_OVER_WEEK.value

    def estimate(self, series: SeriesInput, settings: AnomalySettings) -> Estimates:
        values, step = series.values, series.cadence.step
        previous = np.full(len(values), np.nan)
        previous[step:] = values[:-step]
        if settings.wow_threshold_abs is not None:
            half = np.full(len(values), settings.wow_threshold_abs / settings.sensitivity)
        else:
            pct = settings.wow_threshold_pct or DEFAULT_WOW_THRESHOLD_PCT
            half = np.abs(previous) * pct / 100 / settings.sensitivity
        scored = ~np.isnan(values) & ~np.isnan(previous) & (half > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(scored, (values - previous) / half, np.nan)
        detector: list[DetectorName | None] = [
            DetectorName.WEEK_OVER_WEEK if ok else None for ok in scored
        ]
        return Estimates(
            detector,
            np.where(scored, previous, np.nan),
            np.where(scored, previous - half, np.nan),
            np.where(scored, previous + half, np.nan),
            score,
            scored & (np.abs(np.nan_to_num(score)) >= 1),
            [1 if ok else 0 for ok in scored],
        )


def _uses_log(values: Floats) -> bool:
    finite = values[~np.isnan(values)]
    return bool(len(finite)) and bool(np.all(finite > 0))


def is_sparse(values: Floats) -> bool:
    finite = values[~np.isnan(values)]
    if not len(finite):
        return False
    return bool(np.mean(finite == 0) >= SPARSE_ZERO_SHARE or np.median(finite) < SPARSE_MEDIAN)


def _scorer(
    series: SeriesInput, settings: AnomalySettings, seasonal: bool
) -> tuple[Floats, bool, SequentialScorer]:
    """The series on its scale (log for positive values), whether it is log, and a scorer."""
    values, cadence = series.values, series.cadence
    log = _uses_log(values) and not (seasonal is False and is_sparse(values))
    x = np.log(values) if log else values.copy()
    params = ScoringParams(
        window=settings.baseline_weeks,
        step=1 if seasonal else cadence.step,
        z=cadence.z / settings.sensitivity,
        counts=series.counts,
        log=log,
        relative_noise_floor=RELATIVE_NOISE_FLOOR,
        new_level_window=cadence.new_level[1],
        new_level_flags=cadence.new_level[0],
    )
    return x, log, SequentialScorer(x, ~series.known, params)


def _run(
    series: SeriesInput,
    settings: AnomalySettings,
    seasonal: bool,
    min_strength: float,
    first_min_strength: float = 0.0,
) -> Estimates:
    """Score with the sequential scorer, adding last year's pattern where `seasonal` allows.

    A block whose pattern repeats less than `min_strength` is scored robustly, and
    so is one less than `first_min_strength` until a block has used its pattern. With
    a pattern removed, consecutive periods are comparable (for days: yesterday,
    weekday-adjusted); days before a weekday pattern is known are not scored.
    """
    x, log, scorer = _scorer(series, settings, seasonal)
    cadence, n = series.cadence, len(x)
    if not seasonal and cadence.step == 1:
        return _robust_weeks(series, settings, x, log, scorer)
    starts = block_starts(x, cadence.season) if seasonal else []
    scorable = scorer.params.step == cadence.step
    scorer.score(0, starts[0] if starts else n, np.zeros(n), scorable=scorable)
    return _seasons(series, settings, x, log, scorer, starts, min_strength, first_min_strength)


def _robust_weeks(
    series: SeriesInput, settings: AnomalySettings, x: Floats, log: bool, scorer: SequentialScorer
) -> Estimates:
    """One robust run over consecutive periods, going on from a kept state if one applies."""
    n = len(x)
    states = resume.active()
    scored = 0
    if states is not None:
        found = states.find(resume.candidate_keys(ROBUST_RUN, series, settings, log))
        if found is not None:
            scored = scorer.restore(found[1])
            states.resumed += 1
    scorer.score(scored, n, np.zeros(n))
    if states is not None:
        states.keep(resume.series_key(ROBUST_RUN, series, settings, log, n), scorer.snapshot())
    return _estimates(x, log, scorer, [DetectorName.ROBUST] * n)


def _seasons(
    series: SeriesInput,
    settings: AnomalySettings,
    x: Floats,
    log: bool,
    scorer: SequentialScorer,
    starts: list[int],
    min_strength: float,
    first_min_strength: float,
    names: list[DetectorName] | None = None,
    resume_from: int = 0,
) -> Estimates:
    """Score each season from `starts` on, with last year's pattern where it earned it.

    `names`: the detector of each period, filled in here (a new list when None).
    `resume_from`: the periods before it were scored already (a restored scorer,
    `wbr.anomalies.resume`), and every block starts before it."""
    cadence, n = series.cadence, len(x)
    if names is None:
        names = [DetectorName.ROBUST] * n
    zeros = np.zeros(n)
    for start in starts:
        end = min(start + cadence.season, n)
        history = cleaned_history(
            x, scorer.expected, scorer.fired, series.one_off, start, cadence.season, cadence.yearly
        )
        if end <= resume_from:
            # Scored already, but its fit stays kept for a run that cannot go on.
            keep_fit(history, start, cadence.season)
            continue
        fit = fit_block(
            history,
            series.dates,
            start,
            end,
            cadence.season,
            settings.holidays,
            series.events,
            cadence.yearly,
        )
        used = DetectorName.SEASONAL in names[:start]
        needed = min_strength if used else max(min_strength, first_min_strength)
        if fit is not None and fit.strength >= needed:
            scorer.score(max(start, resume_from), end, fit.season)
            names[start:end] = [DetectorName.SEASONAL] * (end - start)
        else:
            scorer.score(max(start, resume_from), end, zeros)
    return _estimates(x, log, scorer, names)


def _robust_and_seasonal(
    series: SeriesInput, settings: AnomalySettings
) -> tuple[Estimates, Estimates]:
    """`auto`'s two runs of a series: robust, and seasonal as `auto` allows it.

    Where comparable periods are consecutive (weeks) and both runs choose the same
    scale (they do unless the series is sparse), the two compare consecutive periods
    alike until the first season with a pattern (two years): that stretch is scored
    once, and each run goes on from a copy of its state. Otherwise two runs. In a
    detection run that keeps states (`wbr.anomalies.resume`), both runs of a weekly
    series go on from the last run's when its weeks are this series' first ones.
    """
    x, log, robust = _scorer(series, settings, seasonal=False)
    n = len(x)
    shared = series.cadence.step == 1 and log == _uses_log(series.values)
    if not shared:
        with_pattern = _run(
            series,
            settings,
            seasonal=True,
            min_strength=PATTERN_REPEAT_FOR_AUTO,
            first_min_strength=FIRST_PATTERN_REPEAT,
        )
        robust.score(0, n, np.zeros(n))
        return _estimates(x, log, robust, [DetectorName.ROBUST] * n), with_pattern
    starts = block_starts(x, series.cadence.season)
    states = resume.active()
    seasonal, names, scored = _resumed(series, settings, log, robust, starts, states)
    if seasonal is None:
        robust.score(0, starts[0] if starts else n, np.zeros(n))
        seasonal, scored = robust.fork(), starts[0] if starts else n
    with_pattern = _seasons(
        series,
        settings,
        x,
        log,
        seasonal,
        starts,
        PATTERN_REPEAT_FOR_AUTO,
        FIRST_PATTERN_REPEAT,
        names,
        resume_from=scored,
    )
    robust.score(scored, n, np.zeros(n))
    if states is not None:
        state = {f"robust.{k}": v for k, v in robust.snapshot().items()}
        state |= {f"seasonal.{k}": v for k, v in seasonal.snapshot().items()}
        state["seasonal_names"] = np.array(
            [name is DetectorName.SEASONAL for name in names], dtype=np.bool_
        )
        states.keep(resume.series_key(AUTO_RUNS, series, settings, log, n), state)
    return _estimates(x, log, robust, [DetectorName.ROBUST] * n), with_pattern


def _resumed(
    series: SeriesInput,
    settings: AnomalySettings,
    log: bool,
    robust: SequentialScorer,
    starts: list[int],
    states: resume.StateCache | None,
) -> tuple[SequentialScorer | None, list[DetectorName], int]:
    """The seasonal run's scorer and detectors restored from a kept state, and the
    robust one's in place, with how many periods they scored; (None, all robust, 0)
    when no kept state applies. A state applies when it was made from this series'
    first periods and no season of the yearly pattern starts after them."""
    n = len(series.values)
    names = [DetectorName.ROBUST] * n
    if states is None:
        return None, names, 0
    found = states.find(resume.candidate_keys(AUTO_RUNS, series, settings, log))
    if found is None:
        return None, names, 0
    _, state = found
    scored = len(state["seasonal_names"])
    if any(start >= scored for start in starts):
        return None, names, 0  # a new season: its pattern needs a new fit
    seasonal = robust.fork()
    robust.restore(
        {k.removeprefix("robust."): v for k, v in state.items() if k.startswith("robust.")}
    )
    seasonal.restore(
        {k.removeprefix("seasonal."): v for k, v in state.items() if k.startswith("seasonal.")}
    )
    names[:scored] = [
        DetectorName.SEASONAL if used else DetectorName.ROBUST
        for used in state["seasonal_names"].tolist()
    ]
    states.resumed += 1
    return seasonal, names, scored


def _estimates(
    x: Floats, log: bool, scorer: SequentialScorer, names: list[DetectorName]
) -> Estimates:
    expected, half = scorer.expected, scorer.half_width
    lower, upper = expected - half, expected + half
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (x - expected) / half
    if log:
        expected, lower, upper = np.exp(expected), np.exp(lower), np.exp(upper)
    detector: list[DetectorName | None] = [
        None if np.isnan(e) else name for e, name in zip(scorer.expected, names, strict=True)
    ]
    sizes = [int(size) for size in scorer.baseline_size]
    shifts = [int(start) for start in scorer.shift_at]
    return Estimates(detector, expected, lower, upper, score, scorer.fired.copy(), sizes, shifts)


class Robust:
    """The median of recent comparable periods, with process-behaviour natural limits."""

    name = DetectorName.ROBUST.value

    def estimate(self, series: SeriesInput, settings: AnomalySettings) -> Estimates:
        return _run(series, settings, seasonal=False, min_strength=0.0)


class Seasonal:
    """Recent level plus last year's pattern (robust STL); robust until two seasons exist."""

    name = DetectorName.SEASONAL.value

    def estimate(self, series: SeriesInput, settings: AnomalySettings) -> Estimates:
        return _run(series, settings, seasonal=True, min_strength=0.0)


class Auto:
    """Robust, or recent level plus last year's pattern where that pattern earned its place.

    Both are run (each only ever sees earlier periods). The first season with a
    repeating pattern uses it; every later season uses it only when, over the
    season before, it clearly erred less than the plain robust baseline did. A
    yearly shape that repeats, but is dwarfed by one-off bursts (a sports star's
    playoff weeks, a retailer's promotions), does not earn it, and its bursts
    are not expected again.
    """

    name = "auto"

    def estimate(self, series: SeriesInput, settings: AnomalySettings) -> Estimates:
        if is_sparse(series.values):
            return _run(series, settings, seasonal=False, min_strength=0.0)
        if not series.cadence.yearly:
            # A week of days is too short to judge the weekday pattern by; it
            # is always there in daily business data.
            return _run(series, settings, seasonal=True, min_strength=PATTERN_REPEAT_FOR_AUTO)
        robust, seasonal = _robust_and_seasonal(series, settings)
        if DetectorName.SEASONAL not in seasonal.detector:
            return robust
        return _pick_per_season(series, robust, seasonal)


# The pattern must cut the season's median error by this much to be used.
PATTERN_ERROR_MARGIN = 0.9
# Without a season's record, the pattern is used when each year's detrended
# shape correlates this much with the year before's.
FIRST_PATTERN_REPEAT = 0.75
# ... and it must not have raised many more flags than the plain baseline over
# the season before: at least this many, and more than this many times as many.
PATTERN_MAX_FLAGS_RATIO = 2
PATTERN_MIN_FLAGS = 2


def _season_error(x: Floats, found: Estimates, other: Estimates, lo: int, hi: int) -> float:
    """Median |error| of `found` over [lo, hi), on periods neither run flagged."""
    expected = found.expected[lo:hi]
    centre = np.log(expected) if _uses_log(expected) else expected
    values = x[lo:hi]
    both = ~np.isnan(values) & ~np.isnan(expected) & ~np.isnan(other.expected[lo:hi])
    both &= ~found.fired[lo:hi] & ~other.fired[lo:hi]
    if not both.any():
        return math.inf
    return float(np.median(np.abs(values[both] - centre[both])))


def _flags_more(found: Estimates, other: Estimates, lo: int, hi: int) -> bool:
    """Whether `found` flagged many more periods of [lo, hi) than `other` did.

    The error comparison leaves out flagged periods, so it cannot see a pattern
    that flags many weeks the plain baseline finds ordinary. One such pattern is
    learnt from bursts that stopped recurring (a playoff run in two Januaries,
    then none): it flags the ordinary weeks in their place, and since flagged
    weeks are replaced by their expectation in the next fit, it would keep
    expecting the bursts year after year. One extra flag is noise: a pattern that
    catches a real drop the plain baseline missed keeps its place.
    """
    flags = int(found.fired[lo:hi].sum())
    return flags >= PATTERN_MIN_FLAGS and flags > PATTERN_MAX_FLAGS_RATIO * int(
        other.fired[lo:hi].sum()
    )


def _pick_per_season(series: SeriesInput, robust: Estimates, seasonal: Estimates) -> Estimates:
    values, season = series.values, series.cadence.season
    x = np.log(values) if _uses_log(values) else values
    use = np.zeros(len(values), dtype=np.bool_)  # periods scored from the seasonal run
    for start in block_starts(x, season):
        end = min(start + season, len(values))
        if DetectorName.SEASONAL not in seasonal.detector[start:end]:
            continue
        lo = max(0, start - season)
        if DetectorName.SEASONAL not in seasonal.detector[lo:start]:
            # The first season with a pattern has no record yet: the seasonal
            # run used it only for a shape that repeats closely.
            use[start:end] = True
            continue
        with_pattern = _season_error(x, seasonal, robust, lo, start)
        without = _season_error(x, robust, seasonal, lo, start)
        use[start:end] = with_pattern < PATTERN_ERROR_MARGIN * without and not _flags_more(
            seasonal, robust, lo, start
        )
    if not use.any():
        return robust

    def pick(a: Sequence[Any], b: Sequence[Any]) -> list[Any]:
        return [
            second if chosen else first for first, second, chosen in zip(a, b, use, strict=True)
        ]

    return Estimates(
        pick(robust.detector, seasonal.detector),
        np.where(use, seasonal.expected, robust.expected),
        np.where(use, seasonal.lower, robust.lower),
        np.where(use, seasonal.upper, robust.upper),
        np.where(use, seasonal.score, robust.score),
        np.where(use, seasonal.fired, robust.fired),
        pick(robust.baseline_size, seasonal.baseline_size),
        pick(robust.shift_start, seasonal.shift_start),
    )


DETECTORS: dict[str, Detector] = {
    detector.name: detector for detector in (WeekOverWeek(), Robust(), Seasonal(), Auto())
}
