"""The scorer's noise estimate (wbr/anomalies/baseline.py) against its definition: moving
ranges, past errors, and the choice between the full and the short baseline."""

from __future__ import annotations

import inspect
import itertools
import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_anomaly_real_series import cdnow_revenue, peyton_manning_views

from wbr.anomalies.baseline import (
    FACTORS_AT_SMALL_SAMPLE_Z,
    FULL,
    MEDIAN_ABS_TO_SIGMA,
    MEDIAN_MOVING_RANGE_TO_SIGMA,
    MIN_ERRORS,
    MIN_ERRORS_TO_CHOOSE,
    NOISE_WINDOW,
    SMALL_SAMPLE_Z,
    ScoringParams,
    SequentialScorer,
    _Lane,
    _median,
    _moving_ranges,
    small_sample_factor,
)
from wbr.anomalies.series import detect_series

NAN = math.nan


def _by_definition(ids: list[int], values: list[float], level_start: int) -> list[float]:
    """|x_j - x_i| for each pair of consecutive known periods i < j, except the pair that
    straddles the start of a new level (that jump is the shift, not noise)."""
    known = [j for j in ids if not math.isnan(values[j])]
    return [
        abs(values[b] - values[a]) for a, b in itertools.pairwise(known) if not a < level_start <= b
    ]


def test_ranges_skip_unknown_periods_and_the_jump_onto_a_new_level() -> None:
    values = [10.0, 12.0, NAN, 11.0, 30.0, 31.0, 29.0]
    # Period 2 is unknown: 1 and 3 are consecutive. A new level starts at 4.
    assert _moving_ranges([0, 1, 2, 3, 4, 5, 6], values, level_start=4) == [2.0, 1.0, 1.0, 2.0]
    # Without a new level, the jump is a range like any other.
    assert _moving_ranges([0, 1, 2, 3, 4, 5, 6], values, level_start=0) == [
        2.0,
        1.0,
        19.0,
        1.0,
        2.0,
    ]
    # Only the listed periods count (a lane of one weekday, or the baseline's candidates).
    assert _moving_ranges([0, 3, 6], values, level_start=0) == [1.0, 18.0]
    assert _moving_ranges([], values, level_start=0) == []
    assert _moving_ranges([2], values, level_start=0) == []


@given(
    st.lists(
        st.one_of(st.just(NAN), st.floats(-1e6, 1e6, allow_nan=False)), min_size=0, max_size=40
    ),
    st.data(),
)
def test_ranges_match_their_definition(values: list[float], data: st.DataObject) -> None:
    ids = sorted(data.draw(st.sets(st.integers(0, max(len(values) - 1, 0)))) if values else [])
    level_start = data.draw(st.integers(0, len(values) + 1))
    assert _moving_ranges(ids, values, level_start) == _by_definition(ids, values, level_start)


def _scorer(values: list[float]) -> SequentialScorer:
    params = ScoringParams(
        window=8,
        step=1,
        z=3.0,
        counts=False,
        log=False,
        relative_noise_floor=0.0,
        new_level_window=4,
        new_level_flags=4,
    )
    x = np.array(values, dtype=np.float64)
    return SequentialScorer(x, np.ones(len(values), dtype=np.bool_), params)


def test_the_short_baseline_must_beat_the_full_one_by_the_margin() -> None:
    scorer = _scorer([0.0])
    lane = _Lane(errors={FULL: [1.0, 1.0, 1.0, 1.0, 3.0], 2: [0.85] * 5})
    levels = {FULL: 10.0, 2: 10.5}
    # 0.85 / 0.8 = 1.06 is not below the full baseline's 1.0: the full one stays.
    assert scorer._best_baseline(lane, levels) == (FULL, 1.0)
    lane.errors[2] = [0.7] * 5  # 0.7 / 0.8 = 0.875 < 1.0
    # The chosen baseline's own median error size is handed on, not the margin's.
    assert scorer._best_baseline(lane, levels) == (2, 0.7)
    lane.errors[2] = [0.1] * (MIN_ERRORS_TO_CHOOSE - 1)  # too few to judge it by
    assert scorer._best_baseline(lane, levels) == (FULL, None)


def test_the_noise_is_the_larger_of_moving_ranges_and_past_errors() -> None:
    values = [10.0, 10.2, 10.0, 10.2, 10.0, 10.2, 10.0, 10.2, 10.0, 10.2]
    scorer = _scorer(values)
    lane = _Lane(usable=list(range(len(values))))
    ranges = len(values) - 1
    from_ranges = 0.2 * MEDIAN_MOVING_RANGE_TO_SIGMA * math.sqrt(1 + (math.pi / 2) / 8)
    from_ranges *= small_sample_factor(SMALL_SAMPLE_Z, ranges)
    assert scorer._sigma(lane, values, 10.1, FULL, 8) == pytest.approx(from_ranges, rel=1e-12)
    # Twelve errors or more: their median size sets the noise when it is larger.
    lane.errors[FULL] = [0.5] * (MIN_ERRORS - 1) + [0.9]
    from_errors = 0.5 * MEDIAN_ABS_TO_SIGMA * small_sample_factor(SMALL_SAMPLE_Z, MIN_ERRORS)
    assert from_errors > from_ranges
    assert scorer._sigma(lane, values, 10.1, FULL, 8) == pytest.approx(from_errors, rel=1e-12)
    # A median already measured by `_best_baseline` gives the same noise.
    assert scorer._sigma(lane, values, 10.1, FULL, 8, 0.5) == scorer._sigma(
        lane, values, 10.1, FULL, 8
    )


def test_scoring_hands_on_the_chosen_baseline_s_own_median_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`score` may pass `_sigma` the median `_best_baseline` measured; it must be the one
    `_sigma` would have measured itself (checked on every period of real series)."""
    original = SequentialScorer._sigma
    handed = []

    signature = inspect.signature(original)

    def checked(*args: Any, **named: Any) -> float:
        called = signature.bind(*args, **named).arguments  # whatever `_sigma` takes
        key_error = called.get("key_error")
        if key_error is not None:
            handed.append(key_error)
            lane: _Lane = called["lane"]
            assert key_error == _median(lane.errors[called["key"]][-NOISE_WINDOW:])
        return original(*args, **named)

    monkeypatch.setattr(SequentialScorer, "_sigma", checked)
    for series in (peyton_manning_views(), cdnow_revenue()):
        detect_series(series)
    assert len(handed) > 300  # the check ran, and on more than a few periods


def test_the_written_out_factors_are_scipys_student_t_quantiles() -> None:
    """The table that spares detection the scipy.stats import is what scipy computes."""
    from scipy.stats import t as student_t  # type: ignore[import-untyped]

    assert len(FACTORS_AT_SMALL_SAMPLE_Z) == NOISE_WINDOW
    tail = NormalDist().cdf(SMALL_SAMPLE_Z)
    for samples, factor in enumerate(FACTORS_AT_SMALL_SAMPLE_Z, start=1):
        expected = float(student_t.ppf(tail, samples)) / SMALL_SAMPLE_Z
        assert factor == pytest.approx(expected, rel=1e-12)
        assert small_sample_factor(SMALL_SAMPLE_Z, samples) == factor
    # Other sizes and z still come from scipy.
    beyond = float(student_t.ppf(tail, NOISE_WINDOW + 1)) / SMALL_SAMPLE_Z
    assert small_sample_factor(SMALL_SAMPLE_Z, NOISE_WINDOW + 1) == pytest.approx(beyond)
    other = float(student_t.ppf(NormalDist().cdf(3.5), 5)) / 3.5
    assert small_sample_factor(3.5, 5) == pytest.approx(other)


def test_scoring_a_series_imports_neither_scipy_nor_statsmodels_when_its_fits_are_kept(
    tmp_path: Path,
) -> None:
    """A weekly refresh whose seasonal fits are all kept pays neither import (~1.4 s)."""
    import subprocess
    import sys

    script = """
import sys
import numpy as np, pandas as pd
from datetime import date, timedelta
from pathlib import Path
from wbr.anomalies.fit_cache import fits_kept_in
from wbr.anomalies.series import detect_series
t = np.arange(160)
values = pd.Series(1000 * (1 + 0.3 * np.sin(2 * np.pi * t / 52)) + 5 * np.cos(7 * t),
                   index=pd.DatetimeIndex([date(2021, 1, 2) + timedelta(weeks=int(i)) for i in t]))
with fits_kept_in(Path(sys.argv[1])):
    detect_series(values)
print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('scipy', 'statsmodels')}))
"""
    cache_file = tmp_path / "fits.npz"
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, str(cache_file)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs == ["['scipy', 'statsmodels']", "[]"]  # fitted once, then kept
