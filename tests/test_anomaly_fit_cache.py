"""Seasonal fits kept between detection runs (`wbr.anomalies.fit_cache`): a kept fit is
the fit that would be made, so every expectation, band and flag comes out the same."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wbr.anomalies import seasonal
from wbr.anomalies.fit_cache import fit_key, fits_kept_in, project_file
from wbr.anomalies.series import detect_series, score_series

WEEKS = 160  # three years and more: two or three seasonal fits per series


def yearly_series(seed: int, weeks: int = WEEKS) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    level = 1000 * (1 + 0.003 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 52))
    values = level * np.exp(rng.normal(0, 0.04, weeks))
    values[rng.choice(np.arange(110, weeks), 3, replace=False)] *= 1.7  # spikes to flag
    ends = [date(2021, 1, 2) + timedelta(weeks=i) for i in range(weeks)]
    return pd.Series(values, index=pd.DatetimeIndex(ends))


def count_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many fits are made (not taken from the cache) from now on."""
    made: list[int] = []
    fit = seasonal._fit_stl

    def counted(history: np.ndarray, period: int) -> object:
        made.append(len(history))
        return fit(history, period)

    monkeypatch.setattr(seasonal, "_fit_stl", counted)
    return made


@pytest.mark.parametrize("seed", [1, 2])
def test_a_kept_fit_gives_what_a_new_fit_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    values = yearly_series(seed)
    fresh_scores, fresh_flags = score_series(values), detect_series(values)
    made = count_fits(monkeypatch)
    cache_file = tmp_path / "fits.npz"
    with fits_kept_in(cache_file):
        first = score_series(values), detect_series(values)
    fitted = len(made)
    assert fitted >= 2 and cache_file.exists()
    with fits_kept_in(cache_file) as cache:  # a new run: only the file carries the fits
        again = score_series(values), detect_series(values)
    assert cache is not None and cache.hits >= fitted and len(made) == fitted
    assert fresh_flags and first[1] == fresh_flags == again[1]
    pd.testing.assert_frame_equal(first[0], fresh_scores)
    pd.testing.assert_frame_equal(again[0], fresh_scores)


def test_a_week_more_reuses_the_fits_of_the_blocks_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weekly refresh: one more week is scored with the fits already made."""
    values = yearly_series(3)
    cache_file = tmp_path / "fits.npz"
    with fits_kept_in(cache_file):
        detect_series(values.iloc[:-1])
    made = count_fits(monkeypatch)
    with fits_kept_in(cache_file):
        refreshed = detect_series(values)
    assert made == []
    assert refreshed == detect_series(values)  # made anew, outside the cache


def test_a_changed_history_is_fitted_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = yearly_series(4)
    cache_file = tmp_path / "fits.npz"
    with fits_kept_in(cache_file):
        detect_series(values)
    revised = values.copy()
    revised.iloc[10] *= 1.01  # an old week restated
    made = count_fits(monkeypatch)
    with fits_kept_in(cache_file):
        flags = detect_series(revised)
    assert made  # the blocks whose history holds week 10
    assert flags == detect_series(revised)
    history = np.arange(120, dtype=np.float64)
    assert fit_key(history, 52, "a") != fit_key(history, 52, "b")
    assert fit_key(history, 52, "a") != fit_key(history + 1e-12 * history, 52, "a")


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04 broken"])
def test_a_corrupt_file_is_a_miss_and_is_replaced(tmp_path: Path, content: bytes) -> None:
    values = yearly_series(5)
    cache_file = tmp_path / "fits.npz"
    cache_file.write_bytes(content)
    with fits_kept_in(cache_file) as cache:
        flags = detect_series(values)
    assert cache is not None and cache.hits == 0
    assert flags == detect_series(values)
    with fits_kept_in(cache_file) as cache:
        detect_series(values)
    assert cache is not None and cache.hits > 0


def test_a_failed_run_writes_no_file(tmp_path: Path) -> None:
    cache_file = tmp_path / "fits.npz"
    with pytest.raises(RuntimeError), fits_kept_in(cache_file):
        detect_series(yearly_series(6))
        raise RuntimeError("the run stopped")
    assert not cache_file.exists()


def test_only_a_project_with_local_state_keeps_fits(tmp_path: Path) -> None:
    registry = tmp_path / "metrics.yaml"
    assert project_file(registry) is None  # e.g. a PostgreSQL store: no .wbr/ folder
    (tmp_path / ".wbr").mkdir()
    assert project_file(registry) == tmp_path / ".wbr" / "seasonal-fits.npz"


def test_the_file_takes_the_umasks_mode(tmp_path: Path) -> None:
    """A scheduler and a CLI run by different users share `.wbr/`: not a private file."""
    import os

    umask = os.umask(0o022)
    try:
        cache_file = tmp_path / "fits.npz"
        with fits_kept_in(cache_file):
            detect_series(yearly_series(7))
        assert cache_file.stat().st_mode & 0o777 == 0o644
        assert [p.name for p in tmp_path.iterdir()] == ["fits.npz"]  # no temporary left
    finally:
        os.umask(umask)
