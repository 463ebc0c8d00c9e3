"""The Dash component tree as the browser gets it, for tests that read a rendered deck.

Cards are built as plain elements (`dashboards.elements`), the page around them as Dash
components; both are read here from the JSON that Dash sends, so a test checks what the
browser would get rather than Python objects it never sees.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from plotly.io.json import to_json_plotly

from wbr.deck.figures import SixTwelveFigure


class Node:
    """A component of the page as the browser gets it: a type and props, read as attributes."""

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
        return Node(value)
    return value


def as_nodes(value: Any) -> Any:
    """Components and elements (or lists of them) as `Node`s, via the JSON Dash sends."""
    if value is None or isinstance(value, str | Node):
        return value
    if isinstance(value, list | tuple):
        return [as_nodes(item) for item in value]
    return _wrap(json.loads(to_json_plotly(value)))


def walk(component: Any) -> Iterator[Any]:
    component = as_nodes(component)
    if isinstance(component, list):
        for child in component:
            yield from walk(child)
    elif isinstance(component, Node):
        yield component
        yield from walk(component.props.get("children"))


def by_id(root: Any, component_id: str) -> Any:
    matches = [c for c in walk(root) if getattr(c, "id", None) == component_id]
    assert len(matches) == 1, f"{component_id}: {len(matches)} components"
    return matches[0]


def text(component: Any) -> str:
    component = as_nodes(component)
    return "".join(
        child if isinstance(child, str) else text(getattr(child, "children", ""))
        for child in (component if isinstance(component, list) else [component])
        if child is not None
    )


def traces(figure: SixTwelveFigure) -> dict[str, Any]:
    return {trace["uid"]: trace for trace in figure["data"]}


def of_type(root: Any, name: str) -> list[Any]:
    return [c for c in walk(root) if c.node_type == name]


def props(component: Any) -> dict[str, Any]:
    props: dict[str, Any] = as_nodes(component).props
    return props
