"""Every component id of the Dash app, in one place.

Layouts, callbacks and the browser tests all take ids from here, so renaming a
component cannot break one of them silently. Per-metric ids are functions of
the metric name (metric names match `^[a-z][a-z0-9_]*$`, so they are safe in ids).
"""

from __future__ import annotations

from datetime import date
from typing import Final

# Page shell (dashboards/app.py).
WEEK_SELECTOR: Final = "week-selector"
DECK_CONTAINER: Final = "deck-container"

# Deck header (dashboards/layout.py).
DECK: Final = "deck"
DECK_TITLE: Final = "deck-title"
DECK_PROJECT: Final = "deck-project"
DECK_WEEK: Final = "deck-week"
DECK_NOTE: Final = "deck-note"
DECK_FRESHNESS: Final = "deck-freshness"  # data as of, next refresh (wbr/schedule)
DECK_EXCEPTIONS: Final = "deck-exceptions"  # "2 exceptions this week: …", linking to the cards

# The html attribute on each box value cell that carries the model's number.
DATA_RAW: Final = "data-raw"
# The html attribute naming which of the nine box numbers (or four plan variances) a cell shows.
DATA_FIELD: Final = "data-field"
# The html attributes naming a metric table cell's row and column labels.
DATA_ROW: Final = "data-row"
DATA_COLUMN: Final = "data-column"
# The html attributes of a flag strip line: the flagged week (ISO date), its status
# ("open" or "explained") and severity ("low", "medium" or "high").
DATA_WEEK: Final = "data-week"
DATA_STATUS: Final = "data-status"
DATA_SEVERITY: Final = "data-severity"


def section_id(index: int) -> str:
    """The section at `index` (0-based, in deck order)."""
    return f"section-{index}"


def card_id(metric: str) -> str:
    """The card holding one metric's label, chart and box."""
    return f"card-{metric}"


def chart_id(metric: str) -> str:
    """The `dcc.Graph` of one metric's 6-12 chart."""
    return f"chart-{metric}"


def box_id(metric: str) -> str:
    """The table of nine numbers under one metric's chart."""
    return f"box-{metric}"


def box_cell_id(metric: str, field: str) -> str:
    """One value cell of a box; `field` is a `BoxTotals` field name such as "wow"."""
    return f"box-{metric}-{field}"


def box_plan_cell_id(metric: str, field: str) -> str:
    """One cell of a box's "vs Plan" row; `field` is a `PlanBox` field name such as "mtd"."""
    return f"box-{metric}-plan-{field}"


def tables_id(metric: str) -> str:
    """The collapsible section holding one metric's 6-week and 12-month tables."""
    return f"tables-{metric}"


def metric_table_id(metric: str, index: int) -> str:
    """One metric table, by its position in `Chart.tables` (0: 6 weeks, 1: 12 months)."""
    return f"table-{metric}-{index}"


def flags_id(metric: str) -> str:
    """The strip of one metric's flagged weeks, above its box."""
    return f"flags-{metric}"


def flag_id(metric: str, week_ending: date, detector: str) -> str:
    """One line of a flag strip: a flag is one (metric, week, detector), as in the store."""
    return f"flag-{metric}-{week_ending.isoformat()}-{detector}"


# Sign-in, pages and views (dashboards/app.py, dashboards/session.py).
URL: Final = "url"
PAGE_NAV: Final = "page-nav"
VIEW_SELECTOR: Final = "view-selector"  # all metrics, or this week's exceptions only
SIGNED_IN: Final = "signed-in"  # "Marco Bianchi · owner" and the sign-out form
SIGN_IN_LINK: Final = "sign-in-link"
SIGN_OUT_BUTTON: Final = "sign-out-button"
CSRF_TOKEN: Final = "csrf-token"  # a dcc.Store: the session's token, sent with every write
INBOX: Final = "inbox"
GAPS: Final = "gaps"

# The note editor (dashboards/editor.py): one panel per page, opened by any "Explain".
EDITOR: Final = "note-editor"
EDITOR_TARGET: Final = "note-editor-target"  # a dcc.Store: "metric|week|detector"
EDITOR_BASE: Final = "note-editor-base"  # a dcc.Store: the revision the edit is based on
EDITOR_TITLE: Final = "note-editor-title"
EDITOR_STATUS: Final = "note-editor-status"
EDITOR_CATEGORY: Final = "note-editor-category"
EDITOR_TEXT: Final = "note-editor-text"
EDITOR_SAVE: Final = "note-editor-save"
EDITOR_DELETE: Final = "note-editor-delete"
EDITOR_CANCEL: Final = "note-editor-cancel"
EDITOR_MESSAGE: Final = "note-editor-message"
EDITOR_CONFLICT: Final = "note-editor-conflict"
# Pattern-matching ids of the buttons that open the editor.
EXPLAIN_BUTTON: Final = "explain-button"
# On an "Explain" button: the note's target ("metric|week|detector"). The deck is HTML
# text, not Dash components (dashboards/html_text.py), so dashboards/assets/deck.js
# turns a click into EDITOR_REQUEST.
DATA_NOTE_TARGET: Final = "data-note-target"
EDITOR_REQUEST: Final = "note-editor-request"  # a dcc.Store: {"target": …, "at": ms}
# The html attribute of a note naming its status.
DATA_NOTE_STATUS: Final = "data-note-status"
DATA_RESPONSE: Final = "data-response"  # on an exception link: explained, investigating, waiting


def explain_button_id(target: str) -> dict[str, str]:
    """The button that opens the editor on `target` ("metric|week|detector")."""
    return {"type": EXPLAIN_BUTTON, "target": target}


def note_id(metric: str, week_ending: date, detector: str) -> str:
    """An owner's note on a flag, or on a metric-week (detector "")."""
    return f"note-{metric}-{week_ending.isoformat()}-{detector or 'week'}"


def history_id(metric: str, week_ending: date, detector: str) -> str:
    return f"history-{metric}-{week_ending.isoformat()}-{detector or 'week'}"


RENDERED: Final = "rendered-view"  # a dcc.Store: "path|week|view" the layout already drew

# The deck page as HTML text (dashboards/html_text.py, dashboards/assets/deck.js).
DECK_PAYLOAD: Final = "deck-payload"  # a dcc.Store: {"html", "figures", "key"}
DECK_HOST: Final = "deck-host"  # the div deck.js writes the HTML into; Dash leaves it empty
DECK_DRAWN: Final = "deck-drawn"  # a dcc.Store: the key of a shown payload with more to come
DECK_LATER: Final = "deck-later"  # a dcc.Store: the cards after the first part
DECK_APPENDED: Final = "deck-appended"  # a dcc.Store: the key whose later cards deck.js added
SECTION_SELECTOR: Final = "section-selector"  # every section, or one


# A metric's page (dashboards/metric_view.py) and the inputs → outputs view (drivers_view.py).
METRIC_PAGE: Final = "metric-page"
METRIC_DEFINITION: Final = "metric-definition"
DRIVERS: Final = "drivers"


def history_chart_id(metric: str, grain: str) -> str:
    """A metric page's history chart: grain "weeks" or "months"."""
    return f"history-{metric}-{grain}"


def driver_row_id(metric: str) -> str:
    """One input's row in the inputs → outputs view."""
    return f"driver-{metric}"
