"""A deck's Dash tree as HTML text, with its figures set aside to be drawn lazily.

Dash's renderer keeps every component of a page in its store and, on every
change of any prop (each chart reports its size once drawn), walks them: with
about 200 components a card, a deck of 17 cards took 40 s to draw in headless
Chromium and one of 100 did not finish in 15 minutes (docs/browser.md). So
the deck page sends its cards as one HTML string, which the browser parses
natively in milliseconds, and `dashboards/assets/deck.js` puts it in the page
and draws each chart with plotly.js when it scrolls into view. Dash keeps only
the page's shell (pickers, stores, the note editor).

The tree is the one `dashboards.layout.deck_layout` builds, so the DOM is the
one Dash would make: same tags, ids, classes and `data-*` attributes. Three
Dash components are written by hand: a `dcc.Graph` becomes an empty
`div.chart` whose figure goes into the payload's `figures`, keyed by the
graph's id; a `dcc.Markdown` (an owner's note, already rendered and sanitised
by `wbr.notes.markdown`) is written as the HTML it holds; a `dcc.Link` is a
plain link.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Final, TypedDict

from dash.development.base_component import Component

HTML_NAMESPACE: Final = "dash_html_components"
DCC_NAMESPACE: Final = "dash_core_components"
CHART_CLASS: Final = "chart"  # the div a figure is drawn into (dashboards/assets/deck.js)
DATA_FIGURE: Final = "data-figure"  # on a chart div: the key of its figure in the payload
# React prop names → HTML attribute names.
ATTRIBUTES: Final = {
    "className": "class",
    "colSpan": "colspan",
    "rowSpan": "rowspan",
    "htmlFor": "for",
    "tabIndex": "tabindex",
}
# Props that are Dash's bookkeeping, not attributes.
NOT_ATTRIBUTES: Final = frozenset(
    {"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "loading_state", "key"}
)
VOID_TAGS: Final = frozenset({"br", "hr", "img", "input", "col", "wbr"})


class DeckPayload(TypedDict):
    """What the deck page's store holds: the HTML and the figures to draw in it."""

    html: str
    figures: dict[str, Any]  # chart id → a Plotly figure dict
    key: str  # what was drawn ("path|week|view|section|stamp"): the page reports it once drawn
    more: bool  # whether more cards follow (`LaterPayload`), asked for once these are shown


class LaterPayload(TypedDict):
    """The cards that follow a deck page's first part, per section, and their figures."""

    key: str  # the key of the page they belong to
    parts: list[tuple[str, str]]  # (section id, the HTML of the cards to append to it)
    figures: dict[str, Any]


def _attribute_value(name: str, value: Any) -> str | None:
    """The attribute's text, or None to leave it out (False, None, "")."""
    if value is None or value is False or value == "":
        return None
    if value is True:
        return ""
    if name == "style" and isinstance(value, dict):
        return "; ".join(f"{_kebab(key)}: {item}" for key, item in value.items())
    if name == "id" and isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))  # as Dash writes it
    return str(value)


def _kebab(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name)


def _open_tag(tag: str, props: dict[str, Any], extra_class: str = "") -> str:
    parts = [tag]
    for name, value in props.items():
        if name in NOT_ATTRIBUTES:
            continue
        if name == "className" and extra_class:
            value = f"{extra_class} {value}" if value else extra_class
        text = _attribute_value(name, value)
        if text is None:
            continue
        attribute = ATTRIBUTES.get(name, name)
        parts.append(attribute if text == "" else f'{attribute}="{escape(text)}"')
    if extra_class and "className" not in props:
        parts.append(f'class="{extra_class}"')
    return "<" + " ".join(parts) + ">"


class HtmlWriter:
    """Writes one tree; collects the figures of its charts."""

    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}
        self._out: list[str] = []

    def text(self) -> str:
        return "".join(self._out)

    def write(self, node: Any) -> None:
        if node is None or node is False:
            return
        if isinstance(node, str):
            self._out.append(escape(node, quote=False))
        elif isinstance(node, int | float):
            self._out.append(str(node))
        elif isinstance(node, list | tuple):
            for child in node:
                self.write(child)
        elif isinstance(node, Component):
            self._node(node.to_plotly_json())  # type: ignore[no-untyped-call]  # Dash's
        elif isinstance(node, dict):
            self._node(node)
        else:
            raise TypeError(f"cannot write {type(node).__name__} as HTML")

    def _node(self, node: dict[str, Any]) -> None:
        namespace, kind = node.get("namespace"), str(node["type"])
        props: dict[str, Any] = node.get("props", {})
        if namespace == HTML_NAMESPACE:
            tag = kind.lower()
            self._out.append(_open_tag(tag, props))
            if tag not in VOID_TAGS:
                self.write(props.get("children"))
                self._out.append(f"</{tag}>")
        elif namespace == DCC_NAMESPACE and kind == "Graph":
            self._chart(props)
        elif namespace == DCC_NAMESPACE and kind == "Markdown":
            # Only owners' notes are Markdown here, and their HTML is sanitised (nh3).
            self._out.append(_open_tag("div", {"className": props.get("className")}))
            self._out.append(str(props.get("children") or ""))
            self._out.append("</div>")
        elif namespace == DCC_NAMESPACE and kind == "Link":
            self._out.append(_open_tag("a", {"href": props.get("href"), **_classes(props)}))
            self.write(props.get("children"))
            self._out.append("</a>")
        else:
            raise TypeError(f"no HTML form for {namespace}.{kind}")

    def _chart(self, props: dict[str, Any]) -> None:
        chart_id = str(props["id"])
        self.figures[chart_id] = {"figure": props.get("figure"), "config": props.get("config")}
        attributes = {"id": chart_id, DATA_FIGURE: chart_id, **_classes(props)}
        self._out.append(_open_tag("div", attributes, extra_class=CHART_CLASS))
        self._out.append('<div class="chart-plot"></div></div>')


def _classes(props: dict[str, Any]) -> dict[str, Any]:
    return {"className": props["className"]} if props.get("className") else {}


def payload(tree: Any, key: str, more: bool = False) -> DeckPayload:
    """`tree` (components and elements) as HTML, its figures beside it."""
    writer = HtmlWriter()
    writer.write(tree)
    return {"html": writer.text(), "figures": writer.figures, "key": key, "more": more}


def html_fragment(tree: Any) -> str:
    """`tree` as HTML (it must hold no figure)."""
    writer = HtmlWriter()
    writer.write(tree)
    return writer.text()


def later_payload(parts: list[tuple[str, list[Any]]], key: str) -> LaterPayload:
    """Cards to append to their sections, as HTML, with their figures."""
    figures: dict[str, Any] = {}
    texts = []
    for section_id, cards in parts:
        writer = HtmlWriter()
        writer.write(cards)
        texts.append((section_id, writer.text()))
        figures.update(writer.figures)
    return {"key": key, "parts": texts, "figures": figures}


EMPTY_KEY: Final = ""


def empty_payload(key: str = EMPTY_KEY) -> DeckPayload:
    """Nothing to draw: the page shows a Dash page (inbox, gaps) instead."""
    return {"html": "", "figures": {}, "key": key, "more": False}


__all__: Final = [
    "DeckPayload",
    "HtmlWriter",
    "LaterPayload",
    "empty_payload",
    "html_fragment",
    "later_payload",
    "payload",
]
