"""Calendar conventions, checked against dates worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wbr import calendar as cal
from wbr.calendar import Grain, Period

SATURDAY = 5


def test_latest_week_ending_on_saturday() -> None:
    assert cal.latest_week_ending(date(2021, 9, 25), SATURDAY) == date(2021, 9, 25)
    assert cal.latest_week_ending(date(2021, 9, 24), SATURDAY) == date(2021, 9, 18)
    assert cal.latest_week_ending(date(2021, 9, 26), SATURDAY) == date(2021, 9, 25)


def test_week_is_seven_days_ending_on_the_date() -> None:
    assert cal.week(date(2021, 9, 25)) == Period(Grain.WEEK, date(2021, 9, 19), date(2021, 9, 25))


def test_prior_year_week_is_364_days_back_on_the_same_weekdays() -> None:
    prior = cal.prior_year_week(cal.week(date(2021, 9, 25)))
    assert prior == Period(Grain.WEEK, date(2020, 9, 20), date(2020, 9, 26))
    assert prior.end.weekday() == SATURDAY


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)))
def test_weekdays_align_between_a_week_and_its_prior_year_week(day: date) -> None:
    this_week = cal.week(cal.latest_week_ending(day, SATURDAY))
    prior = cal.prior_year_week(this_week)
    assert prior.start.weekday() == this_week.start.weekday()
    assert prior.days == this_week.days == 7


def test_trailing_weeks_oldest_first() -> None:
    weeks = cal.trailing_weeks(date(2021, 9, 25))
    assert [w.end for w in weeks] == [
        date(2021, 8, 21),
        date(2021, 8, 28),
        date(2021, 9, 4),
        date(2021, 9, 11),
        date(2021, 9, 18),
        date(2021, 9, 25),
    ]
    assert [cal.week_label(w) for w in weeks] == [f"wk {n}" for n in range(33, 39)]


@pytest.mark.parametrize(
    ("week_ending", "number"),
    [(date(2021, 9, 25), 38), (date(2021, 1, 9), 1), (date(2021, 1, 2), 52)],
)
def test_week_numbers_match_the_reference_decks(week_ending: date, number: int) -> None:
    assert cal.week_number(week_ending) == number


def test_same_date_last_year_maps_leap_day_to_28_february() -> None:
    assert cal.same_date_last_year(date(2024, 2, 29)) == date(2023, 2, 28)
    assert cal.same_date_last_year(date(2021, 9, 25)) == date(2020, 9, 25)


def test_to_date_periods_with_a_calendar_fiscal_year() -> None:
    through = date(2021, 9, 25)
    assert cal.month_to_date(through).current == Period(Grain.MTD, date(2021, 9, 1), through)
    assert cal.month_to_date(through).prior_year == Period(
        Grain.MTD, date(2020, 9, 1), date(2020, 9, 25)
    )
    assert cal.quarter_to_date(through, 12).current.start == date(2021, 7, 1)
    assert cal.year_to_date(through, 12).current.start == date(2021, 1, 1)
    assert cal.year_to_date(through, 12).prior_year == Period(
        Grain.YTD, date(2020, 1, 1), date(2020, 9, 25)
    )


def test_fiscal_year_ending_in_may() -> None:
    through = date(2021, 9, 25)
    assert cal.fiscal_year_start(through, 5) == date(2021, 6, 1)
    assert cal.fiscal_quarter_start(through, 5) == date(2021, 9, 1)
    assert cal.fiscal_year_start(date(2021, 5, 31), 5) == date(2020, 6, 1)
    assert cal.fiscal_quarter_start(date(2022, 2, 10), 5) == date(2021, 12, 1)
    assert [cal.month_label(m) for m in cal.fiscal_year_months(through, 5)][:3] == [
        "Jun",
        "Jul",
        "Aug",
    ]


def test_trailing_twelve_complete_months() -> None:
    months = cal.trailing_complete_months(date(2021, 9, 25))
    assert months[0] == Period(Grain.MONTH, date(2020, 9, 1), date(2020, 9, 30))
    assert months[-1] == Period(Grain.MONTH, date(2021, 8, 1), date(2021, 8, 31))
    # A week ending on a month's last day completes that month.
    assert cal.trailing_complete_months(date(2022, 4, 30))[-1].end == date(2022, 4, 30)


def test_february_of_a_leap_year_has_29_days() -> None:
    assert cal.month(2024, 2).days == 29
    assert cal.prior_year_month(cal.month(2024, 2)).days == 28
