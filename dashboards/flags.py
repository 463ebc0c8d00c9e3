"""The exceptions of a deck: each card's flag strip and the header's summary.

A WBR discusses only exceptions. Each card lists its flagged weeks above the box,
newest first, one line per flag: a badge ("⚠ Exception", "▲ Exception" or
"Explained: <event>"), the week, the detector's sentence and the drivers of the
change. The deck header names the metrics with an open flag in the deck's week
and links to their cards, so the meeting can go straight to them. The chart's
rings (`wbr.deck.figures`) use the same tones.
"""

from __future__ import annotations

from typing import Final

from dash import html
from dash.development.base_component import Component

from dashboards import ids
from dashboards.cells import data_attributes
from dashboards.elements import Element, element
from dashboards.notes_view import EXPLAIN_LABEL, annotation_block, explain_button
from wbr.deck.flag_marks import (
    FLAG_BAD,
    FLAG_GOOD,
    flag_tone,
    newest_first,
    week_label,
)
from wbr.deck.format import (
    format_drivers,
    format_flag_badge,
    format_response_counts,
)
from wbr.deck.model import AnomalyNote, Chart, Deck
from wbr.notes.model import NoteTarget

SUMMARY_SEPARATOR: Final = ", "


def _severity_title(note: AnomalyNote) -> str:
    return f"{note.severity.capitalize()} severity \u00b7 {note.detector} detector"


def _response(chart: Chart, note: AnomalyNote, may_write: bool) -> Element | None:
    """The owner's note under the flag, or "Explain" for someone who may write one."""
    if note.annotation is not None:
        return annotation_block(chart.metric, note.annotation, may_write)
    if may_write:
        target = NoteTarget(chart.metric, note.week_ending, note.detector)
        return explain_button(target, EXPLAIN_LABEL)
    return None


def _flag_line(chart: Chart, note: AnomalyNote, may_write: bool = False) -> Element:
    parts: list[Element] = [
        element(
            "Span", format_flag_badge(note), className="flag-badge", title=_severity_title(note)
        ),
        element("Span", week_label(chart, note), className="flag-week"),
        element("Span", note.explanation, className="flag-text"),
    ]
    if note.drivers:
        parts.append(element("Span", format_drivers(note.drivers), className="flag-drivers"))
    response = _response(chart, note, may_write)
    if response is not None:
        parts.append(response)
    return element(
        "Li",
        parts,
        id=ids.flag_id(chart.metric, note.week_ending, note.detector),
        className=f"flag {flag_tone(note)} flag-{note.severity}",
        **data_attributes(
            {
                ids.DATA_WEEK: note.week_ending.isoformat(),
                ids.DATA_STATUS: note.status,
                ids.DATA_SEVERITY: note.severity,
            }
        ),
    )


def flag_strip(chart: Chart, may_write: bool = False) -> Element | None:
    """The chart's flagged weeks, newest first (an element); None when nothing was flagged."""
    if not chart.anomalies:
        return None
    return element(
        "Ul",
        [_flag_line(chart, note, may_write) for note in newest_first(chart)],
        id=ids.flags_id(chart.metric),
        className="flag-strip",
    )


def open_this_week(deck: Deck, chart: Chart) -> list[AnomalyNote]:
    """The chart's open flags of the deck's week: what the meeting discusses."""
    return list(deck.open_flags(chart))


def exceptions_summary(deck: Deck) -> Component:
    """ "2 exceptions this week · 1 explained · 1 waiting: In-stock rate, Revenue".

    Each label links to its card and says in `data-response` whether its owner
    has answered; a waiting one is marked so the leader sees who still owes one.
    """
    flagged = [(chart, open_this_week(deck, chart)) for chart in deck.charts]
    flagged = [(chart, notes) for chart, notes in flagged if notes]
    heading = format_response_counts(deck.exception_counts)
    if not flagged:
        return html.P(heading, id=ids.DECK_EXCEPTIONS, className="deck-exceptions none")
    children: list[Component | str] = [html.Span(f"{heading}: ", className="exceptions-count")]
    for index, (chart, notes) in enumerate(flagged):
        if index:
            children.append(SUMMARY_SEPARATOR)
        tone = FLAG_BAD if any(note.is_bad for note in notes) else FLAG_GOOD
        response = deck.response(chart) or ""
        children.append(
            html.A(
                chart.label,
                href=f"#{ids.card_id(chart.metric)}",
                className=f"exception-link {tone} response-{response}",
                title=f"{chart.owner}: {response}",
                **data_attributes({ids.DATA_RESPONSE: response}),
            )
        )
    return html.P(children, id=ids.DECK_EXCEPTIONS, className="deck-exceptions")
