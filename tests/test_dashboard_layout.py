"""The Dash rendering of the deck, checked on the component tree (no browser)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from dash import html
from deck_fixtures import SampleSource, sample_deck
from plotly.io.json import to_json_plotly

from dashboards import ids
from dashboards.app import create_app
from dashboards.cells import TONE_BAD, TONE_FLAT, TONE_GOOD, TONE_NA, change_tone, raw_attribute
from dashboards.elements import element
from dashboards.flags import exceptions_summary, flag_strip
from dashboards.layout import BOX_COLUMNS, PLAN_COLUMNS, PLAN_LABEL, deck_layout
from dashboards.tables import COLUMNS_PROPERTY, DIFFERENCE_ROWS, TABLES_SUMMARY, metric_tables
from wbr.deck.figures import (
    CY_MONTHS,
    CY_WEEKS,
    FLAG_BANDS,
    FLAG_COLORS,
    FLAGS,
    GAP_LABEL,
    INCOMPLETE,
    INCOMPLETE_TEXT,
    PLAN_MONTHS,
    PLAN_WEEKS,
    PY_MONTHS,
    PY_WEEKS,
    SixTwelveFigure,
    six_twelve_figure,
)
from wbr.deck.flag_marks import FLAG_BAD, FLAG_EXPLAINED, FLAG_GOOD
from wbr.deck.format import format_cell, format_value
from wbr.deck.model import AnomalyNote, BoxTotals, Change, Chart, Deck, PlanBox, Section

DECK = sample_deck(date(2021, 9, 25))


def _chart(metric: str) -> Chart:
    return next(chart for chart in DECK.charts if chart.metric == metric)


class _Node:
    """A component of the page as the browser gets it: a type and props, read as attributes.

    Cards are built as plain elements (`dashboards.elements`), the page around them as
    Dash components; both are checked in the JSON that Dash sends.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.node_type: str = data["type"]
        self.namespace: str = data["namespace"]
        self.props: dict[str, Any] = {key: _wrap(value) for key, value in data["props"].items()}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["props"][name]
        except KeyError:
            raise AttributeError(name) from None


def _wrap(value: Any) -> Any:
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    if isinstance(value, dict) and {"type", "namespace", "props"} <= value.keys():
        return _Node(value)
    return value


def _tree(value: Any) -> Any:
    """Components and elements (or lists of them) as `_Node`s, via the JSON Dash sends."""
    if value is None or isinstance(value, str | _Node):
        return value
    if isinstance(value, list | tuple):
        return [_tree(item) for item in value]
    return _wrap(json.loads(to_json_plotly(value)))


def _walk(component: Any) -> Iterator[Any]:
    component = _tree(component)
    if isinstance(component, list):
        for child in component:
            yield from _walk(child)
    elif isinstance(component, _Node):
        yield component
        yield from _walk(component.props.get("children"))


def _by_id(root: Any, component_id: str) -> Any:
    matches = [c for c in _walk(root) if getattr(c, "id", None) == component_id]
    assert len(matches) == 1, f"{component_id}: {len(matches)} components"
    return matches[0]


def _text(component: Any) -> str:
    component = _tree(component)
    return "".join(
        child if isinstance(child, str) else _text(getattr(child, "children", ""))
        for child in (component if isinstance(component, list) else [component])
        if child is not None
    )


def _traces(figure: SixTwelveFigure) -> dict[str, Any]:
    return {trace["uid"]: trace for trace in figure["data"]}


def _of_type(root: Any, name: str) -> list[Any]:
    return [c for c in _walk(root) if c.node_type == name]


def _props(component: Any) -> dict[str, Any]:
    props: dict[str, Any] = _tree(component).props
    return props


def test_figure_has_weekly_and_monthly_cy_and_py_traces() -> None:
    chart = _chart("page_latency_p90")
    traces = _traces(six_twelve_figure(chart, 2021))
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
    traces = _traces(six_twelve_figure(chart, 2021))
    assert traces[CY_WEEKS]["y"][-1] is None  # a gap, never 0
    assert traces[CY_WEEKS]["marker"]["symbol"][-1] == "circle-open"
    assert traces[CY_WEEKS]["marker"]["symbol"][0] == "circle"
    assert INCOMPLETE_TEXT in traces[CY_WEEKS]["customdata"][-1]
    assert list(traces[INCOMPLETE]["x"]) == ["wk 38"]
    assert list(traces[INCOMPLETE]["customdata"]) == [f"wk 38 2021: {INCOMPLETE_TEXT}"]


def test_figure_hover_shows_formatted_values() -> None:
    chart = _chart("revenue")
    traces = _traces(six_twelve_figure(chart, 2021))
    assert traces[CY_WEEKS]["customdata"][0] == "2021: $1.21M"
    assert traces[PY_WEEKS]["customdata"][0] == "2020: $1.19M"
    months = chart.months  # Sep..Aug: the hover names each month's own year
    assert (
        traces[CY_MONTHS]["customdata"][0] == f"2020: {format_value(months[0].cy, 'currency', 2)}"
    )
    assert traces[PY_MONTHS]["customdata"][-1].startswith("2020: $")
    in_stock = _traces(six_twelve_figure(_chart("in_stock_rate"), 2021))
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
        graph = _by_id(deck_layout(DECK), ids.chart_id(chart.metric))
        assert graph.figure == figure


def test_elements_serialize_as_the_dash_components_do() -> None:
    attributes = {"data-raw": "1.0", "aria-label": "x"}
    assert _tree(element("Td", "4.3%", className="a", **attributes)).props == (
        _tree(html.Td("4.3%", className="a", **attributes)).props
    )
    assert _tree(element("Details", None, open=False)).props == (
        _tree(html.Details(open=False)).props
    )


def test_every_element_of_the_deck_is_a_valid_dash_component() -> None:
    # Elements skip Dash's checks of prop names and ids: rebuilding each one as its
    # Dash component (which checks them) must give the same JSON.
    nodes = [node for node in _walk(deck_layout(DECK)) if node.namespace == "dash_html_components"]
    assert len(nodes) > 300
    for node in nodes:
        props = {k: v for k, v in node.props.items() if k != "children"}
        rebuilt = getattr(html, node.node_type)(**props)
        assert _props(rebuilt) == {**props, "children": None}


def test_box_cells_carry_the_model_numbers() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        box = _by_id(layout, ids.box_id(chart.metric))
        headers = [_text(th) for th in _of_type(_of_type(box, "Thead"), "Th")]
        assert headers == ["Last Wk", "WoW", "YoY", "MTD", "YoY", "QTD", "YoY", "YTD", "YoY"]
        for field, _ in BOX_COLUMNS:
            item = getattr(chart.box, field)
            number = item.value if isinstance(item, Change) else item
            props = _props(_by_id(layout, ids.box_cell_id(chart.metric, field)))
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
    # The deck itself is HTML text for deck.js to put in the page (dashboards/html_text.py).
    deck_html = _by_id(page, ids.DECK_PAYLOAD).data["html"]
    assert f'<div id="{ids.DECK_WEEK}" class="deck-week">Week 38 ' in deck_html


def test_app_without_data_says_so() -> None:
    app = create_app(SampleSource(weeks=()))
    page = app.layout()
    assert "No weeks with data yet" in _text(page)


def test_figure_draws_plan_targets_on_each_part_s_own_axis() -> None:
    chart = _chart("revenue")  # targets for wk 34-38 and for Jan-Aug 2021
    traces = _traces(six_twelve_figure(chart, 2021))
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
        traces = _traces(six_twelve_figure(_chart(metric), 2021))
        assert PLAN_WEEKS not in traces and PLAN_MONTHS not in traces
    # Monthly targets only: the monthly dashes carry the legend entry.
    revenue = _chart("revenue")
    weeks = tuple(dataclasses.replace(p, target=None) for p in revenue.weeks)
    traces = _traces(six_twelve_figure(dataclasses.replace(revenue, weeks=weeks), 2021))
    assert PLAN_WEEKS not in traces and traces[PLAN_MONTHS]["showlegend"]


def test_plan_columns_cover_every_plan_period() -> None:
    assert [field for field, _ in PLAN_COLUMNS] == [f.name for f in dataclasses.fields(PlanBox)]
    # The row label takes the "Last Wk" column; the four variances fill the other eight.
    assert 1 + sum(span for _, span in PLAN_COLUMNS) == len(BOX_COLUMNS)


def test_box_plan_row_carries_the_variance_to_plan() -> None:
    chart = _chart("revenue")
    assert chart.plan is not None
    layout = deck_layout(DECK)
    box = _by_id(layout, ids.box_id(chart.metric))
    plan_row = next(tr for tr in _of_type(box, "Tr") if _props(tr).get("className") == "box-plan")
    assert _text(_of_type(plan_row, "Th")) == PLAN_LABEL
    cells = _of_type(plan_row, "Td")
    assert [_props(td)[ids.DATA_FIELD] for td in cells] == [f for f, _ in PLAN_COLUMNS]
    for field, _ in PLAN_COLUMNS:
        variance = getattr(chart.plan, field)
        props = _props(_by_id(layout, ids.box_plan_cell_id(chart.metric, field)))
        assert props[ids.DATA_RAW] == raw_attribute(variance.variance_pct)

    def cell(field: str) -> Any:
        return _by_id(layout, ids.box_plan_cell_id(chart.metric, field))

    # The last week is incomplete: its target is known, its variance is not.
    assert _text(cell("last_week").children) == "N/A"
    assert cell("last_week").title == "Plan $1,269,899"
    assert _text(cell("mtd").children) == "+3.1%"
    assert cell("mtd").title == "Plan $4,178,192 \u00b7 actual \u2212 plan +$129,222"
    assert TONE_GOOD in cell("mtd").className.split()
    assert _text(cell("qtd").children) == "\u22122.0%"
    assert TONE_BAD in cell("qtd").className.split()
    assert _text(cell("ytd").children) == "+0.1%"


def test_box_has_no_plan_row_without_a_plan() -> None:
    layout = deck_layout(DECK)
    for metric in ("page_latency_p90", "in_stock_rate"):
        assert _chart(metric).plan is None
        box = _by_id(layout, ids.box_id(metric))
        classes = [_props(tr).get("className") for tr in _of_type(box, "Tr")]
        assert classes == [None, "box-values"]  # the header row, the nine numbers
        assert PLAN_LABEL not in _text(box.children)


def test_tables_are_collapsed_under_the_box() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        card = _by_id(layout, ids.card_id(chart.metric))
        details = _by_id(card, ids.tables_id(chart.metric))
        assert details.node_type == "Details" and details.open is False
        assert _text(_of_type(details, "Summary")) == TABLES_SUMMARY
        tables = _of_type(details, "Table")
        assert [t.id for t in tables] == [ids.metric_table_id(chart.metric, i) for i in (0, 1)]
        # Sized in twelfths of the card, so the 6-week table's columns line up with the months'.
        assert [t.style[COLUMNS_PROPERTY] for t in tables] == ["8", "12"]
        # The tables come after the box in the card.
        order = [c.id for c in _walk(card) if getattr(c, "id", None)]
        assert order.index(ids.box_id(chart.metric)) < order.index(ids.tables_id(chart.metric))


def test_table_cells_carry_the_model_numbers_and_text() -> None:
    layout = deck_layout(DECK)
    for chart in DECK.charts:
        for index, table in enumerate(chart.tables):
            rendered = _by_id(layout, ids.metric_table_id(chart.metric, index))
            assert _text(_of_type(rendered, "Caption")) == table.title
            header = _of_type(_of_type(rendered, "Thead"), "Th")
            assert [_text(th) for th in header] == ["", *table.columns]
            rows = _of_type(_of_type(rendered, "Tbody"), "Tr")
            assert [_text(_of_type(tr, "Th")) for tr in rows] == [r.label for r in table.rows]
            for tr, row in zip(rows, table.rows, strict=True):
                cells = [_props(td) for td in _of_type(tr, "Td")]
                assert [c[ids.DATA_COLUMN] for c in cells] == list(table.columns)
                assert {c[ids.DATA_ROW] for c in cells} == {row.label}
                assert [c[ids.DATA_RAW] for c in cells] == [raw_attribute(v) for v in row.cells]
                texts = [_text(td.children) for td in _of_type(tr, "Td")]
                difference = row.label in DIFFERENCE_ROWS
                assert texts == [
                    format_cell(v, row.kind, chart.unit, chart.decimals, difference=difference)
                    for v in row.cells
                ]


def _table_cell(metric: str, index: int, row: str, column: str) -> Any:
    table = _by_id(deck_layout(DECK), ids.metric_table_id(metric, index))
    return next(
        td
        for td in _of_type(table, "Td")
        if _props(td)[ids.DATA_ROW] == row and _props(td)[ids.DATA_COLUMN] == column
    )


def test_table_rows_follow_the_plan_and_the_units() -> None:
    def labels(metric: str, index: int) -> list[str]:
        table = _by_id(deck_layout(DECK), ids.metric_table_id(metric, index))
        return [_text(_of_type(tr, "Th")) for tr in _of_type(_of_type(table, "Tbody"), "Tr")]

    with_plan = ["Actual", "Plan", "Vs plan", "Vs plan %", "YoY"]
    assert labels("revenue", 0) == [*with_plan, "WoW"]
    assert labels("revenue", 1) == [*with_plan, "MoM"]
    assert labels("page_latency_p90", 0) == ["Actual", "YoY", "WoW"]
    assert labels("in_stock_rate", 1) == ["Actual", "YoY", "MoM"]

    def text(metric: str, index: int, row: str, column: str) -> str:
        return _text(_table_cell(metric, index, row, column).children)

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


def _note(chart: Chart, weeks_back: int, **changes: Any) -> AnomalyNote:
    """A flag of the chart's week `weeks_back` before the latest: latency's, moved there."""
    (template,) = _chart("page_latency_p90").anomalies
    week_ending = chart.weeks[-1 - weeks_back].end
    return dataclasses.replace(template, week_ending=week_ending, **changes)


def _with_charts(*charts: Chart) -> Deck:
    """The sample deck with some charts replaced (matched by metric)."""
    by_metric = {chart.metric: chart for chart in charts}
    sections = tuple(
        Section(s.title, tuple(by_metric.get(c.metric, c) for c in s.charts)) for s in DECK.sections
    )
    return dataclasses.replace(DECK, sections=sections)


def _strip_lines(chart: Chart) -> list[dict[str, Any]]:
    strip = _tree(flag_strip(chart))
    assert strip is not None and getattr(strip, "id", None) == ids.flags_id(chart.metric)
    lines = []
    for li in _of_type(strip, "Li"):
        props = _props(li)
        parts = {str(span.className): _text(span.children) for span in _of_type(li, "Span")}
        lines.append(
            {
                "id": li.id,
                "class": li.className,
                "week": props[ids.DATA_WEEK],
                "status": props[ids.DATA_STATUS],
                "severity": props[ids.DATA_SEVERITY],
                **parts,
            }
        )
    return lines


def test_figure_rings_each_flagged_week_over_its_expected_band() -> None:
    latency = _chart("page_latency_p90")  # wk 38: open, and bad (latency rose)
    (note,) = latency.anomalies
    traces = _traces(six_twelve_figure(latency, 2021))
    assert list(traces[FLAGS]["x"]) == ["wk 38"]
    assert list(traces[FLAGS]["y"]) == [latency.weeks[-1].cy]  # on the current-year point
    assert list(traces[FLAGS]["marker"]["color"]) == [FLAG_COLORS[FLAG_BAD]] == ["#c5221f"]
    assert traces[FLAGS]["marker"]["symbol"] == "circle-open" and traces[FLAGS]["yaxis"] == "y"
    assert list(traces[FLAGS]["customdata"]) == [note.explanation]
    assert list(traces[FLAG_BANDS]["x"]) == ["wk 38"]
    assert list(traces[FLAG_BANDS]["base"]) == [note.lower]
    assert list(traces[FLAG_BANDS]["y"]) == [note.upper - note.lower]
    assert traces[FLAG_BANDS]["hoverinfo"] == "skip"  # the ring's hover says it all
    assert not traces[FLAGS]["showlegend"] and not traces[FLAG_BANDS]["showlegend"]
    # The band is drawn behind the lines, the ring on top of them.
    order = [trace["uid"] for trace in six_twelve_figure(latency, 2021)["data"]]
    assert order[0] == FLAG_BANDS and order[-1] == FLAGS
    in_stock = _traces(six_twelve_figure(_chart("in_stock_rate"), 2021))  # explained: grey
    assert list(in_stock[FLAGS]["x"]) == ["wk 35"]
    assert list(in_stock[FLAGS]["y"]) == [_chart("in_stock_rate").weeks[2].cy]
    assert list(in_stock[FLAGS]["marker"]["color"]) == [FLAG_COLORS[FLAG_EXPLAINED]]


def test_figure_rings_good_moves_green_and_skips_weeks_not_shown() -> None:
    latency = _chart("page_latency_p90")
    good = _note(latency, 1, is_bad=False)
    gone = dataclasses.replace(good, week_ending=date(2021, 1, 2))  # not among the six shown
    chart = dataclasses.replace(latency, anomalies=(gone, good, *latency.anomalies))
    traces = _traces(six_twelve_figure(chart, 2021))
    assert list(traces[FLAGS]["x"]) == ["wk 37", "wk 38"]
    assert list(traces[FLAGS]["marker"]["color"]) == [FLAG_COLORS[FLAG_GOOD], FLAG_COLORS[FLAG_BAD]]
    assert list(traces[FLAG_BANDS]["x"]) == ["wk 37", "wk 38"]
    # The strip still lists it, by its date.
    lines = _strip_lines(chart)
    assert [line["flag-week"] for line in lines] == ["wk 38", "wk 37", "w/e Sat 2 Jan 2021"]


def test_figure_without_flags_has_no_rings_or_bands() -> None:
    for chart in (_chart("revenue"), dataclasses.replace(_chart("in_stock_rate"), anomalies=())):
        traces = _traces(six_twelve_figure(chart, 2021))
        assert FLAGS not in traces and FLAG_BANDS not in traces


def test_flag_strip_lines_say_what_to_discuss() -> None:
    latency = _chart("page_latency_p90")  # the detector's sentence, verbatim, and the drivers
    assert _strip_lines(latency) == [
        {
            "id": ids.flag_id("page_latency_p90", date(2021, 9, 25), "robust"),
            "class": f"flag {FLAG_BAD} flag-medium",
            "week": "2021-09-25",
            "status": "open",
            "severity": "medium",
            "flag-badge": "\u26a0 Exception",
            "flag-week": "wk 38",
            "flag-text": "expected 380 ms \u00b1 9.49 ms from the last 8 weeks; got 400 ms, +5.5%",
            "flag-drivers": "Drivers: region=APAC (71 % of the change), "
            "device=mobile (64 % of the change)",
        }
    ]
    (explained,) = _strip_lines(_chart("in_stock_rate"))
    assert explained["flag-badge"] == "Explained: Warehouse migration"
    assert (explained["week"], explained["status"], explained["flag-week"]) == (
        "2021-09-04",
        "explained",
        "wk 35",
    )
    assert explained["class"] == f"flag {FLAG_EXPLAINED} flag-high"
    assert "flag-drivers" not in explained  # no drivers, no line for them


def test_flag_strip_is_newest_first_above_the_box() -> None:
    latency = _chart("page_latency_p90")
    older = _note(latency, 4, is_bad=False, drivers=())
    chart = dataclasses.replace(latency, anomalies=(older, *latency.anomalies))  # oldest first
    lines = _strip_lines(chart)
    assert [line["flag-week"] for line in lines] == ["wk 38", "wk 34"]
    assert [line["flag-badge"] for line in lines] == ["\u26a0 Exception", "\u25b2 Exception"]
    assert FLAG_GOOD in lines[1]["class"].split()
    card = _by_id(deck_layout(DECK), ids.card_id(latency.metric))
    order = [c.id for c in _walk(card) if getattr(c, "id", None)]
    chart_at, strip_at, box_at = (
        order.index(ids.chart_id(latency.metric)),
        order.index(ids.flags_id(latency.metric)),
        order.index(ids.box_id(latency.metric)),
    )
    assert chart_at < strip_at < box_at


def test_no_flag_strip_without_flags() -> None:
    assert flag_strip(_chart("revenue")) is None
    card = _by_id(deck_layout(DECK), ids.card_id("revenue"))
    assert not [c for c in _walk(card) if str(getattr(c, "id", "")).startswith("flags-")]


def _summary(deck: Deck) -> tuple[str, list[tuple[str, str]]]:
    summary = _by_id(deck_layout(deck), ids.DECK_EXCEPTIONS)
    assert _text(summary.children) == _text(exceptions_summary(deck).children)
    links = [(_text(a.children), a.href) for a in _of_type(summary, "A")]
    return _text(summary.children), links


def test_header_names_this_week_s_exceptions_and_links_to_them() -> None:
    # Latency's open flag is this week's; in-stock's flag is explained and weeks old.
    assert _summary(DECK) == (
        "1 exception this week \u00b7 0 explained \u00b7 1 waiting: Page latency (p90)",
        [("Page latency (p90)", "#card-page_latency_p90")],
    )
    in_stock, revenue = _chart("in_stock_rate"), _chart("revenue")
    deck = _with_charts(
        dataclasses.replace(in_stock, anomalies=(_note(in_stock, 0, is_bad=False),)),
        dataclasses.replace(revenue, anomalies=(_note(revenue, 1),)),  # last week's: not counted
    )
    text, links = _summary(deck)
    assert text == (
        "2 exceptions this week \u00b7 0 explained \u00b7 2 waiting: "
        "Page latency (p90), In-stock rate"
    )
    assert links == [
        ("Page latency (p90)", "#card-page_latency_p90"),
        ("In-stock rate", "#card-in_stock_rate"),
    ]
    good = _of_type(_by_id(deck_layout(deck), ids.DECK_EXCEPTIONS), "A")[1]
    assert FLAG_GOOD in good.className.split()


def test_header_says_when_there_are_no_exceptions() -> None:
    latency = _chart("page_latency_p90")
    explained = _note(latency, 0, status="explained", explained_by="Prime Day")
    for deck in (
        _with_charts(dataclasses.replace(latency, anomalies=())),
        _with_charts(dataclasses.replace(latency, anomalies=(explained,))),  # not discussed
    ):
        assert _summary(deck) == ("No exceptions this week", [])
