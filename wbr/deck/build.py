"""Build the deck for one week from the stored metric values.

This is the work behind a page view: one indexed query for the few dozen
periods a deck shows, then plain arithmetic. No raw rows are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr import calendar as cal
from wbr.calendar import Grain, Period
from wbr.comparisons import compare
from wbr.compute.run import stored_week_endings
from wbr.deck.model import BoxTotals, Chart, Deck, Section, SeriesPoint
from wbr.errors import ConfigError
from wbr.registry.models import Metric, MonthlyView, Registry, Unit
from wbr.store.schema import metric_values

WEEKS_SHOWN = 6
MONTHS_SHOWN = 12
DEFAULT_DECIMALS = {Unit.PERCENT: 1, Unit.RATIO: 2, Unit.CURRENCY: 0, Unit.COUNT: 0}


@dataclass(frozen=True, slots=True)
class StoredValue:
    value: float | None
    complete: bool


_MISSING = StoredValue(None, False)
ValueKey = tuple[str, Grain, date, date]


@dataclass(frozen=True, slots=True)
class DeckPeriods:
    """The periods one week's deck shows, current year and prior year."""

    week_ending: date
    weeks: list[Period]
    months: list[Period]
    mtd: cal.ToDate
    qtd: cal.ToDate
    ytd: cal.ToDate

    @classmethod
    def for_week(cls, week_ending: date, registry: Registry) -> DeckPeriods:
        fy_end = registry.project.fiscal_year_end_month
        if registry.deck.monthly_view is MonthlyView.FISCAL_YEAR:
            months = cal.fiscal_year_months(week_ending, fy_end)
        else:
            months = cal.trailing_complete_months(week_ending, MONTHS_SHOWN)
        return cls(
            week_ending=week_ending,
            weeks=cal.trailing_weeks(week_ending, WEEKS_SHOWN),
            months=months,
            mtd=cal.month_to_date(week_ending),
            qtd=cal.quarter_to_date(week_ending, fy_end),
            ytd=cal.year_to_date(week_ending, fy_end),
        )

    def all_periods(self) -> set[Period]:
        periods = set(self.weeks) | {cal.prior_year_week(w) for w in self.weeks}
        periods |= set(self.months) | {cal.prior_year_month(m) for m in self.months}
        for to_date in (self.mtd, self.qtd, self.ytd):
            periods |= {to_date.current, to_date.prior_year}
        return periods


def _load_values(
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


class _Lookup:
    def __init__(self, values: dict[ValueKey, StoredValue], week_ending: date) -> None:
        self._values = values
        self._week_ending = week_ending

    def get(self, metric: str, period: Period) -> StoredValue:
        if period.end > self._week_ending:
            return _MISSING  # not over yet as of the deck's week
        return self._values.get((metric, period.grain, period.start, period.end), _MISSING)


def _point(metric: str, label: str, period: Period, prior: Period, lookup: _Lookup) -> SeriesPoint:
    cy, py = lookup.get(metric, period), lookup.get(metric, prior)
    return SeriesPoint(
        label=label,
        start=period.start,
        end=period.end,
        cy=cy.value,
        py=py.value,
        cy_complete=cy.complete,
        py_complete=py.complete,
        py_start=prior.start,
        py_end=prior.end,
    )


def _chart(metric: Metric, periods: DeckPeriods, lookup: _Lookup) -> Chart:
    name = metric.name
    weeks = tuple(
        _point(name, cal.week_label(w), w, cal.prior_year_week(w), lookup) for w in periods.weeks
    )
    months = tuple(
        _point(name, cal.month_label(m), m, cal.prior_year_month(m), lookup) for m in periods.months
    )
    how = metric.compared_as
    last, previous = weeks[-1], weeks[-2]

    def to_date(td: cal.ToDate) -> tuple[float | None, float | None]:
        return lookup.get(name, td.current).value, lookup.get(name, td.prior_year).value

    mtd, mtd_py = to_date(periods.mtd)
    qtd, qtd_py = to_date(periods.qtd)
    ytd, ytd_py = to_date(periods.ytd)
    box = BoxTotals(
        last_week=last.cy,
        wow=compare(last.cy, previous.cy, how),
        last_week_yoy=compare(last.cy, last.py, how),
        mtd=mtd,
        mtd_yoy=compare(mtd, mtd_py, how),
        qtd=qtd,
        qtd_yoy=compare(qtd, qtd_py, how),
        ytd=ytd,
        ytd_yoy=compare(ytd, ytd_py, how),
    )
    return Chart(
        metric=name,
        label=metric.label,
        description=metric.description,
        kind=metric.kind.value,
        owner=metric.owner,
        unit=metric.unit.value,
        decimals=metric.decimals
        if metric.decimals is not None
        else DEFAULT_DECIMALS.get(metric.unit, 1),
        direction=metric.direction.value,
        comparison=how.value,
        drives=metric.drives,
        weeks=weeks,
        months=months,
        box=box,
    )


def _resolve_week(engine: Engine, registry: Registry, week_ending: date | None) -> date:
    stored = stored_week_endings(engine)
    if not stored:
        raise ConfigError("the store has no computed values yet; run `wbr compute` first")
    if week_ending is None:
        return stored[-1]
    weekday = registry.project.week_ends_on
    if week_ending.weekday() != weekday.iso_index:
        earlier = cal.latest_week_ending(week_ending, weekday.iso_index)
        raise ConfigError(
            f"{week_ending.isoformat()} is a {week_ending.strftime('%A')}, but weeks end on "
            f"{weekday.value.capitalize()}; try {earlier}"
        )
    if not stored[0] <= week_ending <= stored[-1]:
        raise ConfigError(
            f"no data for the week ending {week_ending.isoformat()}; "
            f"weeks with data end between {stored[0]} and {stored[-1]}"
        )
    return week_ending


def build_deck(engine: Engine, registry: Registry, week_ending: date | None = None) -> Deck:
    week_ending = _resolve_week(engine, registry, week_ending)
    periods = DeckPeriods.for_week(week_ending, registry)
    names = [name for section in registry.deck.sections for name in section.metrics]
    values = _load_values(engine, names, periods.all_periods())
    lookup = _Lookup(values, week_ending)
    by_name = registry.metrics_by_name
    sections = tuple(
        Section(section.title, tuple(_chart(by_name[n], periods, lookup) for n in section.metrics))
        for section in registry.deck.sections
    )
    return Deck(
        title=registry.deck.title,
        project=registry.project.name,
        week_ending=week_ending,
        week_number=cal.week_number(week_ending),
        fiscal_year_end_month=registry.project.fiscal_year_end_month,
        monthly_view=registry.deck.monthly_view.value,
        currency_symbol=registry.project.currency_symbol,
        generated_at=_computed_at(engine),
        sections=sections,
    )


def _computed_at(engine: Engine) -> str:
    """When the stored values were computed (ISO 8601), so a reader knows their age."""
    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.max(metric_values.c.computed_at))).scalar()
    return value.isoformat() if value is not None else ""
