"""The deck's flags in Dash: rings and bands on the chart, the strip above the box, the
header's list of this week's exceptions (on the component tree, no browser)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import dash_tree
from deck_fixtures import sample_deck

from dashboards import ids
from dashboards.flags import exceptions_summary, flag_strip
from dashboards.layout import deck_layout
from wbr.deck.figures import FLAG_BANDS, FLAG_COLORS, FLAGS, six_twelve_figure
from wbr.deck.flag_marks import FLAG_BAD, FLAG_EXPLAINED, FLAG_GOOD
from wbr.deck.model import AnomalyNote, Chart, Deck, Section

DECK = sample_deck(date(2021, 9, 25))


def _chart(metric: str) -> Chart:
    return next(chart for chart in DECK.charts if chart.metric == metric)


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
    strip = dash_tree.as_nodes(flag_strip(chart))
    assert strip is not None and getattr(strip, "id", None) == ids.flags_id(chart.metric)
    lines = []
    for li in dash_tree.of_type(strip, "Li"):
        props = dash_tree.props(li)
        parts = {
            str(span.className): dash_tree.text(span.children)
            for span in dash_tree.of_type(li, "Span")
        }
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
    traces = dash_tree.traces(six_twelve_figure(latency, 2021))
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
    in_stock = dash_tree.traces(six_twelve_figure(_chart("in_stock_rate"), 2021))  # explained: grey
    assert list(in_stock[FLAGS]["x"]) == ["wk 35"]
    assert list(in_stock[FLAGS]["y"]) == [_chart("in_stock_rate").weeks[2].cy]
    assert list(in_stock[FLAGS]["marker"]["color"]) == [FLAG_COLORS[FLAG_EXPLAINED]]


def test_figure_rings_good_moves_green_and_skips_weeks_not_shown() -> None:
    latency = _chart("page_latency_p90")
    good = _note(latency, 1, is_bad=False)
    gone = dataclasses.replace(good, week_ending=date(2021, 1, 2))  # not among the six shown
    chart = dataclasses.replace(latency, anomalies=(gone, good, *latency.anomalies))
    traces = dash_tree.traces(six_twelve_figure(chart, 2021))
    assert list(traces[FLAGS]["x"]) == ["wk 37", "wk 38"]
    assert list(traces[FLAGS]["marker"]["color"]) == [FLAG_COLORS[FLAG_GOOD], FLAG_COLORS[FLAG_BAD]]
    assert list(traces[FLAG_BANDS]["x"]) == ["wk 37", "wk 38"]
    # The strip still lists it, by its date.
    lines = _strip_lines(chart)
    assert [line["flag-week"] for line in lines] == ["wk 38", "wk 37", "w/e Sat 2 Jan 2021"]


def test_figure_without_flags_has_no_rings_or_bands() -> None:
    for chart in (_chart("revenue"), dataclasses.replace(_chart("in_stock_rate"), anomalies=())):
        traces = dash_tree.traces(six_twelve_figure(chart, 2021))
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
    card = dash_tree.by_id(deck_layout(DECK), ids.card_id(latency.metric))
    order = [c.id for c in dash_tree.walk(card) if getattr(c, "id", None)]
    chart_at, strip_at, box_at = (
        order.index(ids.chart_id(latency.metric)),
        order.index(ids.flags_id(latency.metric)),
        order.index(ids.box_id(latency.metric)),
    )
    assert chart_at < strip_at < box_at


def test_no_flag_strip_without_flags() -> None:
    assert flag_strip(_chart("revenue")) is None
    card = dash_tree.by_id(deck_layout(DECK), ids.card_id("revenue"))
    assert not [c for c in dash_tree.walk(card) if str(getattr(c, "id", "")).startswith("flags-")]


def _summary(deck: Deck) -> tuple[str, list[tuple[str, str]]]:
    summary = dash_tree.by_id(deck_layout(deck), ids.DECK_EXCEPTIONS)
    assert dash_tree.text(summary.children) == dash_tree.text(exceptions_summary(deck).children)
    links = [(dash_tree.text(a.children), a.href) for a in dash_tree.of_type(summary, "A")]
    return dash_tree.text(summary.children), links


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
    good = dash_tree.of_type(dash_tree.by_id(deck_layout(deck), ids.DECK_EXCEPTIONS), "A")[1]
    assert FLAG_GOOD in good.className.split()


def test_header_says_when_there_are_no_exceptions() -> None:
    latency = _chart("page_latency_p90")
    explained = _note(latency, 0, status="explained", explained_by="Prime Day")
    for deck in (
        _with_charts(dataclasses.replace(latency, anomalies=())),
        _with_charts(dataclasses.replace(latency, anomalies=(explained,))),  # not discussed
    ):
        assert _summary(deck) == ("No exceptions this week", [])
