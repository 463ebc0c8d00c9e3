"""The default detector on real series kept in the repository (benchmarks/anomaly/data).

Peyton Manning's weekly Wikipedia views (Prophet's example data, MIT) and
CDNOW's weekly revenue (the `lifetimes` data, MIT): a Super Bowl week is
flagged and a quiet off-season is not; the end of CDNOW's acquisition quarter
is one level shift, and a spike put into a clean week is found.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from wbr.anomalies import DetectorName, detect_series

DATA = Path(__file__).parent.parent / "benchmarks" / "anomaly" / "data"
DAYS_PER_WEEK = 7


def complete_weeks(daily: pd.Series) -> pd.Series:
    """Sums per week ending Saturday; NaN for a week that misses a day (never summed)."""
    weeks = daily.resample("W-SAT")
    sums = weeks.sum().astype(float).where(weeks.count() == DAYS_PER_WEEK)
    return sums.loc[sums.first_valid_index() : sums.last_valid_index()]


def peyton_manning_views() -> pd.Series:
    raw = pd.read_csv(
        DATA / "peyton_manning" / "example_wp_log_peyton_manning.csv", parse_dates=["ds"]
    )
    return complete_weeks(np.exp(raw.set_index("ds")["y"]).asfreq("D"))


def cdnow_revenue() -> pd.Series:
    raw = pd.read_csv(
        DATA / "cdnow" / "CDNOW_master.txt.gz",
        sep=r"\s+",
        names=["customer", "date", "cds", "dollars"],
        header=0,
        dtype={"date": str},
    )
    daily = raw.groupby(pd.to_datetime(raw["date"], format="%Y%m%d"))["dollars"].sum()
    return complete_weeks(daily.asfreq("D", fill_value=0.0))


def test_a_super_bowl_week_is_flagged_and_a_quiet_off_season_is_not() -> None:
    views = peyton_manning_views()
    flags = {flag.week_ending: flag for flag in detect_series(views)}
    super_bowl = flags[date(2014, 2, 8)]  # Super Bowl XLVIII, 2014-02-02, and the day after
    assert super_bowl.detector in (DetectorName.ROBUST, DetectorName.SEASONAL)
    assert not super_bowl.is_bad and super_bowl.actual > 5 * super_bowl.expected
    assert super_bowl.lower < super_bowl.expected < super_bowl.upper < super_bowl.actual
    off_season = [week for week in flags if date(2015, 2, 15) <= week <= date(2015, 8, 31)]
    assert off_season == []
    # Weeks that miss a day are left out, never scored from the days they have.
    incomplete = views.index[views.isna()]
    assert len(incomplete) > 0
    assert not {stamp.date() for stamp in incomplete} & set(flags)


def test_cdnows_acquisition_quarter_ends_in_one_level_shift_and_a_spike_is_found() -> None:
    revenue = cdnow_revenue()
    flags = detect_series(revenue)
    shifts = [flag for flag in flags if flag.detector is DetectorName.LEVEL_SHIFT]
    assert [flag.week_ending for flag in shifts] == [date(1997, 3, 29)]
    assert shifts[0].is_bad
    assert shifts[0].explanation.startswith("new level since 1997-03-29: 64 % below the previous")
    # None of the weeks after it repeats the shift as an outlier.
    assert not [f for f in flags if date(1997, 3, 29) < f.week_ending <= date(1997, 4, 26)]

    clean_week = pd.Timestamp("1998-02-14")
    assert clean_week.date() not in {flag.week_ending for flag in flags}
    spiked = revenue.copy()
    spiked[clean_week] *= 2.5
    found = {flag.week_ending: flag for flag in detect_series(spiked)}
    assert clean_week.date() in found and not found[clean_week.date()].is_bad
    before = {f.week_ending for f in flags if f.week_ending < clean_week.date()}
    assert {week for week in found if week < clean_week.date()} == before
