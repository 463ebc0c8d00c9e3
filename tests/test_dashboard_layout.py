"""The Dash rendering of the deck, checked on the component tree (no browser)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import plotly.graph_objects as go
import pytest
from dash.development.base_component import Component
from deck_fixtures import SampleSource, sample_deck

from dashboards import ids
from dashboards.app import create_app
from dashboards.figures import (
    CY_MONTHS,
    CY_WEEKS,
    GAP_LABEL,
    INCOMPLETE,
    INCOMPLETE_TEXT,
    PY_MONTHS,
    PY_WEEKS,
    six_twelve_figure,
)
from dashboards.layout import (
    BOX_COLUMNS,
    TONE_BAD,
    TONE_FLAT,
    TONE_GOOD,
    TONE_NA,
    change_tone,
    deck_layout,
)
from wbr.deck.format import format_value
from wbr.deck.model import BoxTotals, Change, Chart

DECK = sample_deck(date(2021, 9, 25))


def _chart(metric: str) -> Chart:
    return next(chart for chart in DECK.charts if chart.metric == metric)


def _walk(component: Any) -> Iterator[Any]:
    if isinstance(component, list | tuple):
        for child in component:
            yield from _walk(child)
    elif isinstance(component, Component):
        yield component
        yield from _walk(getattr(component, "children", None))


def _by_id(root: Any, component_id: str) -> Any:
    matches = [c for c in _walk(root) if getattr(c, "id", None) == component_id]
    assert len(matches) == 1, f"{component_id}: {len(matches)} components"
    return matches[0]


def _text(component: Any) -> str:
    return "".join(
        child if isinstance(child, str) else _text(getattr(child, "children", ""))
        for child in (component if isinstance(component, list | tuple) else [component])
        if child is not None
    )


def _traces(figure: go.Figure) -> dict[str, Any]:
    return {trace.uid: trace for trace in figure.data}


def test_figure_has_weekly_and_monthly_cy_and_py_traces() -> None:
    chart = _chart("page_latency_p90")
    traces = _traces(six_twelve_figure(chart, 2021))
    weeks, months = chart.weeks, chart.months
    assert list(traces[CY_WEEKS].y) == [p.cy for p in weeks]
    assert list(traces[PY_WEEKS].y) == [p.py for p in weeks]
    assert list(traces[CY_MONTHS].y) == [p.cy for p in months]
    assert list(traces[PY_MONTHS].y) == [p.py for p in months]
    assert list(traces[CY_WEEKS].x) == ["wk 33", "wk 34", "wk 35", "wk 36", "wk 37", "wk 38"]
    months_x = list(traces[CY_MONTHS].x)
    assert (months_x[0], months_x[-1], len(months_x)) == ("Sep", "Aug", 12)
    assert traces[CY_WEEKS].yaxis == "y" and traces[CY_MONTHS].yaxis == "y2"
    assert traces[CY_WEEKS].name == "2021" and traces[PY_WEEKS].name == "2020"
    assert traces[CY_WEEKS].line.width == 3 and traces[PY_WEEKS].line.width == 1.5
    assert INCOMPLETE not in traces  # every period of this chart is complete


def test_figure_axis_puts_a_gap_between_weeks_and_months() -> None:
    chart = _chart("revenue")
    layout = six_twelve_figure(chart, 2021).layout
    assert list(layout.xaxis.categoryarray) == [*chart.x_labels[:6], GAP_LABEL, *chart.x_labels[6:]]
    assert layout.xaxis.type == "category"
    assert layout.yaxis2.side == "right" and layout.yaxis2.overlaying == "y"


def test_figure_marks_incomplete_and_missing_values() -> None:
    chart = _chart("revenue")  # wk 38 is missing a day
    traces = _traces(six_twelve_figure(chart, 2021))
    assert traces[CY_WEEKS].y[-1] is None  # a gap, never 0
    assert traces[CY_WEEKS].marker.symbol[-1] == "circle-open"
    assert traces[CY_WEEKS].marker.symbol[0] == "circle"
    assert INCOMPLETE_TEXT in traces[CY_WEEKS].customdata[-1]
    assert list(traces[INCOMPLETE].x) == ["wk 38"]
    assert list(traces[INCOMPLETE].customdata) == [f"wk 38 2021: {INCOMPLETE_TEXT}"]


def test_figure_hover_shows_formatted_values() -> None:
    chart = _chart("revenue")
    traces = _traces(six_twelve_figure(chart, 2021))
    assert traces[CY_WEEKS].customdata[0] == "2021: $1.21M"
    assert traces[PY_WEEKS].customdata[0] == "2020: $1.19M"
    months = chart.months  # Sep..Aug: the hover names each month's own year
    assert traces[CY_MONTHS].customdata[0] == f"2020: {format_value(months[0].cy, 'currency', 2)}"
    assert traces[PY_MONTHS].customdata[-1].startswith("2020: $")
    in_stock = _traces(six_twelve_figure(_chart("in_stock_rate"), 2021))
    assert in_stock[PY_WEEKS].y[0] is None  # a new metric: no prior year yet
    assert in_stock[PY_WEEKS].customdata[0] == "2020: N/A"


def test_box_cells_carry_the_model_numbers() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        box = _by_id(layout, ids.box_id(chart.metric))
        headers = [_text(th) for th in _walk(box) if type(th).__name__ == "Th"]
        assert headers == ["Last Wk", "WoW", "YoY", "MTD", "YoY", "QTD", "YoY", "YTD", "YoY"]
        for field, _ in BOX_COLUMNS:
            item = getattr(chart.box, field)
            number = item.value if isinstance(item, Change) else item
            props = _by_id(layout, ids.box_cell_id(chart.metric, field)).to_plotly_json()["props"]
            assert props[ids.DATA_FIELD] == field
            assert props[ids.DATA_RAW] == ("null" if number is None else repr(number))
            if number is not None:
                assert float(props[ids.DATA_RAW]) == number


def test_box_columns_cover_every_box_total() -> None:
    assert [field for field, _ in BOX_COLUMNS] == [f.name for f in dataclasses.fields(BoxTotals)]


def test_box_values_are_formatted_text() -> None:
    layout = deck_layout(DECK)

    def cell(metric: str, field: str) -> str:
        return _text(_by_id(layout, ids.box_cell_id(metric, field)).children)

    assert cell("revenue", "last_week") == "N/A"  # the latest week is incomplete
    assert cell("revenue", "wow") == "N/A"
    assert cell("revenue", "mtd") == "$4,307,414"
    assert cell("revenue", "mtd_yoy") == "+5.3%"
    assert cell("page_latency_p90", "last_week") == "400 ms"
    assert cell("in_stock_rate", "last_week") == "95.4%"
    assert cell("in_stock_rate", "wow") == "+504 bps"
    assert cell("in_stock_rate", "qtd_yoy") == "N/A"


def test_cards_show_kind_badge_owner_and_description() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        card = _by_id(layout, ids.card_id(chart.metric))
        texts = [c.children for c in _walk(card) if isinstance(getattr(c, "children", None), str)]
        assert chart.label in texts
        assert chart.kind.upper() in texts
        assert f"Owner: {chart.owner}" in texts
        assert chart.description in texts
        graph = _by_id(card, ids.chart_id(chart.metric))
        assert graph.config == {"displayModeBar": False, "responsive": True}
    assert (
        _text(_by_id(layout, ids.DECK_WEEK).children)
        == "Week 38 \u00b7 week ending Sat 25 Sep 2021"
    )


def test_sections_keep_deck_order() -> None:
    layout = deck_layout(DECK)
    for index, section in enumerate(DECK.sections):
        rendered = _by_id(layout, ids.section_id(index))
        cards = [c.id for c in _walk(rendered) if str(getattr(c, "id", "")).startswith("card-")]
        assert cards == [ids.card_id(chart.metric) for chart in section.charts]


@pytest.mark.parametrize(
    ("value", "direction", "tone"),
    [
        (-4.0, "lower_is_better", TONE_GOOD),  # latency fell: good
        (4.0, "lower_is_better", TONE_BAD),
        (4.0, "higher_is_better", TONE_GOOD),
        (-4.0, "higher_is_better", TONE_BAD),
        (0.01, "higher_is_better", TONE_FLAT),  # reads "0.0%": no colour
        (None, "lower_is_better", TONE_NA),
    ],
)
def test_change_colour_follows_direction(value: float | None, direction: str, tone: str) -> None:
    assert change_tone(Change(value, "percent"), direction) == tone


def test_lower_is_better_box_colours() -> None:
    chart = _chart("page_latency_p90")  # latency rose 4.3% week over week
    assert chart.box.wow.value is not None and chart.box.wow.value > 0
    layout = deck_layout(DECK)
    wow = _by_id(layout, ids.box_cell_id(chart.metric, "wow"))
    assert TONE_BAD in wow.className.split()
    revenue_wow = _by_id(layout, ids.box_cell_id("revenue", "wow"))
    assert TONE_NA in revenue_wow.className.split()


def test_app_title_and_week_options() -> None:
    app = create_app(SampleSource())
    assert app.title == "Weekly Business Review"
    page = app.layout()
    selector = _by_id(page, ids.WEEK_SELECTOR)
    assert selector.value == "2021-09-25"
    assert [o["value"] for o in selector.options] == ["2021-09-25", "2021-09-18"]
    assert _by_id(page, ids.DECK_WEEK).children.startswith("Week 38")


def test_app_without_data_says_so() -> None:
    app = create_app(SampleSource(weeks=()))
    page = app.layout()
    assert "No weeks with data yet" in _text(page)
