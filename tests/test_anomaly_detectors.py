"""Each detector on constructed series with known answers (pure functions, no store)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from wbr.anomalies import (
    DetectorName,
    FlagStatus,
    SeriesContext,
    Severity,
    detect_series,
    score_series,
)
from wbr.registry.anomaly_settings import (
    AlertOn,
    AnomalySettings,
    DetectionMethod,
    KnownEvent,
)

FIRST_WEEK = date(2022, 1, 8)  # a Saturday
ROBUST = AnomalySettings(method=DetectionMethod.ROBUST)
SEASONAL = AnomalySettings(method=DetectionMethod.SEASONAL)
WOW = AnomalySettings(method=DetectionMethod.WEEK_OVER_WEEK)


def weeks(values: np.ndarray | list[float], first: date = FIRST_WEEK) -> pd.Series:
    index = pd.DatetimeIndex([first + timedelta(weeks=i) for i in range(len(values))])
    return pd.Series(np.asarray(values, dtype=float), index=index)


def wiggle(n: int, level: float = 1000.0, size: float = 0.01, phase: float = 0.5) -> np.ndarray:
    """Deterministic, bounded week-to-week noise of about `size`: exact answers in tests."""
    t = np.arange(n)
    return np.asarray(level * np.exp(size * (np.sin(2.1 * t + phase) + 0.5 * np.sin(3.7 * t))))


def noisy(n: int, level: float = 1000.0, noise: float = 0.01, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level * np.exp(rng.normal(0.0, noise, n))


def week_ending(i: int) -> date:
    return FIRST_WEEK + timedelta(weeks=i)


def test_a_level_drop_is_flagged_as_bad_with_high_severity() -> None:
    values = wiggle(40)
    values[30] *= 0.8
    flags = detect_series(weeks(values), ROBUST)
    assert [flag.week_ending for flag in flags] == [week_ending(30)]
    flag = flags[0]
    assert flag.detector is DetectorName.ROBUST
    assert flag.deviation < 0 and flag.deviation_pct == pytest.approx(-20, abs=2.5)
    assert flag.actual == pytest.approx(values[30])
    assert flag.lower <= flag.expected <= flag.upper and flag.actual < flag.lower
    assert flag.score < -2.5 and flag.severity is Severity.HIGH
    assert flag.is_bad and flag.status is FlagStatus.OPEN
    assert flag.comparison_week == week_ending(29)
    assert flag.explanation.startswith("expected 1.00K ± ")
    assert flag.explanation.endswith("from the last 8 weeks; got 801, −19.9%")


def test_routine_noise_and_a_steady_trend_are_not_flagged() -> None:
    growth = np.exp(np.arange(156) * 0.2 / 52)  # +20 % a year
    values = wiggle(156, size=0.02) * growth
    assert detect_series(weeks(values)) == []
    assert detect_series(weeks(values), ROBUST) == []


def test_random_noise_raises_few_false_alarms() -> None:
    """Gaussian noise around a growing level: under 2 flags per 100 metric-weeks."""
    growth = np.exp(np.arange(156) * 0.2 / 52)
    flags = scored = 0
    for seed in range(40):
        series = weeks(noisy(156, noise=0.03, seed=seed) * growth)
        frame = score_series(series)
        scored += int(frame["detector"].notna().sum())
        flags += int(frame["fired"].sum())
    assert scored > 40 * 140
    assert flags / scored < 0.02


def test_the_week_after_an_outage_is_judged_against_the_level_before_it() -> None:
    values = wiggle(40)
    values[30] *= 0.5
    frame = score_series(weeks(values), ROBUST)
    assert frame["fired"].tolist().count(True) == 1
    # The outage is not in the next week's baseline: it expects the old level.
    assert frame["expected"].iloc[31] == pytest.approx(frame["expected"].iloc[30])
    # The week-over-week rule flags the recovery too: the false alarm the WBR dislikes.
    wow_weeks = [flag.week_ending for flag in detect_series(weeks(values), WOW)]
    assert wow_weeks == [week_ending(30), week_ending(31)]


def test_incomplete_weeks_are_skipped_and_do_not_enter_baselines() -> None:
    values = wiggle(40)
    values[30] = np.nan  # a week with a missing day: no value
    values[35] *= 0.8
    frame = score_series(weeks(values), ROBUST)
    assert pd.isna(frame["detector"].iloc[30]) and not frame["fired"].iloc[30]
    flags = detect_series(weeks(values), ROBUST)
    assert [flag.week_ending for flag in flags] == [week_ending(35)]


def test_a_new_level_is_one_level_shift_flag_then_becomes_the_baseline() -> None:
    values = wiggle(50)
    values[30:] *= 0.59  # a lasting step down
    (flag,) = detect_series(weeks(values), ROBUST)
    assert (flag.week_ending, flag.detector) == (week_ending(30), DetectorName.LEVEL_SHIFT)
    assert flag.is_bad and flag.actual == pytest.approx(values[30])
    assert flag.explanation.startswith(
        f"new level since {week_ending(30).isoformat()}: 41 % below the previous 8 weeks"
    )
    # Before the fourth week confirms it, each week of the new level is an outlier.
    early = detect_series(weeks(values[:32]), ROBUST)
    assert [(f.week_ending, f.detector) for f in early] == [
        (week_ending(30), DetectorName.ROBUST),
        (week_ending(31), DetectorName.ROBUST),
    ]


def test_a_burst_that_wanders_is_not_a_new_level() -> None:
    """Playoff weeks (x2, x5, x3, x9 the usual views) are outliers; then the usual level is back."""
    values = wiggle(50, size=0.05)
    values[30:34] *= [2, 5, 3, 9]
    flags = detect_series(weeks(values), ROBUST)
    assert [flag.week_ending for flag in flags] == [week_ending(i) for i in range(30, 34)]
    assert {flag.detector for flag in flags} == {DetectorName.ROBUST}


def test_a_known_event_explains_the_week_and_is_stored_with_its_name() -> None:
    values = wiggle(40)
    values[30] *= 1.6
    sale = KnownEvent(
        name="Spring Sale", start=week_ending(30) - timedelta(days=2), end=week_ending(30)
    )
    other = KnownEvent(
        name="Other metric", start=week_ending(30), end=week_ending(30), metrics=("x",)
    )
    context = SeriesContext(metric="orders", events=(sale, other))
    (flag,) = detect_series(weeks(values), ROBUST, context)
    assert flag.status is FlagStatus.EXPLAINED
    assert flag.explained_by == "Spring Sale"
    assert flag.explanation.endswith("; during Spring Sale (a known event)")


def test_min_volume_silences_a_sparse_metric_but_not_a_collapse_from_volume() -> None:
    rng = np.random.default_rng(5)
    sparse = rng.poisson(4, 40).astype(float)
    sparse[30] = 40  # a spike, but on tiny volume
    assert [f.week_ending for f in detect_series(weeks(sparse))] == [week_ending(30)]
    assert detect_series(weeks(sparse), AnomalySettings(min_volume=50)) == []
    busy = wiggle(40, level=500)
    busy[30] = 0.0  # usual volume is above the minimum: still flagged
    flags = detect_series(weeks(busy), AnomalySettings(min_volume=50))
    assert [flag.week_ending for flag in flags] == [week_ending(30)]


def test_direction_decides_what_is_bad() -> None:
    defects = wiggle(40, level=0.02)
    defects[25] *= 0.6  # fewer defects: good
    defects[32] *= 1.6  # more defects: bad
    lower = SeriesContext(metric="defect_rate", direction="lower_is_better", unit="percent")
    flags = {f.week_ending: f for f in detect_series(weeks(defects), ROBUST, lower)}
    assert flags[week_ending(25)].is_bad is False
    assert flags[week_ending(32)].is_bad is True
    assert "bps" in flags[week_ending(32)].explanation
    only_bad = AnomalySettings(method=DetectionMethod.ROBUST, alert_on=AlertOn.BAD)
    assert [f.week_ending for f in detect_series(weeks(defects), only_bad, lower)] == [
        week_ending(32)
    ]


def test_week_over_week_rule_percent_and_absolute_thresholds() -> None:
    values = weeks([100, 100, 112, 112, 104, 104, 95])
    flagged = [f.week_ending for f in detect_series(values, WOW)]
    assert flagged == [week_ending(2)]  # +12 %; -7.1 % and -8.7 % are routine
    absolute = AnomalySettings(method=DetectionMethod.WEEK_OVER_WEEK, wow_threshold_abs=9)
    assert [f.week_ending for f in detect_series(values, absolute)] == [
        week_ending(2),
        week_ending(6),
    ]
    (flag,) = detect_series(weeks([100, 100, 112]), WOW)
    assert flag.expected == 100 and flag.lower == 90 and flag.upper == 110
    assert flag.explanation == "got 112, +12.0% from last week's 100 (flags a change beyond ± 10.0)"


def _seasonal_year(n: int) -> np.ndarray:
    """A yearly wave and a Thanksgiving-week peak (+40 %) wherever the calendar puts it."""
    t = np.arange(n)
    peak = np.zeros(n)
    for year in (2022, 2023, 2024):
        first = date(year, 11, 1)
        thanksgiving = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
        peak[(thanksgiving - FIRST_WEEK).days // 7 + 1] = np.log(1.4)
    return np.asarray(np.exp(0.2 * np.sin(2 * np.pi * t / 52) + peak) * noisy(n, seed=11))


def test_the_seasonal_detector_expects_last_years_holiday_and_catches_a_drop() -> None:
    values = _seasonal_year(156)
    values[120] *= 0.75
    flags = detect_series(weeks(values), SEASONAL)
    third_year = [f for f in flags if f.week_ending >= week_ending(104)]
    assert [f.week_ending for f in third_year] == [week_ending(120)]
    assert third_year[0].detector is DetectorName.SEASONAL
    assert "last year's pattern" in third_year[0].explanation
    # The robust detector knows no pattern: it flags the holiday peak every year.
    robust_weeks = {f.week_ending for f in detect_series(weeks(values), ROBUST)}
    thanksgiving_week_2024 = week_ending((date(2024, 11, 28) - FIRST_WEEK).days // 7 + 1)
    assert thanksgiving_week_2024 in robust_weeks


def test_last_years_outage_is_not_expected_again() -> None:
    values = _seasonal_year(156)
    values[70] *= 0.5  # an outage in year two
    flags = detect_series(weeks(values), SEASONAL)
    assert week_ending(70) in {f.week_ending for f in flags}
    assert week_ending(122) not in {f.week_ending for f in flags}  # the same week a year on


def test_auto_picks_robust_for_sparse_and_seasonal_for_a_clear_yearly_pattern() -> None:
    frame = score_series(weeks(_seasonal_year(156)))
    assert set(frame["detector"].iloc[110:]) == {"seasonal"}
    assert set(frame["detector"].dropna().iloc[:90]) == {"robust"}
    sparse = score_series(weeks(np.random.default_rng(2).poisson(3, 156).astype(float)))
    assert set(sparse["detector"].dropna()) == {"robust"}


def test_auto_drops_a_pattern_whose_bursts_stopped_and_keeps_one_that_repeats() -> None:
    t = np.arange(208)
    wave = np.exp(0.25 * np.sin(2 * np.pi * t / 52)) * noisy(208, noise=0.03, seed=5)
    bursts = wave.copy()
    for january in (2, 54):  # a January burst in the first two years only
        bursts[january : january + 4] *= 3.0
    frame = score_series(weeks(bursts))
    # The third year expects the burst again and flags its ordinary January as drops ...
    assert set(frame["detector"].iloc[104:156]) == {"seasonal"}
    assert frame["fired"].iloc[106:110].all()
    assert (frame["actual"] < frame["expected"]).iloc[106:110].all()
    # ... so the fourth year is scored without the pattern, and its January is not flagged.
    assert set(frame["detector"].iloc[156:]) == {"robust"}
    assert not frame["fired"].iloc[156:170].any()
    # The wave alone keeps its pattern: one flag more than the plain baseline is no reason.
    assert set(score_series(weeks(wave))["detector"].iloc[156:]) == {"seasonal"}


def test_daily_series_compare_weekday_adjusted_days() -> None:
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    weekday = np.array([1.0, 1.0, 1.0, 1.0, 1.1, 0.6, 0.5])[days.day_of_week]
    values = pd.Series(weekday * noisy(120, seed=4), index=days)
    assert detect_series(values, context=SeriesContext(grain="day")) == []
    values.iloc[100] *= 0.6
    flags = detect_series(values, context=SeriesContext(grain="day"))
    assert [flag.week_ending for flag in flags] == [days[100].date()]
    assert "weekday pattern" in flags[0].explanation


def test_dates_off_the_weekly_grid_are_an_error() -> None:
    values = weeks(noisy(10))
    values.index = values.index.insert(3, pd.Timestamp("2022-01-30")).delete(4)
    from wbr.anomalies import DetectionError

    with pytest.raises(DetectionError, match="off the grid"):
        detect_series(values.sort_index())
