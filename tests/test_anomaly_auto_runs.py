"""`auto` scores a weekly series' first two years once for both of its runs.

Its robust and seasonal runs compare consecutive weeks on the same scale until the
first season with a pattern, so `_robust_and_seasonal` scores that stretch once and
forks the scorer. These tests hold it to the two runs done separately, value for
value: on Peyton Manning's eight years of views (missing weeks, bursts, seasons with
and without the pattern) and made-up series that use the pattern (trend, yearly wave,
level shift, known events, other settings), where the runs part after two years;
and on series where they never part or cannot share (CDNOW's 77 weeks, under two
years; small counts, scored on two scales).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from test_anomaly_real_series import cdnow_revenue, peyton_manning_views

from wbr.anomalies.detectors import (
    FIRST_PATTERN_REPEAT,
    PATTERN_REPEAT_FOR_AUTO,
    WEEKLY,
    Estimates,
    SeriesInput,
    _robust_and_seasonal,
    _run,
)
from wbr.anomalies.series import SeriesContext, _event_marks, _is_counts, _regular
from wbr.registry.anomaly_settings import AnomalySettings, KnownEvent


def _input(values: pd.Series, context: SeriesContext) -> SeriesInput:
    dates, regular = _regular(values, "week")
    marks = _event_marks(dates, context)
    events = [event for event in context.events if event.applies_to(context.metric)]
    counts = _is_counts(regular, context)
    return SeriesInput(regular, dates, WEEKLY, counts, marks.known, marks.one_off, events)


def _made_up(seed: int, weeks: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    level = 1000 * (1 + 0.004 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 52))
    level[weeks // 2 :] *= 0.7  # a level shift
    values = level * np.exp(rng.normal(0, 0.05, weeks))
    values[rng.choice(weeks, 4, replace=False)] *= 1.8  # spikes
    values[rng.choice(weeks, 3, replace=False)] = np.nan  # incomplete weeks
    ends = [date(2021, 1, 2) + timedelta(weeks=i) for i in range(weeks)]
    return pd.Series(values, index=pd.DatetimeIndex(ends))


def _assert_same(shared: Estimates, separate: Estimates) -> None:
    assert shared.detector == separate.detector
    for field in ("expected", "lower", "upper", "score", "fired"):
        assert np.array_equal(getattr(shared, field), getattr(separate, field), equal_nan=True)
    assert list(shared.baseline_size) == list(separate.baseline_size)
    assert list(shared.shift_start) == list(separate.shift_start)


PROMOTION = (
    KnownEvent(name="Spring sale", start=date(2022, 3, 1), end=date(2022, 3, 10)),
    KnownEvent(name="Spring sale", start=date(2023, 3, 3), end=date(2023, 3, 12)),
    KnownEvent(name="Outage", start=date(2023, 9, 1), end=date(2023, 9, 3)),
)
CASES = {
    "peyton_manning": (peyton_manning_views, SeriesContext(), AnomalySettings()),
    "cdnow": (cdnow_revenue, SeriesContext(unit="currency"), AnomalySettings()),
    "made-up, 3 years": (lambda: _made_up(1, 156), SeriesContext(), AnomalySettings()),
    "made-up, 5 years, events": (
        lambda: _made_up(2, 260),
        SeriesContext(events=PROMOTION),
        AnomalySettings(sensitivity=1.5, baseline_weeks=6),
    ),
    "made-up, under two years": (lambda: _made_up(3, 90), SeriesContext(), AnomalySettings()),
    # Positive but sparse (median under 10): robust on the plain scale, seasonal on the
    # log one, so the runs cannot share their start.
    "small counts, 3 years": (
        lambda: _made_up(4, 156).div(300).round().clip(lower=1),
        SeriesContext(),
        AnomalySettings(),
    ),
}


USE_THE_PATTERN = {"peyton_manning", "made-up, 3 years", "made-up, 5 years, events"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_shared_start_gives_what_two_separate_runs_give(name: str) -> None:
    load, context, settings = CASES[name]
    series = _input(load(), context)
    robust, seasonal = _robust_and_seasonal(series, settings)
    _assert_same(robust, _run(series, settings, seasonal=False, min_strength=0.0))
    separate = _run(
        series,
        settings,
        seasonal=True,
        min_strength=PATTERN_REPEAT_FOR_AUTO,
        first_min_strength=FIRST_PATTERN_REPEAT,
    )
    _assert_same(seasonal, separate)
    uses_pattern = any(d is not None and d.value == "seasonal" for d in separate.detector)
    assert uses_pattern == (name in USE_THE_PATTERN)  # where the runs part, they are tested
