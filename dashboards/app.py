"""The Dash app: a week selector and the deck of the chosen week.

The app only renders: a `DeckSource` (built on the SQL store elsewhere) hands
it finished `Deck` objects, and `dashboards.layout.deck_layout` draws them. The
page layout is a function, so each page load sees the weeks computed since the
server started.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final, Protocol

import dash
from dash import Input, Output, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.layout import deck_layout
from wbr.deck.format import format_date
from wbr.deck.model import Deck

ASSETS_DIR: Final = Path(__file__).parent / "assets"
DEFAULT_TITLE: Final = "Weekly Business Review"
NO_DATA_TEXT: Final = "No weeks with data yet: load and compute the metrics, then reload."


class DeckSource(Protocol):
    """Where the app gets its decks from."""

    def weeks(self) -> list[date]:
        """Week-ending dates that have data, newest last."""
        ...

    def deck(self, week_ending: date | None) -> Deck:
        """The deck of the week ending `week_ending`; None means the latest week."""
        ...


def _week_options(weeks: list[date]) -> list[dict[str, str]]:
    """Dropdown options, newest first: "w/e Sat 25 Sep 2021"."""
    return [{"label": f"w/e {format_date(w)}", "value": w.isoformat()} for w in reversed(weeks)]


def _page(source: DeckSource) -> Component:
    weeks = source.weeks()
    if not weeks:
        content: Component = html.P(NO_DATA_TEXT, className="no-data")
        selector: Component = html.Div()
    else:
        latest = weeks[-1]
        content = deck_layout(source.deck(latest))
        selector = html.Label(
            [
                html.Span("Week", className="week-selector-label"),
                dcc.Dropdown(
                    id=ids.WEEK_SELECTOR,
                    options=_week_options(weeks),
                    value=latest.isoformat(),
                    clearable=False,
                    searchable=False,
                    className="week-selector",
                ),
            ],
            className="week-selector-wrap",
        )
    return html.Div(
        [
            html.Nav([html.Span("WBR", className="brand"), selector], className="top-bar"),
            html.Main(content, id=ids.DECK_CONTAINER),
        ],
        className="page",
    )


def create_app(source: DeckSource) -> dash.Dash:
    """A Dash app that shows `source`'s decks, latest week first."""
    title = source.deck(None).title if source.weeks() else DEFAULT_TITLE
    app = dash.Dash(
        __name__,
        title=title,
        update_title=None,  # type: ignore[arg-type]  # None keeps the tab title still
        assets_folder=str(ASSETS_DIR),
        suppress_callback_exceptions=True,  # the selector exists only when there is data
    )
    app.layout = lambda: _page(source)

    @app.callback(
        Output(ids.DECK_CONTAINER, "children"),
        Input(ids.WEEK_SELECTOR, "value"),
        prevent_initial_call=True,  # the page already shows the latest week
    )
    def show_week(value: str | None) -> Component:
        weeks = {week.isoformat(): week for week in source.weeks()}
        if value is None or value not in weeks:
            raise PreventUpdate
        return deck_layout(source.deck(weeks[value]))

    return app


def serve(app: dash.Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the app's web server until interrupted (debug off)."""
    print(f"Serving the WBR deck at http://{host}:{port}")
    app.run(host=host, port=port, debug=False)
