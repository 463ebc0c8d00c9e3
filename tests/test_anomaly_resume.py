"""Scorers' states kept between detection runs (`wbr.anomalies.resume`): a run that goes
on from the last run's state gives every expectation, band, score and flag that a run
from the first week gives, and only a state made from exactly this series' first weeks
is ever used."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import small_project as shop
from sqlalchemy.engine import Engine
from test_anomaly_fit_cache import count_fits

from wbr.anomalies import detect_project, fit_cache, resume
from wbr.anomalies.fit_cache import fits_kept_in
from wbr.anomalies.series import SeriesContext, detect_series, score_series
from wbr.compute.run import compute
from wbr.registry.anomaly_settings import AnomalySettings, KnownEvent
from wbr.store import replace_raw_table

WEEKS = 170  # three years and more: the last season's block is under way


def series(seed: int, weeks: int = WEEKS, kind: str = "yearly") -> pd.Series:
    """Weekly values of one of several shapes, with bursts, drops and missing weeks."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    if kind == "yearly":
        level = 1000 * (1 + 0.003 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 52))
    elif kind == "drifting":  # a level that wanders: the two-week baseline's case
        level = 500 * np.exp(np.cumsum(rng.normal(0, 0.05, weeks)))
    elif kind == "sparse":  # a small count with zeros: `auto` scores it robustly, plainly
        counts = rng.poisson(3, weeks).astype(float)
        counts[rng.choice(np.arange(60, weeks), 3, replace=False)] = 25
        ends = [date(2021, 1, 2) + timedelta(weeks=i) for i in range(weeks)]
        return pd.Series(counts, index=pd.DatetimeIndex(ends))
    else:  # a step to a new level
        level = np.where(t < weeks - 40, 800.0, 480.0)
    values = level * np.exp(rng.normal(0, 0.04, weeks))
    values[rng.choice(np.arange(60, weeks), 4, replace=False)] *= 1.8
    values[rng.choice(np.arange(60, weeks), 2, replace=False)] *= 0.5
    values[rng.choice(np.arange(10, weeks), 3, replace=False)] = np.nan  # incomplete weeks
    ends = [date(2021, 1, 2) + timedelta(weeks=i) for i in range(weeks)]
    return pd.Series(values, index=pd.DatetimeIndex(ends))


def context(name: str = "orders") -> SeriesContext:
    promotion = KnownEvent(name="spring sale", start=date(2022, 4, 3), end=date(2022, 4, 16))
    return SeriesContext(metric=name, events=(promotion,))


def runs(values: pd.Series, path: Path) -> tuple[pd.DataFrame, list[object], int]:
    """Scores and flags of one detection run keeping states in `path`, and whether its
    scores went on from a state of the file (1) or from the first week (0)."""
    with fits_kept_in(path.with_name("fits.npz")), resume.states_kept_in(path) as states:
        scores = score_series(values, context=context())
        assert states is not None
        from_file = states.resumed
        flags = detect_series(values, context=context())
        # The flags go on from the state the scores just made, whatever the file held.
        assert states.resumed == from_file + 1
    return scores, list(flags), from_file


@pytest.mark.parametrize("kind", ["yearly", "drifting", "step", "sparse"])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("added", [1, 3])
def test_going_on_from_a_kept_state_gives_what_a_run_from_the_start_gives(
    tmp_path: Path, kind: str, seed: int, added: int
) -> None:
    values = series(seed, kind=kind)
    states = tmp_path / resume.FILE_NAME
    runs(values.iloc[:-added], states)  # last week's run
    scores, flags, resumed = runs(values, states)  # this week's: `added` weeks more
    assert resumed == 1
    pd.testing.assert_frame_equal(scores, score_series(values, context=context()))
    assert flags == detect_series(values, context=context())
    assert any(flags)  # the bursts are flagged: the comparison has something to compare


def test_a_rerun_with_no_new_week_is_resumed_and_changes_nothing(tmp_path: Path) -> None:
    values = series(4)
    states = tmp_path / resume.FILE_NAME
    first = runs(values, states)
    again = runs(values, states)
    assert (first[2], again[2]) == (0, 1)
    pd.testing.assert_frame_equal(again[0], first[0])
    assert again[1] == first[1]


def test_a_restated_week_or_an_edited_setting_is_scored_from_the_start(tmp_path: Path) -> None:
    values = series(5)
    states = tmp_path / resume.FILE_NAME
    runs(values.iloc[:-1], states)
    restated = values.copy()
    restated.iloc[100] *= 1.01  # an old week's value changed (a reload with a correction)
    scores, _, resumed = runs(restated, states)
    assert resumed == 0
    pd.testing.assert_frame_equal(scores, score_series(restated, context=context()))
    with fits_kept_in(tmp_path / "fits.npz"), resume.states_kept_in(states) as kept:
        detect_series(values, AnomalySettings(sensitivity=1.5), context())
    assert kept is not None and kept.resumed == 0


def test_a_new_season_starts_from_the_start_and_is_fitted(tmp_path: Path) -> None:
    """The week that starts a new season of the yearly pattern needs a new fit."""
    values = series(6, weeks=157)  # the data starts a block at week 156 (3 × 52)
    states = tmp_path / resume.FILE_NAME
    runs(values.iloc[:-2], states)
    scores, _, resumed = runs(values, states)
    assert resumed == 0
    pd.testing.assert_frame_equal(scores, score_series(values, context=context()))


def test_more_than_a_few_weeks_later_is_scored_from_the_start(tmp_path: Path) -> None:
    values = series(7)
    states = tmp_path / resume.FILE_NAME
    runs(values.iloc[: -(resume.MAX_NEW_PERIODS + 1)], states)
    assert runs(values, states)[2] == 0


def test_a_corrupt_file_is_a_miss(tmp_path: Path) -> None:
    values = series(8)
    states = tmp_path / resume.FILE_NAME
    states.write_bytes(b"not a zip")
    scores, _, resumed = runs(values, states)
    assert resumed == 0
    pd.testing.assert_frame_equal(scores, score_series(values, context=context()))
    assert runs(values, states)[2] == 1  # the file was replaced by this run's states


def load_shop(engine: Engine, last: date) -> None:
    traffic, orders = shop.traffic_frame(), shop.orders_frame()
    replace_raw_table(engine, "traffic", [traffic[traffic["day"] <= last]], "day")
    replace_raw_table(engine, "orders", [orders[orders["order_date"] <= last]], "order_date")


def test_a_project_refresh_goes_on_from_the_last_run_and_flags_the_same(
    store_engine: Engine, tmp_path: Path
) -> None:
    """The weekly job: detection after a week was added scores only that week, and
    stores what scoring every week from the first stores."""
    registry = shop.registry()
    fits = tmp_path / "seasonal-fits.npz"
    load_shop(store_engine, shop.LAST_DAY - timedelta(days=7))
    compute(store_engine, registry)
    assert detect_project(store_engine, registry, fits_file=fits).resumed == 0
    assert (tmp_path / resume.FILE_NAME).exists()
    load_shop(store_engine, shop.LAST_DAY)
    compute(store_engine, registry, full=True)  # the rows were replaced without a load run

    resumed = detect_project(store_engine, registry, fits_file=fits)
    from_the_start = detect_project(store_engine, registry)  # no file: no states

    assert resumed.resumed == resumed.metrics_scored > 0
    assert resumed.latest_week == shop.LAST_DAY
    assert resumed.flags == from_the_start.flags
    assert from_the_start.changed == 0  # the second run stored nothing new


def test_a_resumed_run_keeps_every_seasons_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that went on from a state made no fit and needed no old season's, but a run
    that cannot go on (its states lost) still finds every fit kept."""
    values = series(9)
    states = tmp_path / resume.FILE_NAME
    runs(values.iloc[:-1], states)
    made = count_fits(monkeypatch)
    assert runs(values, states)[2] == 1
    states.unlink()
    scores, _, resumed = runs(values, states)
    assert (made, resumed) == ([], 0)
    pd.testing.assert_frame_equal(scores, score_series(values, context=context()))


def test_another_statsmodels_is_scored_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seasonal fits come from statsmodels: a state made on others' fits is not used."""
    values = series(10)
    states = tmp_path / resume.FILE_NAME
    runs(values.iloc[:-1], states)
    monkeypatch.setattr(fit_cache, "versions", lambda: "format=1;numpy=2;statsmodels=9.9")
    resume._code_digest.cache_clear()
    try:
        assert runs(values, states)[2] == 0
    finally:
        resume._code_digest.cache_clear()  # the next test keys by the real versions
