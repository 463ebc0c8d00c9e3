"""The Dash rendering of the deck, checked on the component tree (no browser)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import dash_tree
import pytest
from dash import html
from deck_fixtures import SampleSource, sample_deck

from dashboards import ids
from dashboards.app import create_app
from dashboards.cells import TONE_BAD, TONE_FLAT, TONE_GOOD, TONE_NA, change_tone, raw_attribute
from dashboards.elements import element
from dashboards.layout import BOX_COLUMNS, PLAN_COLUMNS, PLAN_LABEL, deck_layout
from dashboards.tables import COLUMNS_PROPERTY, DIFFERENCE_ROWS, TABLES_SUMMARY, metric_tables
from wbr.deck.figures import (
    CY_MONTHS,
    CY_WEEKS,
    GAP_LABEL,
    INCOMPLETE,
    INCOMPLETE_TEXT,
    PLAN_MONTHS,
    PLAN_WEEKS,
    PY_MONTHS,
    PY_WEEKS,
    six_twelve_figure,
)
from wbr.deck.format import format_cell, format_value
from wbr.deck.model import BoxTotals, Change, Chart, PlanBox

DECK = sample_deck(date(2021, 9, 25))


def _chart(metric: str) -> Chart:
    return next(chart for chart in DECK.charts if chart.metric == metric)


def test_figure_has_weekly_and_monthly_cy_and_py_traces() -> None:
    chart = _chart("page_latency_p90")
    traces = dash_tree.traces(six_twelve_figure(chart, 2021))
    weeks, months = chart.weeks, chart.months
    assert list(traces[CY_WEEKS]["y"]) == [p.cy for p in weeks]
    assert list(traces[PY_WEEKS]["y"]) == [p.py for p in weeks]
    assert list(traces[CY_MONTHS]["y"]) == [p.cy for p in months]
    assert list(traces[PY_MONTHS]["y"]) == [p.py for p in months]
    assert list(traces[CY_WEEKS]["x"]) == ["wk 33", "wk 34", "wk 35", "wk 36", "wk 37", "wk 38"]
    months_x = list(traces[CY_MONTHS]["x"])
    assert (months_x[0], months_x[-1], len(months_x)) == ("Sep", "Aug", 12)
    assert traces[CY_WEEKS]["yaxis"] == "y" and traces[CY_MONTHS]["yaxis"] == "y2"
    assert traces[CY_WEEKS]["name"] == "2021" and traces[PY_WEEKS]["name"] == "2020"
    assert traces[CY_WEEKS]["line"]["width"] == 3 and traces[PY_WEEKS]["line"]["width"] == 1.5
    assert INCOMPLETE not in traces  # every period of this chart is complete


def test_figure_axis_puts_a_gap_between_weeks_and_months() -> None:
    chart = _chart("revenue")
    layout = six_twelve_figure(chart, 2021)["layout"]
    xaxis, yaxis2 = layout["xaxis"], layout["yaxis2"]
    assert list(xaxis["categoryarray"]) == [*chart.x_labels[:6], GAP_LABEL, *chart.x_labels[6:]]
    assert xaxis["type"] == "category"
    assert yaxis2["side"] == "right" and yaxis2["overlaying"] == "y"


def test_figure_marks_incomplete_and_missing_values() -> None:
    chart = _chart("revenue")  # wk 38 is missing a day
    traces = dash_tree.traces(six_twelve_figure(chart, 2021))
    assert traces[CY_WEEKS]["y"][-1] is None  # a gap, never 0
    assert traces[CY_WEEKS]["marker"]["symbol"][-1] == "circle-open"
    assert traces[CY_WEEKS]["marker"]["symbol"][0] == "circle"
    assert INCOMPLETE_TEXT in traces[CY_WEEKS]["customdata"][-1]
    assert list(traces[INCOMPLETE]["x"]) == ["wk 38"]
    assert list(traces[INCOMPLETE]["customdata"]) == [f"wk 38 2021: {INCOMPLETE_TEXT}"]


def test_figure_hover_shows_formatted_values() -> None:
    chart = _chart("revenue")
    traces = dash_tree.traces(six_twelve_figure(chart, 2021))
    assert traces[CY_WEEKS]["customdata"][0] == "2021: $1.21M"
    assert traces[PY_WEEKS]["customdata"][0] == "2020: $1.19M"
    months = chart.months  # Sep..Aug: the hover names each month's own year
    assert (
        traces[CY_MONTHS]["customdata"][0] == f"2020: {format_value(months[0].cy, 'currency', 2)}"
    )
    assert traces[PY_MONTHS]["customdata"][-1].startswith("2020: $")
    in_stock = dash_tree.traces(six_twelve_figure(_chart("in_stock_rate"), 2021))
    assert in_stock[PY_WEEKS]["y"][0] is None  # a new metric: no prior year yet
    assert in_stock[PY_WEEKS]["customdata"][0] == "2020: N/A"


def test_figure_is_plain_json_for_dcc_graph() -> None:
    # Plain dicts, as dcc.Graph takes them: no graph objects, no embedded template, and
    # the template values the charts rely on written out.
    for chart in DECK.charts:
        figure = six_twelve_figure(chart, 2021)
        assert json.loads(json.dumps(figure)) == figure
        assert {trace["type"] for trace in figure["data"]} <= {"scatter", "bar"}
        layout = figure["layout"]
        assert "template" not in layout
        assert layout["hoverlabel"]["align"] == "left"
        assert layout["xaxis"]["automargin"] and layout["yaxis"]["automargin"]
        graph = dash_tree.by_id(deck_layout(DECK), ids.chart_id(chart.metric))
        assert graph.figure == figure


def test_elements_serialize_as_the_dash_components_do() -> None:
    attributes = {"data-raw": "1.0", "aria-label": "x"}
    assert dash_tree.as_nodes(element("Td", "4.3%", className="a", **attributes)).props == (
        dash_tree.as_nodes(html.Td("4.3%", className="a", **attributes)).props
    )
    assert dash_tree.as_nodes(element("Details", None, open=False)).props == (
        dash_tree.as_nodes(html.Details(open=False)).props
    )


def test_every_element_of_the_deck_is_a_valid_dash_component() -> None:
    # Elements skip Dash's checks of prop names and ids: rebuilding each one as its
    # Dash component (which checks them) must give the same JSON.
    nodes = [
        node
        for node in dash_tree.walk(deck_layout(DECK))
        if node.namespace == "dash_html_components"
    ]
    assert len(nodes) > 300
    for node in nodes:
        props = {k: v for k, v in node.props.items() if k != "children"}
        rebuilt = getattr(html, node.node_type)(**props)
        assert dash_tree.props(rebuilt) == {**props, "children": None}


def test_box_cells_carry_the_model_numbers() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        box = dash_tree.by_id(layout, ids.box_id(chart.metric))
        headers = [
            dash_tree.text(th) for th in dash_tree.of_type(dash_tree.of_type(box, "Thead"), "Th")
        ]
        assert headers == ["Last Wk", "WoW", "YoY", "MTD", "YoY", "QTD", "YoY", "YTD", "YoY"]
        for field, _ in BOX_COLUMNS:
            item = getattr(chart.box, field)
            number = item.value if isinstance(item, Change) else item
            props = dash_tree.props(dash_tree.by_id(layout, ids.box_cell_id(chart.metric, field)))
            assert props[ids.DATA_FIELD] == field
            assert props[ids.DATA_RAW] == ("null" if number is None else repr(number))
            if number is not None:
                assert float(props[ids.DATA_RAW]) == number


def test_box_columns_cover_every_box_total() -> None:
    assert [field for field, _ in BOX_COLUMNS] == [f.name for f in dataclasses.fields(BoxTotals)]


def test_box_values_are_formatted_text() -> None:
    layout = deck_layout(DECK)

    def cell(metric: str, field: str) -> str:
        return dash_tree.text(dash_tree.by_id(layout, ids.box_cell_id(metric, field)).children)

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
        card = dash_tree.by_id(layout, ids.card_id(chart.metric))
        texts = [
            c.children
            for c in dash_tree.walk(card)
            if isinstance(getattr(c, "children", None), str)
        ]
        assert chart.label in texts
        assert chart.kind.upper() in texts
        assert f"Owner: {chart.owner}" in texts
        assert chart.description in texts
        graph = dash_tree.by_id(card, ids.chart_id(chart.metric))
        assert graph.config == {"displayModeBar": False, "responsive": True}
    assert (
        dash_tree.text(dash_tree.by_id(layout, ids.DECK_WEEK).children)
        == "Week 38 \u00b7 week ending Sat 25 Sep 2021"
    )


def test_sections_keep_deck_order() -> None:
    layout = deck_layout(DECK)
    for index, section in enumerate(DECK.sections):
        rendered = dash_tree.by_id(layout, ids.section_id(index))
        cards = [
            c.id for c in dash_tree.walk(rendered) if str(getattr(c, "id", "")).startswith("card-")
        ]
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
    wow = dash_tree.by_id(layout, ids.box_cell_id(chart.metric, "wow"))
    assert TONE_BAD in wow.className.split()
    revenue_wow = dash_tree.by_id(layout, ids.box_cell_id("revenue", "wow"))
    assert TONE_NA in revenue_wow.className.split()


def test_app_title_and_week_options() -> None:
    app = create_app(SampleSource())
    assert app.title == "Weekly Business Review"
    page = app.layout()
    selector = dash_tree.by_id(page, ids.WEEK_SELECTOR)
    assert selector.value == "2021-09-25"
    assert [o["value"] for o in selector.options] == ["2021-09-25", "2021-09-18"]
    # The deck itself is HTML text for deck.js to put in the page (dashboards/html_text.py).
    deck_html = dash_tree.by_id(page, ids.DECK_PAYLOAD).data["html"]
    assert f'<div id="{ids.DECK_WEEK}" class="deck-week">Week 38 ' in deck_html


def test_app_without_data_says_so() -> None:
    app = create_app(SampleSource(weeks=()))
    page = app.layout()
    assert "No weeks with data yet" in dash_tree.text(page)


def test_figure_draws_plan_targets_on_each_part_s_own_axis() -> None:
    chart = _chart("revenue")  # targets for wk 34-38 and for Jan-Aug 2021
    traces = dash_tree.traces(six_twelve_figure(chart, 2021))
    planned_weeks = [p for p in chart.weeks if p.target is not None]
    planned_months = [p for p in chart.months if p.target is not None]
    assert (len(planned_weeks), len(planned_months)) == (5, 8)
    assert list(traces[PLAN_WEEKS]["x"]) == [p.label for p in planned_weeks]
    assert list(traces[PLAN_WEEKS]["y"]) == [p.target for p in planned_weeks]
    assert list(traces[PLAN_MONTHS]["x"]) == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
    ]
    assert list(traces[PLAN_MONTHS]["y"]) == [p.target for p in planned_months]
    assert traces[PLAN_WEEKS]["yaxis"] == "y" and traces[PLAN_MONTHS]["yaxis"] == "y2"
    assert traces[PLAN_WEEKS]["mode"] == "markers" and traces[PLAN_WEEKS]["name"] == "Plan"
    assert traces[PLAN_WEEKS]["showlegend"] and not traces[PLAN_MONTHS]["showlegend"]
    assert traces[PLAN_WEEKS]["customdata"][0] == "Plan wk 34: $1.26M"
    assert traces[PLAN_MONTHS]["customdata"][0] == "Plan Jan 2021: $5.33M"


def test_figure_without_targets_has_no_plan_traces() -> None:
    for metric in ("page_latency_p90", "in_stock_rate"):
        traces = dash_tree.traces(six_twelve_figure(_chart(metric), 2021))
        assert PLAN_WEEKS not in traces and PLAN_MONTHS not in traces
    # Monthly targets only: the monthly dashes carry the legend entry.
    revenue = _chart("revenue")
    weeks = tuple(dataclasses.replace(p, target=None) for p in revenue.weeks)
    traces = dash_tree.traces(six_twelve_figure(dataclasses.replace(revenue, weeks=weeks), 2021))
    assert PLAN_WEEKS not in traces and traces[PLAN_MONTHS]["showlegend"]


def test_plan_columns_cover_every_plan_period() -> None:
    assert [field for field, _ in PLAN_COLUMNS] == [f.name for f in dataclasses.fields(PlanBox)]
    # The row label takes the "Last Wk" column; the four variances fill the other eight.
    assert 1 + sum(span for _, span in PLAN_COLUMNS) == len(BOX_COLUMNS)


def test_box_plan_row_carries_the_variance_to_plan() -> None:
    chart = _chart("revenue")
    assert chart.plan is not None
    layout = deck_layout(DECK)
    box = dash_tree.by_id(layout, ids.box_id(chart.metric))
    plan_row = next(
        tr
        for tr in dash_tree.of_type(box, "Tr")
        if dash_tree.props(tr).get("className") == "box-plan"
    )
    assert dash_tree.text(dash_tree.of_type(plan_row, "Th")) == PLAN_LABEL
    cells = dash_tree.of_type(plan_row, "Td")
    assert [dash_tree.props(td)[ids.DATA_FIELD] for td in cells] == [f for f, _ in PLAN_COLUMNS]
    for field, _ in PLAN_COLUMNS:
        variance = getattr(chart.plan, field)
        props = dash_tree.props(dash_tree.by_id(layout, ids.box_plan_cell_id(chart.metric, field)))
        assert props[ids.DATA_RAW] == raw_attribute(variance.variance_pct)

    def cell(field: str) -> Any:
        return dash_tree.by_id(layout, ids.box_plan_cell_id(chart.metric, field))

    # The last week is incomplete: its target is known, its variance is not.
    assert dash_tree.text(cell("last_week").children) == "N/A"
    assert cell("last_week").title == "Plan $1,269,899"
    assert dash_tree.text(cell("mtd").children) == "+3.1%"
    assert cell("mtd").title == "Plan $4,178,192 \u00b7 actual \u2212 plan +$129,222"
    assert TONE_GOOD in cell("mtd").className.split()
    assert dash_tree.text(cell("qtd").children) == "\u22122.0%"
    assert TONE_BAD in cell("qtd").className.split()
    assert dash_tree.text(cell("ytd").children) == "+0.1%"


def test_box_has_no_plan_row_without_a_plan() -> None:
    layout = deck_layout(DECK)
    for metric in ("page_latency_p90", "in_stock_rate"):
        assert _chart(metric).plan is None
        box = dash_tree.by_id(layout, ids.box_id(metric))
        classes = [dash_tree.props(tr).get("className") for tr in dash_tree.of_type(box, "Tr")]
        assert classes == [None, "box-values"]  # the header row, the nine numbers
        assert PLAN_LABEL not in dash_tree.text(box.children)


def test_tables_are_collapsed_under_the_box() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        card = dash_tree.by_id(layout, ids.card_id(chart.metric))
        details = dash_tree.by_id(card, ids.tables_id(chart.metric))
        assert details.node_type == "Details" and details.open is False
        assert dash_tree.text(dash_tree.of_type(details, "Summary")) == TABLES_SUMMARY
        tables = dash_tree.of_type(details, "Table")
        assert [t.id for t in tables] == [ids.metric_table_id(chart.metric, i) for i in (0, 1)]
        # Sized in twelfths of the card, so the 6-week table's columns line up with the months'.
        assert [t.style[COLUMNS_PROPERTY] for t in tables] == ["8", "12"]
        # The tables come after the box in the card.
        order = [c.id for c in dash_tree.walk(card) if getattr(c, "id", None)]
        assert order.index(ids.box_id(chart.metric)) < order.index(ids.tables_id(chart.metric))


def test_table_cells_carry_the_model_numbers_and_text() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        for index, table in enumerate(chart.tables):
            rendered = dash_tree.by_id(layout, ids.metric_table_id(chart.metric, index))
            assert dash_tree.text(dash_tree.of_type(rendered, "Caption")) == table.title
            header = dash_tree.of_type(dash_tree.of_type(rendered, "Thead"), "Th")
            assert [dash_tree.text(th) for th in header] == ["", *table.columns]
            rows = dash_tree.of_type(dash_tree.of_type(rendered, "Tbody"), "Tr")
            assert [dash_tree.text(dash_tree.of_type(tr, "Th")) for tr in rows] == [
                r.label for r in table.rows
            ]
            for tr, row in zip(rows, table.rows, strict=True):
                cells = [dash_tree.props(td) for td in dash_tree.of_type(tr, "Td")]
                assert [c[ids.DATA_COLUMN] for c in cells] == list(table.columns)
                assert {c[ids.DATA_ROW] for c in cells} == {row.label}
                assert [c[ids.DATA_RAW] for c in cells] == [raw_attribute(v) for v in row.cells]
                texts = [dash_tree.text(td.children) for td in dash_tree.of_type(tr, "Td")]
                difference = row.label in DIFFERENCE_ROWS
                assert texts == [
                    format_cell(v, row.kind, chart.unit, chart.decimals, difference=difference)
                    for v in row.cells
                ]


def _table_cell(metric: str, index: int, row: str, column: str) -> Any:
    table = dash_tree.by_id(deck_layout(DECK), ids.metric_table_id(metric, index))
    return next(
        td
        for td in dash_tree.of_type(table, "Td")
        if dash_tree.props(td)[ids.DATA_ROW] == row
        and dash_tree.props(td)[ids.DATA_COLUMN] == column
    )


def test_table_rows_follow_the_plan_and_the_units() -> None:
    def labels(metric: str, index: int) -> list[str]:
        table = dash_tree.by_id(deck_layout(DECK), ids.metric_table_id(metric, index))
        return [
            dash_tree.text(dash_tree.of_type(tr, "Th"))
            for tr in dash_tree.of_type(dash_tree.of_type(table, "Tbody"), "Tr")
        ]

    with_plan = ["Actual", "Plan", "Vs plan", "Vs plan %", "YoY"]
    assert labels("revenue", 0) == [*with_plan, "WoW"]
    assert labels("revenue", 1) == [*with_plan, "MoM"]
    assert labels("page_latency_p90", 0) == ["Actual", "YoY", "WoW"]
    assert labels("in_stock_rate", 1) == ["Actual", "YoY", "MoM"]

    def text(metric: str, index: int, row: str, column: str) -> str:
        return dash_tree.text(_table_cell(metric, index, row, column).children)

    assert text("revenue", 0, "Actual", "wk 33") == "$1,211,975"
    assert text("revenue", 0, "Actual", "wk 38") == "N/A"  # incomplete: never 0
    assert text("revenue", 0, "Plan", "wk 33") == "N/A"  # no target that week
    assert text("revenue", 0, "Vs plan", "wk 34") == "\u2212$103,738"
    assert text("revenue", 0, "Vs plan", "wk 37") == "+$20,939"  # a difference is signed
    assert text("revenue", 0, "Vs plan %", "wk 34") == "\u22128.2%"
    assert text("revenue", 0, "WoW", "QTD") == "N/A"  # a to-date column has no WoW
    assert text("revenue", 1, "Plan", "Jan") == "$5,333,156"
    assert text("in_stock_rate", 0, "Actual", "wk 38") == "95.4%"
    assert text("in_stock_rate", 0, "WoW", "wk 38") == "+504 bps"
    assert text("page_latency_p90", 0, "Actual", "QTD") == "398 ms"


def test_table_changes_are_coloured_by_direction() -> None:
    def tone(metric: str, index: int, row: str, column: str) -> list[str]:
        return str(_table_cell(metric, index, row, column).className).split()

    assert TONE_GOOD in tone("revenue", 0, "Vs plan", "wk 37")  # above plan: good
    assert TONE_BAD in tone("revenue", 0, "Vs plan %", "wk 34")
    assert TONE_BAD in tone("page_latency_p90", 0, "WoW", "wk 38")  # latency rose: bad
    assert TONE_NA in tone("revenue", 0, "Actual", "wk 38")
    assert "col-group" in tone("revenue", 0, "Actual", "QTD")  # to-date columns set apart
    assert "col-group" not in tone("revenue", 0, "Actual", "YTD")


def test_no_tables_section_without_tables() -> None:
    assert metric_tables(dataclasses.replace(_chart("revenue"), tables=())) is None
