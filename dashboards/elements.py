"""HTML elements as Dash sends them to the browser: plain dicts, not Dash components.

On its way to the browser, `html.Td("4.3%", className="x")` becomes the JSON object
`{"type": "Td", "namespace": "dash_html_components", "props": {"children": "4.3%",
"className": "x"}}`, and the browser renders that object, whoever built it. Building
the component checks every keyword and serializing it walks all its possible props,
about 25 µs an element; a metric card has about 170 elements (mostly table cells) and a
deck up to 300 cards, so the cards are built as these dicts directly (under 1 µs each).
The page around them (header, sections, the charts' `dcc.Graph`) stays Dash components,
which may hold elements and be held by them.

`element` does not check prop names as Dash would: tests/test_dashboard_layout.py
rebuilds every element of a deck as its Dash component, which does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeAlias, cast

from dash.development.base_component import Component, ComponentType

HTML_NAMESPACE: Final = "dash_html_components"

Element: TypeAlias = dict[str, Any]
# What an element or a component can hold: elements, components, text, or lists of them.
Child: TypeAlias = Element | Component | str | None


def element(tag: str, children: Any = None, /, **props: Any) -> Element:
    """The `dash.html.<tag>` element with `children` and `props`, as Dash serializes it.

    Like a Dash component, it always has `children` (None when empty); `props` may
    include `data-*` and `aria-*` attributes, passed as `**{"data-raw": "1.0"}`.
    """
    return {"type": tag, "namespace": HTML_NAMESPACE, "props": {"children": children, **props}}


def as_children(items: Sequence[Child]) -> ComponentType:
    """`items` as a Dash component's children: Dash's type hints leave elements out."""
    return cast(ComponentType, list(items))
