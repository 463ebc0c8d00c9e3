"""The periods one week's deck shows, and their stored values.

One indexed query reads every value the deck needs. A median or percentile
is stored ahead of time for every week and month and for the latest week's
to-date periods; for an older week's to-date periods it is computed here, from
raw rows, when a deck asks for it (see `wbr.compute.run._precomputed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr import calendar as cal
from wbr.calendar import Grain, Period
from wbr.compute.values import compute_on_demand
from wbr.registry.aggregations import MedianAggregation, PercentileAggregation
from wbr.registry.models import MonthlyView, Registry
from wbr.store.schema import metric_values

WEEKS_SHOWN = 6
MONTHS_SHOWN = 12


@dataclass(frozen=True, slots=True)
class StoredValue:
    value: float | None
    complete: bool


MISSING = StoredValue(None, False)
ValueKey = tuple[str, Grain, date, date]


@dataclass(frozen=True, slots=True)
class DeckPeriods:
    """The periods one chart shows for one week, current year and prior year."""

    week_ending: date
    weeks: list[Period]
    months: list[Period]
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
        periods = {*self.weeks, self.week_before} | {cal.prior_year_week(w) for w in self.weeks}
        periods |= {*self.months, self.month_before}
        periods |= {cal.prior_year_month(m) for m in self.months}
        for to_date in self.to_dates:
            periods |= {to_date.current, to_date.prior_year}
        return periods


def load_values(
    engine: Engine, metrics: list[str], periods: set[Period]
) -> dict[ValueKey, StoredValue]:
    ends = sorted({period.end for period in periods})
    table = metric_values.c
    query = sa.select(
        table.metric, table.grain, table.period_start, table.period_end, table.value, table.complete
    ).where(table.metric.in_(metrics), table.period_end.in_(ends))
    wanted = {(period.grain, period.start, period.end) for period in periods}
    found: dict[ValueKey, StoredValue] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            grain = Grain(row.grain)
            if (grain, row.period_start, row.period_end) in wanted:
                key = (row.metric, grain, row.period_start, row.period_end)
                found[key] = StoredValue(row.value, bool(row.complete))
    return found


def fill_on_demand(
    engine: Engine,
    registry: Registry,
    values: dict[ValueKey, StoredValue],
    periods: set[Period],
    metrics: list[str],
) -> None:
    """Compute the to-date medians and percentiles that were not stored ahead of time."""
    by_name = registry.metrics_by_name
    to_dates = [p for p in periods if p.grain in (Grain.MTD, Grain.QTD, Grain.YTD)]
    for name in metrics:
        metric = by_name[name]
        if not isinstance(metric.aggregation, MedianAggregation | PercentileAggregation):
            continue
        missing = [p for p in to_dates if (name, p.grain, p.start, p.end) not in values]
        if not missing:
            continue
        for period, (value, complete) in compute_on_demand(
            engine, registry, metric, missing
        ).items():
            values[(name, period.grain, period.start, period.end)] = StoredValue(value, complete)


class Lookup:
    """Stored values as of the deck's week: later periods are not over yet."""

    def __init__(self, values: dict[ValueKey, StoredValue], week_ending: date) -> None:
        self._values = values
        self._week_ending = week_ending

    def get(self, metric: str, period: Period) -> StoredValue:
        if period.end > self._week_ending:
            return MISSING
        return self._values.get((metric, period.grain, period.start, period.end), MISSING)
