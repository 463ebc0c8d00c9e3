"""Owners' notes on the cards: the note under its flag, the history, and "Explain".

A note shows its status badge, its cause category, the text (already rendered
and sanitised to HTML by `wbr.notes.markdown`), who wrote it and when, and a
collapsed history of every revision. "Explain" (or "Edit") appears only for a
person allowed to write on the metric, but it is only a convenience: the write
itself is authorized on the server (`dashboards.editor`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final

from dash import dcc

from dashboards import ids
from dashboards.cells import data_attributes
from dashboards.elements import Element, element
from wbr.deck.format import format_date, format_timestamp
from wbr.deck.model import Annotation, Chart, NoteRevision
from wbr.notes.model import METRIC_WEEK, NoteTarget

# Whether the person viewing may write notes on a chart's metric.
MayWrite = Callable[[Chart], bool]
EXPLAIN_LABEL: Final = "Explain"
EDIT_LABEL: Final = "Edit note"
ADD_NOTE_LABEL: Final = "Add a note for this week"


def never(_: Chart) -> bool:
    return False


def status_class(status: str) -> str:
    return "note-status-" + status.replace(" ", "-")


def explain_button(target: NoteTarget, label: str) -> Element:
    return element(
        "Button",
        label,
        id=ids.explain_button_id(target.key),
        className="explain-button",
        n_clicks=0,
        type="button",
        # The deck page is HTML text (dashboards/html_text.py): deck.js reads the target here.
        **data_attributes({ids.DATA_NOTE_TARGET: target.key}),
    )


def _revision_line(revision: NoteRevision) -> Element:
    category = f" \u00b7 {revision.category}" if revision.category else ""
    return element(
        "Li",
        [
            element(
                "Span",
                f"r{revision.revision} {revision.action} \u00b7 {revision.status}{category}",
                className="history-what",
            ),
            element(
                "Span",
                f" {revision.author_name}, {format_timestamp(revision.created_at)}",
                className="history-who",
            ),
            element("Pre", revision.text, className="history-text"),
        ],
    )


def annotation_block(metric: str, note: Annotation, may_write: bool) -> Element:
    """A note on `metric` as the deck shows it; `may_write` adds the "Edit note" button."""
    category = [element("Span", note.category, className="note-category")] if note.category else []
    byline = f"{note.author_name}, {format_timestamp(note.updated_at)}"
    if note.detector == METRIC_WEEK:
        byline = f"Note on w/e {format_date(note.week_ending)} \u00b7 {byline}"
    children: list[object] = [
        element(
            "Div",
            [
                element("Span", note.status.capitalize(), className="note-status-badge"),
                *category,
                element("Span", byline, className="note-byline"),
            ],
            className="note-head",
        ),
        dcc.Markdown(note.text_html, dangerously_allow_html=True, className="note-text"),
    ]
    if len(note.history) > 1:
        children.append(
            element(
                "Details",
                [
                    element("Summary", f"History ({len(note.history)} revisions)"),
                    element("Ol", [_revision_line(r) for r in reversed(note.history)]),
                ],
                id=ids.history_id(metric, note.week_ending, note.detector),
                className="note-history",
            )
        )
    if may_write:
        target = NoteTarget(metric, note.week_ending, note.detector)
        children.append(explain_button(target, EDIT_LABEL))
    return element(
        "Div",
        children,
        id=ids.note_id(metric, note.week_ending, note.detector),
        className=f"note {status_class(note.status)}",
        **data_attributes({ids.DATA_NOTE_STATUS: note.status}),
    )


def week_notes(chart: Chart, week_ending: date, may_write: bool) -> Element | None:
    """Notes on the chart's metric-weeks (not on a shown flag), and "Add a note"."""
    blocks: list[Element] = [
        annotation_block(chart.metric, note, may_write) for note in chart.notes
    ]
    has_own = any(
        note.week_ending == week_ending and note.detector == METRIC_WEEK for note in chart.notes
    )
    if may_write and not has_own:
        blocks.append(explain_button(NoteTarget(chart.metric, week_ending), ADD_NOTE_LABEL))
    if not blocks:
        return None
    return element("Div", blocks, className="week-notes")
