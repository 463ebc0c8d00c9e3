"""The deck as Dash components: header, then sections of metric cards.

The header says how many metrics have an exception this week and links to
them. Each card shows the metric's label, kind badge, owner, description, its
6-12 chart, its flagged weeks (`dashboards.flags`), the box of nine numbers
(with a "vs Plan" row when the metric has a plan) and, collapsed, its 6-week
and 12-month tables. Every box value cell carries the model's number in
`data-raw` (Python's repr of the float, or "null") beside the text the reader
sees, so tests can compare the page with the model exactly.

A deck may have hundreds of cards of about 170 elements each, so the cards are
built as plain elements (`dashboards.elements`) and figures as plain dicts
(`wbr.deck.figures`); the header and the sections are Dash components.
benchmarks/page/ times it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

from dash import dcc, html
from dash.development.base_component import Component

from dashboards import ids
from dashboards.address import ALL_SECTIONS, VIEW_EXCEPTIONS, section_slug
from dashboards.address import VIEW_ALL as VIEW_ALL
from dashboards.cells import TONE_NA, data_attributes, raw_attribute, sign_tone
from dashboards.elements import Child, Element, as_children, element
from dashboards.flags import exceptions_summary, flag_strip
from dashboards.metric_view import metric_href
from dashboards.notes_view import MayWrite, never, week_notes
from dashboards.tables import metric_tables
from wbr.deck.figures import six_twelve_figure
from wbr.deck.format import BOX_COLUMNS as BOX_COLUMNS
from wbr.deck.format import (
    BOX_GROUP_STARTS,
    NOT_AVAILABLE,
    format_change,
    format_difference,
    format_freshness,
    format_value_full,
    format_week_heading,
    text_sign,
)
from wbr.deck.format import PLAN_COLUMNS as PLAN_COLUMNS
from wbr.deck.format import PLAN_LABEL as PLAN_LABEL
from wbr.deck.model import (
    BoxTotals,
    Change,
    Chart,
    Deck,
    Freshness,
    PlanBox,
    PlanVariance,
    Section,
)

NO_PLAN_TITLE: Final = "No plan for this period"
DECK_NOTE: Final = (
    "Controllable inputs come first, then the outputs they drive. "
    "Discuss exceptions only; owners explain moves outside the normal range."
)
GRAPH_CONFIG: Final[dcc.Graph.Config] = {"displayModeBar": False, "responsive": True}


def _data(field: str, value: float | None) -> dict[str, Any]:
    return data_attributes({ids.DATA_FIELD: field, ids.DATA_RAW: raw_attribute(value)})


def _group(field: str, classes: str) -> str:
    """`classes`, plus "box-group" on the first cell of the MTD, QTD and YTD groups."""
    group = "box-group" if field in BOX_GROUP_STARTS else ""
    return " ".join(name for name in (classes, group) if name)


def _change_cell(cell_id: str, field: str, change: Change, direction: str, **props: Any) -> Element:
    """A cell showing a change, coloured by whether it is good (`change_tone`)."""
    text = format_change(change)
    tone = sign_tone(text, text_sign(text), direction)  # change_tone, formatting once
    return element(
        "Td",
        text,
        id=cell_id,
        **props,
        className=_group(field, f"box-change {tone}"),
        **_data(field, change.value),
    )


def _value_cell(chart: Chart, field: str, box: BoxTotals, currency_symbol: str) -> Element:
    item: float | Change | None = getattr(box, field)
    cell_id = ids.box_cell_id(chart.metric, field)
    if isinstance(item, Change):
        return _change_cell(cell_id, field, item, chart.direction)
    text = format_value_full(item, chart.unit, chart.decimals, currency_symbol)
    return element(
        "Td",
        text,
        id=cell_id,
        className=_group(field, "box-total" + (f" {TONE_NA}" if text == NOT_AVAILABLE else "")),
        **_data(field, item),
    )


def plan_title(variance: PlanVariance, chart: Chart, currency_symbol: str) -> str:
    """The hover text of a plan cell: the target, and actual − target in the metric's unit."""
    if variance.target is None:
        return NO_PLAN_TITLE
    target = format_value_full(variance.target, chart.unit, chart.decimals, currency_symbol)
    if variance.variance is None:  # no actual to compare (an incomplete period)
        return f"Plan {target}"
    difference = format_difference(variance.variance, chart.unit, chart.decimals, currency_symbol)
    return f"Plan {target} \u00b7 actual \u2212 plan {difference}"


def _plan_cell(chart: Chart, field: str, span: int, plan: PlanBox, currency_symbol: str) -> Element:
    variance: PlanVariance = getattr(plan, field)
    return _change_cell(
        ids.box_plan_cell_id(chart.metric, field),
        field,
        Change(variance.variance_pct, "percent"),
        chart.direction,
        colSpan=span,
        title=plan_title(variance, chart, currency_symbol),
    )


def _plan_row(chart: Chart, plan: PlanBox, currency_symbol: str) -> Element:
    return element(
        "Tr",
        [
            element("Th", PLAN_LABEL, scope="row", className="box-row-label"),
            *(
                _plan_cell(chart, field, span, plan, currency_symbol)
                for field, span in PLAN_COLUMNS
            ),
        ],
        className="box-plan",
    )


def box_table(chart: Chart, currency_symbol: str = "$") -> Element:
    """The table of nine numbers under a chart, and the variance to plan when there is one."""
    header = element(
        "Tr",
        [
            element("Th", title, scope="col", className=_group(field, ""))
            for field, title in BOX_COLUMNS
        ],
    )
    rows: list[Element] = [
        element(
            "Tr",
            [_value_cell(chart, field, chart.box, currency_symbol) for field, _ in BOX_COLUMNS],
            className="box-values",
        )
    ]
    if chart.plan is not None:
        rows.append(_plan_row(chart, chart.plan, currency_symbol))
    return element(
        "Table",
        [element("Thead", header), element("Tbody", rows)],
        id=ids.box_id(chart.metric),
        className="box",
    )


def _incomplete_note(chart: Chart) -> Element | None:
    labels = [p.label for p in (*chart.weeks, *chart.months) if not p.cy_complete]
    if not labels:
        return None
    periods = ", ".join(labels)
    return element("P", f"Incomplete: {periods} (a day is missing)", className="incomplete-note")


def metric_card(
    chart: Chart, deck: Deck, labels: dict[str, str], may_write: bool = False
) -> Element:
    """One metric: label, kind badge, owner, description, 6-12 chart, flags, box and tables.

    The card is an element (`dashboards.elements`); its chart is a `dcc.Graph`.
    """
    kind = chart.kind.lower()
    week = deck.week_ending.isoformat()
    head: list[Child] = [
        element(  # the label opens the metric's page: full history, definition, flags
            "H3",
            element("A", chart.label, href=metric_href(chart.metric, week)),
            className="metric-label",
        ),
        element("Span", kind.upper(), className=f"badge badge-{kind}"),
        element("Span", f"Owner: {chart.owner}", className="metric-owner"),
    ]
    body: list[Child] = [
        element("Div", head, className="card-head"),
        element("P", chart.description, className="metric-description"),
    ]
    if chart.drives:
        driven = ", ".join(labels.get(name, name) for name in chart.drives)
        body.append(element("P", f"Drives: {driven}", className="metric-drives"))
    figure = six_twelve_figure(chart, deck.week_ending.year, deck.currency_symbol)
    body.append(dcc.Graph(id=ids.chart_id(chart.metric), figure=figure, config=GRAPH_CONFIG))
    body.append(_incomplete_note(chart))
    body.append(flag_strip(chart, may_write))
    body.append(week_notes(chart, deck.week_ending, may_write))
    body.append(box_table(chart, deck.currency_symbol))
    body.append(metric_tables(chart, deck.currency_symbol))
    return element(
        "Article",
        [part for part in body if part is not None],
        id=ids.card_id(chart.metric),
        className=f"metric-card metric-{kind}",
        **data_attributes({"data-metric": chart.metric, "data-kind": kind}),
    )


def _section(
    index: int,
    section: Section,
    deck: Deck,
    labels: dict[str, str],
    may_write: MayWrite,
    charts: tuple[Chart, ...],
) -> Component:
    """A section with its title and the cards of `charts` (the rest may come later)."""
    return html.Section(
        as_children(
            [
                html.H2(section.title, className="section-title"),
                *(metric_card(chart, deck, labels, may_write(chart)) for chart in charts),
            ]
        ),
        id=ids.section_id(index),
        className="deck-section",
    )


@dataclass(frozen=True, slots=True)
class LaterCards:
    """The cards a deck page sends after its first part: (section index, chart), in order."""

    slots: tuple[tuple[int, Chart], ...]

    def cards(self, deck: Deck, may_write: MayWrite = never) -> list[tuple[str, list[Element]]]:
        """Per section id, the cards to append to it, in deck order."""
        labels = {chart.metric: chart.label for chart in deck.charts}
        grouped: dict[str, list[Element]] = {}
        for index, chart in self.slots:
            card = metric_card(chart, deck, labels, may_write(chart))
            grouped.setdefault(ids.section_id(index), []).append(card)
        return list(grouped.items())


def exceptions_only(deck: Deck) -> Deck:
    """The deck with only the metrics that have an open flag this week, in deck order."""
    sections = tuple(
        replace(section, charts=charts)
        for section in deck.sections
        if (charts := tuple(chart for chart in section.charts if deck.open_flags(chart)))
    )
    return replace(deck, sections=sections)


def one_section(deck: Deck, slug: str) -> Deck:
    """The deck with only the section whose title has this slug (all of them for "")."""
    if slug == ALL_SECTIONS:
        return deck
    sections = tuple(s for s in deck.sections if section_slug(s.title) == slug)
    return replace(deck, sections=sections)


def deck_layout(
    deck: Deck, may_write: MayWrite = never, view: str = VIEW_ALL, section: str = ALL_SECTIONS
) -> Component:
    """The whole deck: its header, then every section in order.

    `may_write` says on which charts the person viewing may write notes; `view`
    is VIEW_ALL or VIEW_EXCEPTIONS (only the metrics with an open flag this week);
    `section` a section's slug (`dashboards.address.section_slug`), or "" for all.
    """
    return deck_first_part(deck, may_write, view, section)[0]


def deck_first_part(
    deck: Deck,
    may_write: MayWrite = never,
    view: str = VIEW_ALL,
    section: str = ALL_SECTIONS,
    first_cards: int | None = None,
) -> tuple[Component, LaterCards]:
    """The deck's header and every section, with only the first `first_cards` cards.

    A page shows its first cards as soon as they arrive and the rest a moment
    later, so the first chart's wait does not grow with the deck (docs/browser.md).
    None: every card now.
    """
    labels = {chart.metric: chart.label for chart in deck.charts}
    shown = one_section(deck, section)
    shown = exceptions_only(shown) if view == VIEW_EXCEPTIONS else shown
    budget = len(shown.charts) if first_cards is None else first_cards
    sections, later = [], []
    for index, part in enumerate(shown.sections):
        now, budget = part.charts[:budget], max(0, budget - len(part.charts))
        sections.append(_section(index, part, deck, labels, may_write, now))
        later += [(index, chart) for chart in part.charts[len(now) :]]
    if view == VIEW_EXCEPTIONS and not shown.sections:
        sections = [html.P("No exceptions this week.", className="no-data")]
    page = html.Div([_header(deck), *sections], id=ids.DECK, className="wbr-deck")
    return page, LaterCards(tuple(later))


def _header(deck: Deck) -> Component:
    return html.Header(
        [
            html.H1(deck.title, id=ids.DECK_TITLE),
            html.Div(deck.project, id=ids.DECK_PROJECT, className="deck-project"),
            html.Div(
                format_week_heading(deck.week_number, deck.week_ending),
                id=ids.DECK_WEEK,
                className="deck-week",
            ),
            exceptions_summary(deck),
            freshness_line(deck.freshness),
            html.P(DECK_NOTE, id=ids.DECK_NOTE, className="deck-note"),
        ],
        className="deck-header",
    )


def freshness_line(freshness: Freshness | None) -> Component:
    """ "Data as of … · next refresh …" under the deck's title (hidden without runs)."""
    failed = freshness is not None and freshness.last_status == "failed"
    return html.P(
        format_freshness(freshness),
        id=ids.DECK_FRESHNESS,
        className="deck-freshness" + (" failed" if failed else ""),
        hidden=freshness is None,
    )
