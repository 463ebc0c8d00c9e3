"""Which periods are computed and stored: every period some week's deck can show."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from wbr import calendar as cal
from wbr.calendar import Grain, Period
from wbr.registry.models import Registry


def needed_periods(first_day: date, last_day: date, registry: Registry) -> list[Period]:
    """Every period a deck for any complete week in [first_day, last_day] can show."""
    project = registry.project
    fy_end = project.fiscal_year_end_month
    latest = cal.latest_week_ending(last_day, project.week_ends_on.iso_index)
    periods: set[Period] = set()
    week_ending = latest
    while week_ending >= first_day:
        this_week = cal.week(week_ending)
        periods.update((this_week, cal.prior_year_week(this_week)))
        for to_date in (
            cal.month_to_date(week_ending),
            cal.quarter_to_date(week_ending, fy_end),
            cal.year_to_date(week_ending, fy_end),
        ):
            periods.update((to_date.current, to_date.prior_year))
        week_ending -= timedelta(days=cal.DAYS_PER_WEEK)
    year, month_number = first_day.year, first_day.month
    while date(year, month_number, 1) <= last_day:
        periods.add(cal.month(year, month_number))
        year, month_number = cal.add_months(year, month_number, 1)
    return sorted(period for period in periods if period.end >= first_day)


def precomputed_percentiles(periods: list[Period], latest: date, fy_end: int) -> np.ndarray:
    """Which periods a median or percentile is computed for ahead of time.

    Every week and month (the charts), and the to-date periods of the latest
    week with their prior-year ranges (its box). A percentile over a year of rows
    costs a sort of that year for every week otherwise, so older weeks' to-date
    values are computed when a deck asks for them (`wbr.deck.values`).
    """
    latest_to_date: set[Period] = set()
    for td in (
        cal.month_to_date(latest),
        cal.quarter_to_date(latest, fy_end),
        cal.year_to_date(latest, fy_end),
    ):
        latest_to_date.update((td.current, td.prior_year))
    return np.array(
        [p.grain in (Grain.WEEK, Grain.MONTH) or p in latest_to_date for p in periods],
        dtype=bool,
    )
