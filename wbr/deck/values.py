"""The periods one week's deck shows, and their stored values.

One indexed query reads every value the deck needs, and only those: it walks the
`(grain, period_end)` index, one range per grain. A median or percentile
is stored ahead of time for every week and month and for the latest week's
to-date periods; for an older week's to-date periods it is computed here, from
raw rows, when a deck asks for it (see `wbr.compute.run._precomputed`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from wbr import calendar as cal
from wbr.calendar import Grain, Period
from wbr.registry.aggregations import MedianAggregation, PercentileAggregation
from wbr.registry.models import MonthlyView, Registry
from wbr.store.schema import metric_values

if TYPE_CHECKING:
    from wbr.deck.on_demand import KeptValues

WEEKS_SHOWN = 6
MONTHS_SHOWN = 12

log = logging.getLogger(__name__)


class StoredValue(NamedTuple):
    """One stored value as a deck reads it.

    A named tuple rather than a frozen dataclass: a deck reads one per metric and
    period (12,900 at 300 metrics), and a tuple is made in a third of the time.
    """

    value: float | None
    complete: bool


MISSING = StoredValue(None, False)
ValueKey = tuple[str, Grain, date, date]
# The stored grain text → its enum, looked up per row: `Grain(text)` costs 0.3 µs a
# call, 4 ms of a 300-metric deck's 13,000 rows; a dict lookup a twentieth of that.
GRAINS_BY_VALUE = {grain.value: grain for grain in Grain}


@dataclass(frozen=True, slots=True)
class ShownPeriod:
    """One x-axis position of a chart: its label, its period and the prior-year period.

    Worked out once per deck, not once per chart: the calendar arithmetic is the
    same for every metric.
    """

    label: str
    current: Period
    prior_year: Period


@dataclass(frozen=True, slots=True)
class DeckPeriods:
    """The periods one chart shows for one week, current year and prior year."""

    week_ending: date
    weeks: list[Period]
    months: list[Period]
    shown_weeks: tuple[ShownPeriod, ...]  # the weeks with their labels and prior years
    shown_months: tuple[ShownPeriod, ...]
    week_before: Period  # the base of the first week's WoW
    month_before: Period  # the base of the first month's MoM
    mtd: cal.ToDate
    qtd: cal.ToDate
    ytd: cal.ToDate

    @classmethod
    def for_week(cls, week_ending: date, fy_end: int, monthly_view: MonthlyView) -> DeckPeriods:
        if monthly_view is MonthlyView.FISCAL_YEAR:
            months = cal.fiscal_year_months(week_ending, fy_end)
        else:
            months = cal.trailing_complete_months(week_ending, MONTHS_SHOWN)
        weeks = cal.trailing_weeks(week_ending, WEEKS_SHOWN)
        first = months[0].start
        return cls(
            week_ending=week_ending,
            weeks=weeks,
            months=months,
            shown_weeks=tuple(
                ShownPeriod(cal.week_label(w), w, cal.prior_year_week(w)) for w in weeks
            ),
            shown_months=tuple(
                ShownPeriod(cal.month_label(m), m, cal.prior_year_month(m)) for m in months
            ),
            week_before=cal.week(weeks[0].end - timedelta(days=cal.DAYS_PER_WEEK)),
            month_before=cal.month(*cal.add_months(first.year, first.month, -1)),
            mtd=cal.month_to_date(week_ending),
            qtd=cal.quarter_to_date(week_ending, fy_end),
            ytd=cal.year_to_date(week_ending, fy_end),
        )

    @property
    def to_dates(self) -> tuple[cal.ToDate, cal.ToDate, cal.ToDate]:
        return (self.mtd, self.qtd, self.ytd)

    def all_periods(self) -> set[Period]:
        periods = {self.week_before, self.month_before}
        for shown in (*self.shown_weeks, *self.shown_months):
            periods |= {shown.current, shown.prior_year}
        for to_date in self.to_dates:
            periods |= {to_date.current, to_date.prior_year}
        return periods


def _periods_clause(periods: set[Period]) -> sa.ColumnElement[bool]:
    """`grain = g AND period_end IN (…)` for each grain, OR-ed together.

    Each branch is a few ranges of the `(grain, period_end)` index, so the database
    reads only the rows of these periods. Filtering on `period_end` alone made it
    read every grain's row ending on those dates (twice as many, at 300 metrics),
    through the primary key, metric by metric.
    """
    table = metric_values.c
    ends_by_grain: dict[Grain, set[date]] = {}
    for period in periods:
        ends_by_grain.setdefault(period.grain, set()).add(period.end)
    return sa.or_(
        *(
            sa.and_(table.grain == grain.value, table.period_end.in_(sorted(ends)))
            for grain, ends in sorted(ends_by_grain.items())
        )
    )


def load_values(
    engine: Engine, metrics: list[str], periods: set[Period]
) -> dict[ValueKey, StoredValue]:
    if not metrics or not periods:
        return {}
    table = metric_values.c
    query = sa.select(
        table.metric, table.grain, table.period_start, table.period_end, table.value, table.complete
    ).where(table.metric.in_(metrics), _periods_clause(periods))
    # The start is checked here: a grain and an end date do not always fix the start.
    wanted = {(period.grain, period.start, period.end) for period in periods}
    grains = GRAINS_BY_VALUE
    found: dict[ValueKey, StoredValue] = {}
    with engine.connect() as conn:
        for metric, grain_text, start, end, value, complete in conn.execute(query):
            grain = grains[grain_text]
            if (grain, start, end) in wanted:
                found[(metric, grain, start, end)] = StoredValue(value, bool(complete))
    return found


def fill_on_demand(
    raw_engine: Engine | Callable[[], Engine],
    registry: Registry,
    values: dict[ValueKey, StoredValue],
    periods: set[Period],
    metrics: list[str],
    problems: list[str] | None = None,
    kept: KeptValues | None = None,
) -> None:
    """Compute the to-date medians and percentiles that were not stored ahead of time.

    When the raw tables cannot be read (a load holds DuckDB's file for writing),
    those values stay missing and the deck shows N/A for them, instead of failing;
    the reason is added to `problems` (a served deck keeps such a deck only briefly).
    `raw_engine` may be a function that makes it: it is called only when a value is
    missing, so a deck of stored values imports neither DuckDB nor compute (numpy).
    `kept`: values a server computed for earlier decks (`wbr.deck.on_demand`), read
    first and added to.
    """
    by_name = registry.metrics_by_name
    to_dates = sorted(p for p in periods if p.grain in (Grain.MTD, Grain.QTD, Grain.YTD))
    holistic = [
        name
        for name in metrics
        if isinstance(by_name[name].aggregation, MedianAggregation | PercentileAggregation)
    ]
    if kept is not None:
        keys = [(name, p.grain, p.start, p.end) for name in holistic for p in to_dates]
        values.update(kept.known(k for k in keys if k not in values))
    wanted = [
        by_name[name]
        for name in holistic
        if any((name, p.grain, p.start, p.end) not in values for p in to_dates)
    ]
    if not wanted:
        return
    from wbr.compute.values import compute_on_demand

    raw = raw_engine if isinstance(raw_engine, Engine) else raw_engine()
    try:
        found = compute_on_demand(raw, registry, wanted, to_dates)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        log.warning("to-date percentiles left out: the raw tables cannot be read (%s)", reason)
        if problems is not None:
            problems.append(f"the raw tables cannot be read ({reason})")
        return
    computed: dict[ValueKey, StoredValue] = {}
    for name, by_period in found.items():
        for period, (value, complete) in by_period.items():
            key = (name, period.grain, period.start, period.end)
            if key not in values:
                values[key] = computed[key] = StoredValue(value, complete)
    if kept is not None:
        kept.keep(computed)


class Lookup:
    """Stored values as of the deck's week: later periods are not over yet."""

    def __init__(self, values: dict[ValueKey, StoredValue], week_ending: date) -> None:
        self._values = values
        self._week_ending = week_ending

    def get(self, metric: str, period: Period) -> StoredValue:
        if period.end > self._week_ending:
            return MISSING
        return self._values.get((metric, period.grain, period.start, period.end), MISSING)
