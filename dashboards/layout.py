"""The deck as Dash components: header, then sections of metric cards.

Each card shows the metric's label, kind badge, owner, description, its 6-12
chart and the box of nine numbers. Every box value cell carries the model's
number in `data-raw` (Python's repr of the float, or "null") beside the text
the reader sees, so tests can compare the page with the model exactly.
"""

from __future__ import annotations

from typing import Any, Final

from dash import dcc, html
from dash.development.base_component import Component

from dashboards import ids
from dashboards.figures import six_twelve_figure
from wbr.deck.format import (
    NOT_AVAILABLE,
    change_sign,
    format_change,
    format_value_full,
    format_week_heading,
)
from wbr.deck.model import BoxTotals, Change, Chart, Deck, Section

# The nine numbers of the box, in the order the reference decks print them.
BOX_COLUMNS: Final = (
    ("last_week", "Last Wk"),
    ("wow", "WoW"),
    ("last_week_yoy", "YoY"),
    ("mtd", "MTD"),
    ("mtd_yoy", "YoY"),
    ("qtd", "QTD"),
    ("qtd_yoy", "YoY"),
    ("ytd", "YTD"),
    ("ytd_yoy", "YoY"),
)
DECK_NOTE: Final = (
    "Controllable inputs come first, then the outputs they drive. "
    "Discuss exceptions only; owners explain moves outside the normal range."
)
GRAPH_CONFIG: Final[dcc.Graph.Config] = {"displayModeBar": False, "responsive": True}
LOWER_IS_BETTER: Final = "lower_is_better"
TONE_GOOD: Final = "change-good"
TONE_BAD: Final = "change-bad"
TONE_FLAT: Final = "change-flat"
TONE_NA: Final = "change-na"


def raw_attribute(value: float | None) -> str:
    """The `data-raw` text for a model number: repr of the float, or "null"."""
    return "null" if value is None else repr(float(value))


def _attributes(attributes: dict[str, str]) -> dict[str, Any]:
    """`data-*` attributes as keyword arguments (Dash accepts them as wildcard props)."""
    return dict(attributes)


def _data(field: str, value: float | None) -> dict[str, Any]:
    return _attributes({ids.DATA_FIELD: field, ids.DATA_RAW: raw_attribute(value)})


def change_tone(change: Change, direction: str) -> str:
    """The CSS class of a change: good (green), bad (red), flat, or N/A (grey)."""
    if format_change(change) == NOT_AVAILABLE:
        return TONE_NA
    sign = change_sign(change)
    if sign == 0:
        return TONE_FLAT
    improving = sign < 0 if direction == LOWER_IS_BETTER else sign > 0
    return TONE_GOOD if improving else TONE_BAD


def _value_cell(chart: Chart, field: str, box: BoxTotals, currency_symbol: str) -> Component:
    item: float | Change | None = getattr(box, field)
    cell_id = ids.box_cell_id(chart.metric, field)
    if isinstance(item, Change):
        return html.Td(
            format_change(item),
            id=cell_id,
            className=f"box-change {change_tone(item, chart.direction)}",
            **_data(field, item.value),
        )
    text = format_value_full(item, chart.unit, chart.decimals, currency_symbol)
    return html.Td(
        text,
        id=cell_id,
        className="box-total" + (f" {TONE_NA}" if text == NOT_AVAILABLE else ""),
        **_data(field, item),
    )


def box_table(chart: Chart, currency_symbol: str = "$") -> Component:
    """The two-row table of nine numbers under a chart."""
    header = html.Tr([html.Th(title, scope="col") for _, title in BOX_COLUMNS])
    values = html.Tr(
        [_value_cell(chart, field, chart.box, currency_symbol) for field, _ in BOX_COLUMNS]
    )
    return html.Table(
        [html.Thead(header), html.Tbody(values)], id=ids.box_id(chart.metric), className="box"
    )


def _incomplete_note(chart: Chart) -> Component | None:
    labels = [p.label for p in (*chart.weeks, *chart.months) if not p.cy_complete]
    if not labels:
        return None
    periods = ", ".join(labels)
    return html.P(f"Incomplete: {periods} (a day is missing)", className="incomplete-note")


def metric_card(chart: Chart, deck: Deck, labels: dict[str, str]) -> Component:
    """One metric: label, kind badge, owner, description, 6-12 chart and box."""
    kind = chart.kind.lower()
    head: list[Any] = [
        html.H3(chart.label, className="metric-label"),
        html.Span(kind.upper(), className=f"badge badge-{kind}"),
        html.Span(f"Owner: {chart.owner}", className="metric-owner"),
    ]
    body: list[Any] = [
        html.Div(head, className="card-head"),
        html.P(chart.description, className="metric-description"),
    ]
    if chart.drives:
        driven = ", ".join(labels.get(name, name) for name in chart.drives)
        body.append(html.P(f"Drives: {driven}", className="metric-drives"))
    figure = six_twelve_figure(chart, deck.week_ending.year, deck.currency_symbol)
    body.append(dcc.Graph(id=ids.chart_id(chart.metric), figure=figure, config=GRAPH_CONFIG))
    note = _incomplete_note(chart)
    if note is not None:
        body.append(note)
    body.append(box_table(chart, deck.currency_symbol))
    return html.Article(
        body,
        id=ids.card_id(chart.metric),
        className=f"metric-card metric-{kind}",
        **_attributes({"data-metric": chart.metric, "data-kind": kind}),
    )


def _section(index: int, section: Section, deck: Deck, labels: dict[str, str]) -> Component:
    return html.Section(
        [
            html.H2(section.title, className="section-title"),
            *(metric_card(chart, deck, labels) for chart in section.charts),
        ],
        id=ids.section_id(index),
        className="deck-section",
    )


def deck_layout(deck: Deck) -> Component:
    """The whole deck: its header, then every section in order."""
    labels = {chart.metric: chart.label for chart in deck.charts}
    header = html.Header(
        [
            html.H1(deck.title, id=ids.DECK_TITLE),
            html.Div(deck.project, id=ids.DECK_PROJECT, className="deck-project"),
            html.Div(
                format_week_heading(deck.week_number, deck.week_ending),
                id=ids.DECK_WEEK,
                className="deck-week",
            ),
            html.P(DECK_NOTE, id=ids.DECK_NOTE, className="deck-note"),
        ],
        className="deck-header",
    )
    sections = [_section(i, section, deck, labels) for i, section in enumerate(deck.sections)]
    return html.Div([header, *sections], id=ids.DECK, className="wbr-deck")
