"""The Dash app: the deck of a chosen week, the owner's inbox and the response gaps.

The app only renders: a `DeckSource` hands it finished `Deck` objects, and
`dashboards.layout.deck_layout` draws them. The page's address says what it
shows (`/?week=2026-11-28&view=exceptions`, `/inbox`, `/gaps?week=…`), so a link
opens the same view; the week and view pickers rewrite the address. With a
`Site` (the store's people and notes), people sign in (`dashboards.session`)
and owners explain their flags in place (`dashboards.editor`); without one the
app is a read-only deck.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import dash
import flask
from dash import Input, Output, State, ctx, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.editor import editor_panel, register_editor
from dashboards.layout import VIEW_ALL, VIEW_EXCEPTIONS, deck_layout
from dashboards.notes_view import MayWrite, never
from dashboards.pages import gaps_page, inbox_page
from dashboards.security import harden
from dashboards.session import SignInGate, current_person, current_session
from dashboards.source import Site
from wbr.deck.format import format_date
from wbr.deck.model import Chart, Deck
from wbr.deck.responses import inbox
from wbr.people.accounts import delegates
from wbr.people.roles import Action, Person, authorize

ASSETS_DIR: Final = Path(__file__).parent / "assets"
DEFAULT_TITLE: Final = "Weekly Business Review"
NO_DATA_TEXT: Final = "No weeks with data yet: load and compute the metrics, then reload."
INBOX_PATH: Final = "/inbox"
GAPS_PATH: Final = "/gaps"
VIEW_OPTIONS: Final = [
    {"label": "All metrics", "value": VIEW_ALL},
    {"label": "Exceptions only", "value": VIEW_EXCEPTIONS},
]


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


def _who(site: Site | None) -> Component:
    """ "Marco Bianchi · owner  [Sign out]", or a sign-in link."""
    if site is None:
        return html.Div(id=ids.SIGNED_IN)
    person, session = current_person(), current_session()
    if person is None or session is None:
        link = html.A("Sign in", href="/login", id=ids.SIGN_IN_LINK, className="sign-in-link")
        return html.Div(link, id=ids.SIGNED_IN, className="signed-in")
    sign_out = html.Form(
        [
            dcc.Input(type="hidden", name="csrf", value=session.csrf_token),
            html.Button("Sign out", type="submit", id=ids.SIGN_OUT_BUTTON),
        ],
        method="post",
        action="/logout",
        className="sign-out",
    )
    return html.Div(
        [html.Span(f"{person.name} \u00b7 {person.role.value}", className="who"), sign_out],
        id=ids.SIGNED_IN,
        className="signed-in",
    )


def _page_address() -> tuple[str, str]:
    """The path and query of the page being loaded, as far as the layout request tells.

    Dash fetches the layout with a request of its own; the browser names the page
    in its Referer header (same origin), so the first view is drawn in the layout
    itself, and the address callback does not draw it a second time.
    """
    if not flask.has_request_context() or not flask.request.referrer:
        return "/", ""
    page = urlsplit(flask.request.referrer)
    if page.netloc and page.netloc != flask.request.host:
        return "/", ""
    return page.path or "/", f"?{page.query}" if page.query else ""


def _page(source: DeckSource, site: Site | None, router: Router) -> Component:
    weeks = source.weeks()
    pathname, search = _page_address()
    week, view = router.state(search)
    session = current_session() if site is not None else None
    selector = html.Label(
        [
            html.Span("Week", className="week-selector-label"),
            dcc.Dropdown(
                id=ids.WEEK_SELECTOR,
                options=_week_options(weeks),
                value=week,
                clearable=False,
                searchable=False,
                className="week-selector",
            ),
        ],
        className="week-selector-wrap",
        hidden=not weeks,
    )
    views = dcc.RadioItems(
        id=ids.VIEW_SELECTOR,
        options=VIEW_OPTIONS,
        value=view,
        inline=True,
        className="view-selector",
    )
    nav = html.Div(
        [
            dcc.Link("Deck", href="/", className="nav-link"),
            dcc.Link("Inbox", href=INBOX_PATH, className="nav-link") if site else None,
            dcc.Link("Response gaps", href=GAPS_PATH, className="nav-link"),
        ],
        id=ids.PAGE_NAV,
        className="page-nav",
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.CSRF_TOKEN, data=session.csrf_token if session else None),
            html.Nav(
                [html.Span("WBR", className="brand"), nav, views, selector, _who(site)],
                className="top-bar",
            ),
            dcc.Store(id=ids.RENDERED, data=_rendered(pathname, week, view)),
            html.Main(router.render(pathname, week, view), id=ids.DECK_CONTAINER),
            editor_panel() if site is not None else None,
        ],
        className="page",
    )


def _writer(site: Site | None, person: Person | None) -> MayWrite:
    """Whether `person` may write on a chart, deciding with one read of the delegates."""
    if site is None or person is None:
        return never
    handed = delegates(site.engine)

    def may_write(chart: Chart) -> bool:
        decision = authorize(
            person,
            Action.WRITE_NOTE,
            metric_owner=chart.owner_key,
            delegates=handed.get(chart.metric, frozenset()),
        )
        return decision.allowed

    return may_write


class Router:
    """The address → what the page shows."""

    def __init__(self, source: DeckSource, site: Site | None) -> None:
        self.source = source
        self.site = site

    def state(self, search: str | None) -> tuple[str | None, str]:
        """The week (ISO) and view the query asks for, each checked (else the default)."""
        query = parse_qs((search or "").lstrip("?"))
        weeks = [week.isoformat() for week in self.source.weeks()]
        week = query.get("week", [""])[0]
        view = query.get("view", [VIEW_ALL])[0]
        return (
            week if week in weeks else (weeks[-1] if weeks else None),
            view if view in (VIEW_ALL, VIEW_EXCEPTIONS) else VIEW_ALL,
        )

    def render(self, pathname: str | None, week: str | None, view: str) -> Component:
        person = current_person() if self.site is not None else None
        if pathname == INBOX_PATH and self.site is not None:
            items = inbox(self.site.engine, self.site.registry, person) if person else []
            return inbox_page(person, items)
        if week is None:
            return html.P(NO_DATA_TEXT, className="no-data")
        deck = self.source.deck(date.fromisoformat(week))
        if pathname == GAPS_PATH:
            return gaps_page(deck)
        return deck_layout(deck, _writer(self.site, person), view)

    def rerender(self, pathname: str | None, search: str | None) -> Component:
        week, view = self.state(search)
        return self.render(pathname, week, view)


def _rendered(pathname: str | None, week: str | None, view: str) -> str:
    return f"{pathname or '/'}|{week}|{view}"


def _query(week: str | None, view: str) -> str:
    params = {"week": week} if week else {}
    if view != VIEW_ALL:
        params["view"] = view
    return f"?{urlencode(params)}" if params else ""


def create_app(source: DeckSource, site: Site | None = None) -> dash.Dash:
    """A Dash app that shows `source`'s decks; with `site`, people sign in and write notes."""
    title = source.deck(None).title if source.weeks() else DEFAULT_TITLE
    app = dash.Dash(
        __name__,
        title=title,
        update_title=None,  # type: ignore[arg-type]  # None keeps the tab title still
        assets_folder=str(ASSETS_DIR),
        suppress_callback_exceptions=True,  # the deck's buttons come and go with the page
    )
    if site is not None:
        SignInGate(site.engine, site.registry.access, title).install(app.server)
    router = Router(source, site)
    app.layout = lambda: _page(source, site, router)

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.WEEK_SELECTOR, "value"),
        Output(ids.VIEW_SELECTOR, "value"),
        Output(ids.DECK_CONTAINER, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
        Input(ids.WEEK_SELECTOR, "value"),
        Input(ids.VIEW_SELECTOR, "value"),
        State(ids.RENDERED, "data"),
    )
    def show(
        pathname: str | None,
        search: str | None,
        week: str | None,
        view: str | None,
        rendered: str | None,
    ) -> tuple[Any, ...]:
        # The pickers rewrite the address; the address (a link, back, reload) sets the pickers.
        if ctx.triggered_id in (ids.WEEK_SELECTOR, ids.VIEW_SELECTOR):
            week, view = router.state(_query(week, view or VIEW_ALL))
        else:
            week, view = router.state(search)
            if ctx.triggered_id is None and rendered == _rendered(pathname, week, view):
                raise PreventUpdate  # the layout already drew this view
        return _query(week, view), week, view, router.render(pathname, week, view)

    if site is not None:
        labels = {metric.name: metric.label for metric in site.registry.metrics}
        register_editor(app, site.desk, labels, router.rerender)
    harden(app)  # last: the policy lists the hashes of every inline script registered above
    return app


def serve(app: dash.Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the app's web server until interrupted (debug off)."""
    print(f"Serving the WBR deck at http://{host}:{port}")
    app.run(host=host, port=port, debug=False)


__all__: Final = ["DeckSource", "Site", "create_app", "serve"]
