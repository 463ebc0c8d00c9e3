"""Weeks, months, quarters and fiscal years, and their prior-year counterparts.

Pure date arithmetic; see docs/calculations.md for the conventions, which
follow the public WBR reference implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

PY_WEEK_OFFSET_DAYS = 364  # 52 weeks: the prior-year week has the same weekdays
DAYS_PER_WEEK = 7
MONTHS_PER_QUARTER = 3
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


class Grain(StrEnum):
    WEEK = "week"
    MONTH = "month"
    MTD = "mtd"
    QTD = "qtd"
    YTD = "ytd"


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """An inclusive range of days [start, end] of one grain."""

    grain: Grain
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def latest_week_ending(on_or_before: date, week_end_weekday: int) -> date:
    """The last date on or before `on_or_before` that falls on `week_end_weekday` (Mon=0)."""
    back = (on_or_before.weekday() - week_end_weekday) % DAYS_PER_WEEK
    return on_or_before - timedelta(days=back)


def week(week_ending: date) -> Period:
    return Period(Grain.WEEK, week_ending - timedelta(days=DAYS_PER_WEEK - 1), week_ending)


def prior_year_week(period: Period) -> Period:
    shift = timedelta(days=PY_WEEK_OFFSET_DAYS)
    return Period(period.grain, period.start - shift, period.end - shift)


def trailing_weeks(week_ending: date, count: int = 6) -> list[Period]:
    """The `count` weeks ending on `week_ending`, oldest first."""
    return [week(week_ending - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


def week_number(week_ending: date) -> int:
    """Week of the calendar year; week 1 is the first week lying wholly in the year.

    A week that straddles New Year belongs to the year it starts in (it is that
    year's last week), so week numbers never repeat within a year.
    """
    start = week_ending - timedelta(days=DAYS_PER_WEEK - 1)
    jan_first = date(start.year, 1, 1)
    first_full_week_start = jan_first + timedelta(
        days=(start.weekday() - jan_first.weekday()) % DAYS_PER_WEEK
    )
    return (start - first_full_week_start).days // DAYS_PER_WEEK + 1


def same_date_last_year(day: date) -> date:
    """The same calendar date a year earlier; 29 February maps to 28 February."""
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month(year: int, month_number: int) -> Period:
    next_year, next_month = add_months(year, month_number, 1)
    return Period(
        Grain.MONTH, date(year, month_number, 1), date(next_year, next_month, 1) - timedelta(days=1)
    )


def prior_year_month(period: Period) -> Period:
    return month(period.start.year - 1, period.start.month)


def fiscal_year_start(day: date, fiscal_year_end_month: int) -> date:
    """First day of the fiscal year containing `day`."""
    start_month = fiscal_year_end_month % 12 + 1
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def fiscal_quarter_start(day: date, fiscal_year_end_month: int) -> date:
    year_start = fiscal_year_start(day, fiscal_year_end_month)
    months_in = (day.year - year_start.year) * 12 + day.month - year_start.month
    year, month_number = add_months(
        year_start.year, year_start.month, months_in - months_in % MONTHS_PER_QUARTER
    )
    return date(year, month_number, 1)


@dataclass(frozen=True, slots=True)
class ToDate:
    """A to-date period and the same calendar dates one year earlier."""

    current: Period
    prior_year: Period


def _to_date(grain: Grain, start: date, through: date) -> ToDate:
    return ToDate(
        Period(grain, start, through),
        Period(grain, same_date_last_year(start), same_date_last_year(through)),
    )


def month_to_date(through: date) -> ToDate:
    return _to_date(Grain.MTD, through.replace(day=1), through)


def quarter_to_date(through: date, fiscal_year_end_month: int) -> ToDate:
    return _to_date(Grain.QTD, fiscal_quarter_start(through, fiscal_year_end_month), through)


def year_to_date(through: date, fiscal_year_end_month: int) -> ToDate:
    return _to_date(Grain.YTD, fiscal_year_start(through, fiscal_year_end_month), through)


def trailing_complete_months(week_ending: date, count: int = 12) -> list[Period]:
    """The `count` calendar months that ended on or before `week_ending`, oldest first."""
    last = month(week_ending.year, week_ending.month)
    year, month_number = week_ending.year, week_ending.month
    if last.end > week_ending:
        year, month_number = add_months(year, month_number, -1)
    return [month(*add_months(year, month_number, -back)) for back in range(count - 1, -1, -1)]


def fiscal_year_months(week_ending: date, fiscal_year_end_month: int) -> list[Period]:
    """The twelve months of the fiscal year containing `week_ending`, first month first."""
    start = fiscal_year_start(week_ending, fiscal_year_end_month)
    return [month(*add_months(start.year, start.month, offset)) for offset in range(12)]


def month_label(period: Period) -> str:
    return MONTH_ABBREVIATIONS[period.start.month - 1]


def week_label(period: Period) -> str:
    return f"wk {week_number(period.end)}"
