"""The note editor: one panel per page, opened by any "Explain" or "Edit note" button.

Every write is a Dash callback, and every one of them does the same three checks
on the server before anything is stored: the request carries the session's CSRF
token, the person signed in may write on this metric (`NoteDesk` → `authorize`),
and the edit is based on the note's current revision. A forged request fails the
first two with 403; an outdated one is refused with both texts, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import flask
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.cells import data_attributes
from dashboards.html_text import DeckPayload
from dashboards.session import csrf_matches, current_person
from wbr.errors import AccessError
from wbr.notes.model import CAUSE_CATEGORIES, MAX_NOTE_LENGTH, NoteConflict, NoteStatus, NoteTarget
from wbr.notes.service import Forbidden, NoteDesk
from wbr.notes.store import get_note
from wbr.people.roles import Action

OPEN_CLASS: Final = "note-editor open"
CLOSED_CLASS: Final = "note-editor"
# Draws the page the editor sits on again (after a save), from the URL's path and query.
Rerender = Callable[[str | None, str | None], DeckPayload]


def editor_panel() -> Component:
    return html.Aside(
        [
            dcc.Store(id=ids.EDITOR_REQUEST),  # set by deck.js when "Explain" is clicked
            dcc.Store(id=ids.EDITOR_TARGET),
            dcc.Store(id=ids.EDITOR_BASE),
            html.H3(id=ids.EDITOR_TITLE, className="editor-title"),
            html.Label(
                [
                    "Status",
                    dcc.Dropdown(
                        id=ids.EDITOR_STATUS,
                        options=[
                            {"label": s.value.capitalize(), "value": s.value} for s in NoteStatus
                        ],
                        value=NoteStatus.EXPLAINED.value,
                        clearable=False,
                        searchable=False,
                    ),
                ]
            ),
            html.Label(
                [
                    "Cause (optional)",
                    dcc.Dropdown(
                        id=ids.EDITOR_CATEGORY,
                        options=[{"label": c.capitalize(), "value": c} for c in CAUSE_CATEGORIES],
                        placeholder="Pick a cause category",
                    ),
                ]
            ),
            html.Label(
                [
                    "What happened, and what are we doing about it? (Markdown)",
                    dcc.Textarea(
                        id=ids.EDITOR_TEXT, maxLength=MAX_NOTE_LENGTH, className="editor-text"
                    ),
                ]
            ),
            html.Div(id=ids.EDITOR_CONFLICT, className="editor-conflict"),
            html.Div(id=ids.EDITOR_MESSAGE, className="editor-message", role="status"),
            html.Div(
                [
                    html.Button("Save", id=ids.EDITOR_SAVE, n_clicks=0, className="primary"),
                    html.Button("Delete note", id=ids.EDITOR_DELETE, n_clicks=0),
                    html.Button("Cancel", id=ids.EDITOR_CANCEL, n_clicks=0),
                ],
                className="editor-buttons",
            ),
        ],
        id=ids.EDITOR,
        className=CLOSED_CLASS,
        **data_attributes({"aria-label": "Note editor"}),
    )


def _conflict(error: NoteConflict) -> Component:
    """Both texts side by side, so the person can merge theirs into the current one."""
    current = error.current.current
    return html.Div(
        [
            html.P(
                f"{current.author} saved revision {current.revision} while you were writing. "
                "Nothing was overwritten: merge the two texts below into the box above and "
                "save again.",
                className="conflict-explanation",
            ),
            html.Div(
                [
                    html.H4(f"Current (revision {current.revision}, {current.status.value})"),
                    html.Pre(current.text, className="conflict-theirs"),
                ]
            ),
            html.Div([html.H4("Yours"), html.Pre(error.yours, className="conflict-yours")]),
        ]
    )


def _refuse(reason: str) -> None:
    flask.abort(403, description=reason)


def register_editor(app: Dash, desk: NoteDesk, labels: dict[str, str], rerender: Rerender) -> None:
    """The editor's callbacks: open, save, delete."""

    @app.callback(
        Output(ids.EDITOR, "className"),
        Output(ids.EDITOR_TARGET, "data"),
        Output(ids.EDITOR_BASE, "data"),
        Output(ids.EDITOR_TITLE, "children"),
        Output(ids.EDITOR_STATUS, "value"),
        Output(ids.EDITOR_CATEGORY, "value"),
        Output(ids.EDITOR_TEXT, "value"),
        Output(ids.EDITOR_CONFLICT, "children"),
        Output(ids.EDITOR_MESSAGE, "children"),
        Input(ids.EDITOR_REQUEST, "data"),
        Input(ids.EDITOR_CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_editor(request: object, _cancel: int | None) -> tuple[Any, ...]:
        # The buttons are in the deck's HTML text (dashboards/html_text.py), not Dash
        # components: deck.js writes {"target": "metric|week|detector", "at": ms} here.
        if ctx.triggered_id == ids.EDITOR_CANCEL:
            return (CLOSED_CLASS, None, None, "", no_update, no_update, "", None, "")
        if not isinstance(request, dict) or not request.get("target"):
            raise PreventUpdate
        try:
            target = NoteTarget.parse(str(request["target"]))
        except ValueError:
            raise PreventUpdate from None
        note = get_note(desk.engine, target)
        where = f"{labels.get(target.metric, target.metric)} \u00b7 w/e {target.week_ending}"
        title = f"{where} \u00b7 {target.detector} flag" if target.on_flag else where
        decision = desk.decide(current_person(), Action.WRITE_NOTE, target.metric)
        message = "" if decision.allowed else f"You cannot write here: {decision.reason}."
        if note is None:
            return (
                OPEN_CLASS,
                target.key,
                None,
                title,
                NoteStatus.EXPLAINED.value,
                None,
                "",
                None,
                message,
            )
        current = note.current
        return (
            OPEN_CLASS,
            target.key,
            note.revision,
            f"{title} \u00b7 revision {note.revision}",
            current.status.value,
            current.category,
            current.text,
            None,
            message,
        )

    @app.callback(
        Output(ids.EDITOR_MESSAGE, "children", allow_duplicate=True),
        Output(ids.EDITOR_CONFLICT, "children", allow_duplicate=True),
        Output(ids.EDITOR_BASE, "data", allow_duplicate=True),
        Output(ids.EDITOR, "className", allow_duplicate=True),
        Output(ids.DECK_PAYLOAD, "data", allow_duplicate=True),
        Input(ids.EDITOR_SAVE, "n_clicks"),
        State(ids.EDITOR_TARGET, "data"),
        State(ids.EDITOR_BASE, "data"),
        State(ids.EDITOR_STATUS, "value"),
        State(ids.EDITOR_CATEGORY, "value"),
        State(ids.EDITOR_TEXT, "value"),
        State(ids.CSRF_TOKEN, "data"),
        State(ids.URL, "pathname"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def save(
        clicks: int | None,
        target_key: object,
        base: object,
        status: object,
        category: object,
        text: object,
        token: object,
        pathname: str | None,
        search: str | None,
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        if not csrf_matches(token):
            _refuse("the request does not carry this session's token")
        try:
            target = NoteTarget.parse(str(target_key))
            note = desk.write(
                current_person(),
                target,
                status=str(status),
                category=str(category) if category else None,
                text=str(text or ""),
                base_revision=base if isinstance(base, int) else None,
            )
        except Forbidden as refused:
            _refuse(str(refused))
            raise  # unreachable: abort raises
        except NoteConflict as conflict:
            return ("", _conflict(conflict), conflict.current.revision, OPEN_CLASS, no_update)
        except (AccessError, ValueError) as problem:
            return (str(problem), no_update, no_update, OPEN_CLASS, no_update)
        saved = f"Saved revision {note.revision}."
        return (saved, None, note.revision, CLOSED_CLASS, rerender(pathname, search))

    @app.callback(
        Output(ids.EDITOR_MESSAGE, "children", allow_duplicate=True),
        Output(ids.EDITOR, "className", allow_duplicate=True),
        Output(ids.DECK_PAYLOAD, "data", allow_duplicate=True),
        Input(ids.EDITOR_DELETE, "n_clicks"),
        State(ids.EDITOR_TARGET, "data"),
        State(ids.CSRF_TOKEN, "data"),
        State(ids.URL, "pathname"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )
    def delete(
        clicks: int | None,
        target_key: object,
        token: object,
        pathname: str | None,
        search: str | None,
    ) -> tuple[Any, ...]:
        if not clicks:
            raise PreventUpdate
        if not csrf_matches(token):
            _refuse("the request does not carry this session's token")
        try:
            note = get_note(desk.engine, NoteTarget.parse(str(target_key)))
            if note is None:
                return ("There is no note to delete.", OPEN_CLASS, no_update)
            desk.delete(current_person(), note.id)
        except Forbidden as refused:
            _refuse(str(refused))
            raise
        except (AccessError, ValueError) as problem:
            return (str(problem), OPEN_CLASS, no_update)
        return ("Deleted; an admin can restore it.", CLOSED_CLASS, rerender(pathname, search))
