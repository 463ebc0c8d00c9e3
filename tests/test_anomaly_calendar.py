"""Holiday alignment, the explanation's numbers, and no look-ahead (a property test)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wbr.anomalies import score_series
from wbr.anomalies.explain import format_change, format_value
from wbr.anomalies.holidays import (
    US_RETAIL_HOLIDAYS,
    aligned_source_weeks,
    easter_sunday,
    occurrences,
)
from wbr.registry.anomaly_settings import AnomalySettings, HolidayCalendar, KnownEvent


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2023, date(2023, 4, 9)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20))],
)
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_us_retail_holidays_of_2024() -> None:
    days = {name: when(2024) for name, when in US_RETAIL_HOLIDAYS.items()}
    assert days["Thanksgiving"] == date(2024, 11, 28)
    assert days["Memorial Day"] == date(2024, 5, 27)
    assert days["Labor Day"] == date(2024, 9, 2)


def test_a_holiday_that_moves_a_week_takes_last_years_holiday_pattern() -> None:
    origin = date(2022, 1, 8)  # week 0 ends on this Saturday

    def index_of(day: date) -> int:
        return -(-(day - origin).days // 7)

    found = occurrences(HolidayCalendar.US, (), date(2024, 11, 1), date(2024, 12, 7))
    thanksgiving = [o for o in found if o.name == "Thanksgiving"]
    assert [(o.start, o.last_year_start) for o in thanksgiving] == [
        (date(2024, 11, 28), date(2023, 11, 23))
    ]
    source = aligned_source_weeks(index_of, 52, thanksgiving, 156)
    this_year, last_year = index_of(date(2024, 11, 28)), index_of(date(2023, 11, 23))
    assert this_year - 52 == last_year + 1  # 364 days back misses Thanksgiving by a week
    assert source[this_year] == last_year  # ... so it takes the Thanksgiving week's pattern
    assert source[this_year - 1] == this_year - 52  # and the displaced week takes the other
    assert source[this_year + 1] == this_year + 1 - 52  # the rest stay 52 weeks back


def test_recurring_events_align_by_name() -> None:
    events = (
        KnownEvent(name="Deal Days", start=date(2023, 7, 11), end=date(2023, 7, 12)),
        KnownEvent(name="Deal Days", start=date(2024, 7, 9), end=date(2024, 7, 10)),
        KnownEvent(name="Outage", start=date(2024, 3, 1), end=date(2024, 3, 2)),
    )
    found = occurrences(HolidayCalendar.NONE, events, date(2024, 1, 1), date(2024, 12, 31))
    assert [(o.name, o.last_year_start) for o in found] == [("Deal Days", date(2023, 7, 11))]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (41_234.0, "count", "41.2K"),
        (1_234_567.0, "currency", "$1.23M"),
        (0.9534, "percent", "95.3%"),
        (412.4, "milliseconds", "412 ms"),
        (2.414, "days", "2.41 d"),
        (-3_500.0, "count", "−3.50K"),
    ],
)
def test_values_read_like_the_deck(value: float, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_changes_are_percent_or_basis_points() -> None:
    assert format_change(35_000, 41_200, "count") == "−15.0%"
    assert format_change(0.886, 0.954, "percent") == "−680 bps"
    assert format_change(5, 0, "count") == "N/A"


FIRST = date(2021, 1, 2)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    weeks=st.integers(60, 150),
    cut=st.integers(20, 59),
    method=st.sampled_from(["auto", "robust", "seasonal"]),
)
def test_a_refresh_never_changes_a_week_already_scored(
    seed: int, weeks: int, cut: int, method: str
) -> None:
    """Scores use only earlier weeks: scoring a prefix gives the same answers for it."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    values = 500 * np.exp(0.2 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 0.05, weeks))
    values[rng.integers(0, weeks, 3)] *= 0.6
    series = pd.Series(values, index=[FIRST + timedelta(weeks=int(i)) for i in t])
    chosen = AnomalySettings(method=method)
    full = score_series(series, chosen)
    prefix = score_series(series.iloc[: weeks - cut], chosen)
    pd.testing.assert_frame_equal(full.iloc[: weeks - cut], prefix)
