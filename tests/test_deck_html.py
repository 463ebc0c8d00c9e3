"""The deck page as HTML text: the same DOM Dash would build, and the plotly.js it needs."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import plotly
from deck_fixtures import SampleSource, sample_deck, synthetic_deck
from flask.testing import FlaskClient

from dashboards import ids
from dashboards.app import create_app
from dashboards.html_text import CHART_CLASS, payload
from dashboards.layout import deck_first_part, deck_layout
from dashboards.plotly_js import PLOTLY_JS_FILE, PLOTLY_JS_PATH
from dashboards.router import FIRST_CARDS
from wbr.deck.figures import six_twelve_figure

# The trace types of plotly.js's basic bundle (its README: "bar, pie and scatter").
BASIC_BUNDLE_TRACES = {"scatter", "bar", "pie"}


class _Tags(HTMLParser):
    """(tag, id, class) of every element, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.seen.append((tag, found.get("id"), found.get("class")))


def _walk(node: Any) -> list[tuple[str, str | None, str | None]]:
    """(tag, id, class) of every html element of a Dash tree, as Dash would render it."""
    if isinstance(node, list | tuple):
        return [item for child in node for item in _walk(child)]
    if not isinstance(node, dict):
        if hasattr(node, "to_plotly_json"):
            return _walk(node.to_plotly_json())
        return []
    props = node["props"]
    if node["namespace"] == "dash_core_components":
        if node["type"] == "Graph":  # a div deck.js draws into, and the div plotly.js takes
            return [("div", props["id"], CHART_CLASS), ("div", None, "chart-plot")]
        return [("div", None, props.get("className"))]  # an owner's note (Markdown)
    identity = props.get("id")
    if isinstance(identity, dict):
        identity = None  # compared below by its JSON text
    own = (node["type"].lower(), identity, props.get("className") or None)
    return [own, *_walk(props.get("children"))]


def test_html_text_has_the_elements_dash_would_render() -> None:
    deck = sample_deck()
    tree = deck_layout(deck)
    parser = _Tags()
    parser.feed(payload(tree, "k")["html"])
    seen = [
        (tag, identity if identity and identity[0] != "{" else None, classes)
        for tag, identity, classes in parser.seen
    ]
    assert seen == _walk(tree)
    figures = payload(tree, "k")["figures"]
    assert set(figures) == {ids.chart_id(chart.metric) for chart in deck.charts}
    for chart in deck.charts:
        expected = six_twelve_figure(chart, deck.week_ending.year, deck.currency_symbol)
        assert figures[ids.chart_id(chart.metric)]["figure"] == expected


def test_text_is_escaped_and_only_sanitised_notes_are_raw() -> None:
    deck = sample_deck()
    hostile = replace(deck.charts[0], label="<script>x</script>")
    section = replace(deck.sections[0], charts=(hostile,))
    text = payload(deck_layout(replace(deck, sections=(section,))), "k")["html"]
    assert "<script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text


def test_first_part_holds_the_first_cards_and_the_rest_follow_in_order() -> None:
    deck = synthetic_deck(35)
    first, later = deck_first_part(deck, first_cards=FIRST_CARDS)
    shown = re.findall(r'<article id="card-([a-z0-9_]+)"', payload(first, "k")["html"])
    assert shown == [chart.metric for chart in deck.charts[:FIRST_CARDS]]
    assert [chart.metric for _, chart in later.slots] == [
        chart.metric for chart in deck.charts[FIRST_CARDS:]
    ]
    appended = later.cards(deck)
    # Section 2 (10 cards a section) gets its last eight cards; 3 and 4 all of theirs.
    assert [(section, len(cards)) for section, cards in appended] == [
        (ids.section_id(1), 8),
        (ids.section_id(2), 10),
        (ids.section_id(3), 5),
    ]


def test_the_vendored_plotly_bundle_matches_the_plotly_package_and_draws_every_trace() -> None:
    head = PLOTLY_JS_FILE.read_text(encoding="utf-8")[:300]
    bundled = re.search(r"plotly\.js \(basic - minified\) v(\S+)", head)
    packaged = (plotly.__file__.rsplit("/", 1)[0]) + "/package_data/plotly.min.js"
    with open(packaged, encoding="utf-8") as full:
        version = re.search(r"plotly\.js v(\S+)", full.read(300))
    assert bundled and version and bundled.group(1) == version.group(1)
    deck = synthetic_deck(3)
    used = {
        trace["type"]
        for chart in deck.charts
        for trace in six_twelve_figure(chart, deck.week_ending.year)["data"]
    }
    assert used <= BASIC_BUNDLE_TRACES


def test_the_app_serves_plotly_js_itself() -> None:
    client: FlaskClient = create_app(SampleSource()).server.test_client()
    with client.get(PLOTLY_JS_PATH) as reply:
        assert reply.status_code == 200
        assert reply.mimetype == "text/javascript"
        assert reply.data.startswith(b"/**\n* plotly.js (basic - minified)")
