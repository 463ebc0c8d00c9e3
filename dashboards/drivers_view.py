"""The inputs → outputs view: each input, the outputs it drives, this week's moves.

One row per input that `drives:` something: the input's last week, WoW and YoY
on the left, the outputs it drives with theirs on the right; outputs no input
drives close the list. Changes are coloured by whether they are good for the
metric, as in the box, and an exception this week is marked. Every label links
to the metric's page.
"""

from __future__ import annotations

from typing import Final

from dashboards import ids
from dashboards.cells import data_attributes, raw_attribute, sign_tone
from dashboards.elements import Child, Element, element
from dashboards.metric_view import metric_href
from wbr.deck.drivers import DriverMap, Movement
from wbr.deck.format import format_change, format_date, format_value_full, text_sign

DRIVERS_TITLE: Final = "Inputs \u2192 outputs"
DRIVERS_NOTE: Final = (
    "Each controllable input beside the outputs it drives (drives: in metrics.yaml), "
    "with this week's moves: an output's move with no input's move behind it is worth a question."
)
NO_LINKS_TEXT: Final = "No metric lists drives: yet; add it to the inputs in metrics.yaml."
EXCEPTION_MARK: Final = "exception"


def _change(field: str, move: Movement) -> Element:
    change = move.wow if field == "wow" else move.yoy
    text = format_change(change)
    return element(
        "Span",
        f"{'WoW' if field == 'wow' else 'YoY'} {text}",
        className=f"move-change {sign_tone(text, text_sign(text), move.direction)}",
        **data_attributes({ids.DATA_FIELD: field, ids.DATA_RAW: raw_attribute(change.value)}),
    )


def movement(move: Movement, week: str) -> Element:
    """A metric's label (linking to its page), last week's value, WoW and YoY."""
    parts: list[Child] = [
        element("A", move.label, href=metric_href(move.metric, week), className="move-label"),
        element(
            "Span",
            format_value_full(move.last_week, move.unit, move.decimals),
            className="move-value",
            **data_attributes(
                {ids.DATA_FIELD: "last_week", ids.DATA_RAW: raw_attribute(move.last_week)}
            ),
        ),
        _change("wow", move),
        _change("yoy", move),
    ]
    if move.flagged:
        parts.append(element("Span", EXCEPTION_MARK, className="move-exception"))
    return element(
        "Div",
        parts,
        className=f"movement metric-{move.kind}",
        **data_attributes({"data-metric": move.metric}),
    )


def drivers_layout(drivers: DriverMap) -> Element:
    week = drivers.week_ending.isoformat()
    rows = [
        element(
            "Li",
            [
                element("Div", movement(link.input, week), className="driver-input"),
                element("Span", "\u2192", className="driver-arrow", **{"aria-hidden": "true"}),
                element(
                    "Div",
                    [movement(output, week) for output in link.outputs],
                    className="driver-outputs",
                ),
            ],
            id=ids.driver_row_id(link.input.metric),
            className="driver-row",
        )
        for link in drivers.links
    ]
    body: list[Child] = [
        element("H1", DRIVERS_TITLE),
        element("P", f"Week ending {format_date(drivers.week_ending)}", className="deck-week"),
        element("P", DRIVERS_NOTE, className="deck-note"),
        element("Ol", rows, className="driver-rows") if rows else element("P", NO_LINKS_TEXT),
    ]
    if drivers.undriven_outputs:
        body += [
            element("H2", "Outputs no input here drives", className="section-title"),
            element(
                "Div",
                [movement(move, week) for move in drivers.undriven_outputs],
                className="driver-outputs undriven",
            ),
        ]
    return element("Div", body, id=ids.DRIVERS, className="page-drivers")
