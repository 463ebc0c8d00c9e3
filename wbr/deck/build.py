"""Build the deck for one week from the stored metric values.

This is the work behind a page view: one indexed query for the few dozen
periods a deck shows, then plain arithmetic. No raw rows are read (except the
rare on-demand percentile, see `wbr.deck.values`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from wbr import calendar as cal
from wbr.calendar import Period
from wbr.comparisons import compare, variance_to_plan
from wbr.compute.stored import stored_week_endings, values_computed_at
from wbr.deck.anomalies import anomaly_notes
from wbr.deck.model import AnomalyNote, BoxTotals, Chart, Deck, PlanBox, Section, SeriesPoint
from wbr.deck.notes import DeckNotes
from wbr.deck.tables import six_week_table, twelve_month_table
from wbr.deck.values import DeckPeriods, Lookup, ShownPeriod, fill_on_demand, load_values
from wbr.errors import ConfigError
from wbr.registry.models import Metric, MonthlyView, Registry, Unit
from wbr.schedule.freshness import deck_freshness

if TYPE_CHECKING:
    from wbr.deck.on_demand import KeptValues

DEFAULT_DECIMALS = {Unit.PERCENT: 1, Unit.RATIO: 2, Unit.CURRENCY: 0, Unit.COUNT: 0}
MONTHLY_TABLE_TITLES = {
    MonthlyView.TRAILING_TWELVE_MONTHS: "Trailing 12 months",
    MonthlyView.FISCAL_YEAR: "Fiscal year",
}


class _Plan:
    """Where a metric's targets come from: another metric, or values in the YAML."""

    def __init__(self, metric: Metric, lookup: Lookup) -> None:
        self._target = metric.target
        self._lookup = lookup

    @property
    def exists(self) -> bool:
        return self._target is not None

    def get(self, period: Period) -> float | None:
        target = self._target
        if target is None:
            return None
        if target.metric is not None:
            return self._lookup.get(target.metric, period).value
        if period.grain is cal.Grain.WEEK:
            return target.weeks.get(period.end)
        if period.grain is cal.Grain.MONTH:
            return target.months.get(f"{period.start:%Y-%m}")
        return None  # typed-in targets cover weeks and months only


def _point(metric: str, shown: ShownPeriod, lookup: Lookup, plan: _Plan) -> SeriesPoint:
    period, prior = shown.current, shown.prior_year
    cy, py = lookup.get(metric, period), lookup.get(metric, prior)
    return SeriesPoint(
        label=shown.label,
        start=period.start,
        end=period.end,
        cy=cy.value,
        py=py.value,
        cy_complete=cy.complete,
        py_complete=py.complete,
        py_start=prior.start,
        py_end=prior.end,
        target=plan.get(period),
    )


def _chart(
    metric: Metric,
    periods: DeckPeriods,
    lookup: Lookup,
    view: MonthlyView,
    anomalies: tuple[AnomalyNote, ...],
) -> Chart:
    name = metric.name
    plan = _Plan(metric, lookup)
    weeks = tuple(_point(name, shown, lookup, plan) for shown in periods.shown_weeks)
    months = tuple(_point(name, shown, lookup, plan) for shown in periods.shown_months)
    how = metric.compared_as
    last, previous = weeks[-1], weeks[-2]
    mtd, qtd, ytd = (lookup.get(name, td.current).value for td in periods.to_dates)
    mtd_py, qtd_py, ytd_py = (lookup.get(name, td.prior_year).value for td in periods.to_dates)
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
    mtd_plan, qtd_plan, ytd_plan = (plan.get(td.current) for td in periods.to_dates)
    plan_box = (
        PlanBox(
            last_week=variance_to_plan(last.cy, last.target),
            mtd=variance_to_plan(mtd, mtd_plan),
            qtd=variance_to_plan(qtd, qtd_plan),
            ytd=variance_to_plan(ytd, ytd_plan),
        )
        if plan.exists
        else None
    )
    tables = (
        six_week_table(
            weeks,
            lookup.get(name, periods.week_before).value,
            [("QTD", qtd, qtd_py, qtd_plan), ("YTD", ytd, ytd_py, ytd_plan)],
            how,
        ),
        twelve_month_table(
            MONTHLY_TABLE_TITLES[view], months, lookup.get(name, periods.month_before).value, how
        ),
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
        plan=plan_box,
        tables=tables,
        anomalies=anomalies,
    )


def _with_people(chart: Chart, registry: Registry, notes: DeckNotes) -> Chart:
    """The chart with its owner's name and the owners' notes on its weeks."""
    flags = notes.on_flags(chart.metric, chart.anomalies)
    return replace(
        chart,
        owner=registry.owner_display(chart.owner),
        owner_key=chart.owner,
        anomalies=flags,
        notes=notes.on_metric_weeks(chart.metric, flags),
    )


def resolve_week(engine: Engine, registry: Registry, week_ending: date | None) -> date:
    """The deck's week: the one asked for, checked, or the latest with data."""
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


def build_deck(
    engine: Engine,
    registry: Registry,
    week_ending: date | None = None,
    raw_engine: Engine | Callable[[], Engine] | None = None,
    problems: list[str] | None = None,
    kept: KeptValues | None = None,
    with_freshness: bool = True,
) -> Deck:
    """The deck for `week_ending` (default: the latest complete week) from stored values.

    `raw_engine` is the raw tables' store when it is not `engine`: only medians
    and percentiles of an older week's to-date periods are read from raw rows. It may
    be a function that makes the engine, called only when such a value is needed.
    What the deck had to leave out (N/A instead of a value) is added to `problems`.
    `kept`: such values a server computed for earlier decks (`wbr.deck.on_demand`).
    `with_freshness=False` leaves out the freshness line (three queries): a server
    keeps decks and reads that line apart, since it changes with every refresh run.
    """
    week_ending = resolve_week(engine, registry, week_ending)
    fy_end = registry.project.fiscal_year_end_month
    views = _views(registry)
    periods_by_view = {view: DeckPeriods.for_week(week_ending, fy_end, view) for view in set(views)}
    shown = [name for section in registry.deck.sections for name in section.metrics]
    by_name = registry.metrics_by_name
    targets = [by_name[name].target for name in shown]
    plans = {target.metric for target in targets if target is not None and target.metric}
    needed = sorted(set(shown) | plans)
    all_periods = set().union(*(p.all_periods() for p in periods_by_view.values()))
    values = load_values(engine, needed, all_periods)
    fill_on_demand(raw_engine or engine, registry, values, all_periods, needed, problems, kept)
    lookup = Lookup(values, week_ending)
    weeks_shown = [week.end for week in next(iter(periods_by_view.values())).weeks]
    flags = anomaly_notes(engine, weeks_shown)
    deck_notes = DeckNotes(engine, weeks_shown)
    sections = tuple(
        Section(
            section.title,
            tuple(
                _with_people(
                    _chart(by_name[n], periods_by_view[view], lookup, view, flags.get(n, ())),
                    registry,
                    deck_notes,
                )
                for n in section.metrics
            ),
        )
        for section, view in zip(registry.deck.sections, views, strict=True)
    )
    return Deck(
        title=registry.deck.title,
        project=registry.project.name,
        week_ending=week_ending,
        week_number=cal.week_number(week_ending),
        fiscal_year_end_month=fy_end,
        monthly_view=registry.deck.monthly_view.value,
        currency_symbol=registry.project.currency_symbol,
        generated_at=_computed_at(engine),
        sections=sections,
        freshness=deck_freshness(engine, registry, datetime.now(UTC)) if with_freshness else None,
    )


def _views(registry: Registry) -> list[MonthlyView]:
    """Each section's monthly view, in the deck's order."""
    return [
        section.monthly_view or registry.deck.monthly_view for section in registry.deck.sections
    ]


def deck_periods(registry: Registry, week_ending: date) -> set[Period]:
    """Every period whose value the deck of `week_ending` can show.

    A period that ends after the week (the month or quarter it falls in) is asked
    for but never shown: `Lookup` treats it as not over yet.
    """
    fy_end = registry.project.fiscal_year_end_month
    by_view = [DeckPeriods.for_week(week_ending, fy_end, view) for view in set(_views(registry))]
    every: set[Period] = set().union(*(periods.all_periods() for periods in by_view))
    return {period for period in every if period.end <= week_ending}


def _computed_at(engine: Engine) -> str:
    """When the stored values were computed (ISO 8601), so a reader knows their age."""
    value = values_computed_at(engine)
    return value.isoformat() if value is not None else ""
