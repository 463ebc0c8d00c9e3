"""Holidays and recurring events that move from week to week between years.

The seasonal detector expects a week to behave like the same week 52 weeks
earlier (364 days: the weekdays line up). Thanksgiving, Easter or a promotion
run on the same name every year can fall one week later or earlier than that,
so their seasonal effect is moved with them: this year's holiday week is
compared with last year's holiday week, not with the week 52 weeks before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from wbr.registry.anomaly_settings import HolidayCalendar, KnownEvent

DAYS_PER_WEEK = 7
# How far back "last year's occurrence" of a recurring event may lie.
LAST_YEAR_MIN_DAYS, LAST_YEAR_MAX_DAYS = 300, 430


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % DAYS_PER_WEEK + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % DAYS_PER_WEEK)


def easter_sunday(year: int) -> date:
    """Western Easter (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


US_RETAIL_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "New Year's Day": lambda year: date(year, 1, 1),
    "Easter": easter_sunday,
    "Memorial Day": lambda year: _last_weekday(year, 5, 0),
    "Independence Day": lambda year: date(year, 7, 4),
    "Labor Day": lambda year: _nth_weekday(year, 9, 0, 1),
    "Thanksgiving": lambda year: _nth_weekday(year, 11, 3, 4),
    "Christmas": lambda year: date(year, 12, 25),
}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One year's dates of a recurring holiday or event, and the year before's."""

    name: str
    start: date
    end: date
    last_year_start: date


def occurrences(
    calendar: HolidayCalendar, events: Iterable[KnownEvent], first: date, last: date
) -> list[Occurrence]:
    """Holidays and same-named events in [first, last] that also happened a year earlier."""
    found: list[Occurrence] = []
    if calendar is HolidayCalendar.US:
        for name, when in US_RETAIL_HOLIDAYS.items():
            for year in range(first.year, last.year + 1):
                day = when(year)
                if first <= day <= last:
                    found.append(Occurrence(name, day, day, when(year - 1)))
    by_name: dict[str, list[KnownEvent]] = {}
    for event in events:
        by_name.setdefault(event.name, []).append(event)
    for name, group in by_name.items():
        for event in group:
            if not first <= event.start <= last:
                continue
            earlier = [
                other.start
                for other in group
                if LAST_YEAR_MIN_DAYS <= (event.start - other.start).days <= LAST_YEAR_MAX_DAYS
            ]
            if earlier:
                found.append(Occurrence(name, event.start, event.end, max(earlier)))
    return found


def aligned_source_weeks(
    week_index: Callable[[date], int], season: int, found: Iterable[Occurrence], size: int
) -> list[int]:
    """For each week i, the week whose seasonal value it should take (default i - season).

    `week_index` maps a date to the index of the week containing it. When this
    year's occurrence starts in week w and last year's in w', the weeks of the
    occurrence take their pattern from w' onwards; the weeks that pattern
    displaces take what the occurrence's weeks would have had.
    """
    source = [i - season for i in range(size)]
    for occurrence in found:
        start, end = week_index(occurrence.start), week_index(occurrence.end)
        shift = week_index(occurrence.last_year_start) + season - start
        if shift == 0 or start < 0:
            continue
        targets = [w for w in range(start, end + 1) if 0 <= w < size and 0 <= w + shift < size]
        sources = [w + shift for w in targets]
        moved = {t: source[s] for t, s in zip(targets, sources, strict=True)}
        vacated = [source[t] for t in targets if t not in sources]
        displaced = [s for s in sources if s not in targets]
        for position, value in zip(displaced, vacated, strict=False):
            source[position] = value
        for position, value in moved.items():
            source[position] = value
    return source
