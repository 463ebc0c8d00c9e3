"""The Dash app: the deck of a chosen week, the owner's inbox and the response gaps.

The app only renders: a `DeckSource` hands it finished `Deck` objects, and
`dashboards.layout` draws them. The page's address says what it shows
(`/?week=2026-11-28&view=exceptions&section=outputs`, `/metric?metric=revenue&week=…`,
`/drivers?week=…`, `/inbox`, `/gaps?week=…`; `dashboards.address`), so a link
opens the same view; the week, view and section pickers rewrite the address. The
deck, metric and drivers pages reach the browser as HTML text and figures
(`dashboards.html_text`), which `assets/deck.js` shows, drawing each chart once as
it comes into view; the deck's first cards come with the page, the rest right after. With a
`Site` (the store's people and notes), people sign in (`dashboards.session`)
and owners explain their flags in place (`dashboards.editor`); without one the
app is a read-only deck.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import urlsplit

import dash
import flask
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboards import ids
from dashboards.address import (
    ALL_SECTIONS,
    METRIC_PARAM,
    VIEW_ALL,
    VIEW_EXCEPTIONS,
    DeckAddress,
    parse_address,
    query_value,
    section_slug,
)
from dashboards.drivers_view import drivers_layout
from dashboards.editor import editor_panel, register_editor
from dashboards.html_text import (
    DeckPayload,
    LaterPayload,
    empty_payload,
    later_payload,
    payload,
)
from dashboards.layout import deck_first_part
from dashboards.metric_view import METRIC_PATH, metric_page_layout
from dashboards.notes_view import MayWrite, never
from dashboards.pages import gaps_page, inbox_page
from dashboards.plotly_js import serve_plotly_js
from dashboards.session import SignInGate, current_person, current_session
from dashboards.source import Site
from wbr.deck.drivers import driver_map
from wbr.deck.format import format_date
from wbr.deck.metric_page import MetricPage
from wbr.deck.model import Chart, Deck
from wbr.deck.responses import inbox
from wbr.people.accounts import delegates
from wbr.people.roles import Action, Person, authorize

ASSETS_DIR: Final = Path(__file__).parent / "assets"
DEFAULT_TITLE: Final = "Weekly Business Review"
NO_DATA_TEXT: Final = "No weeks with data yet: load and compute the metrics, then reload."
INBOX_PATH: Final = "/inbox"
GAPS_PATH: Final = "/gaps"
DRIVERS_PATH: Final = "/drivers"
ALL_SECTIONS_LABEL: Final = "All sections"
# Cards in a deck page's first response; the rest follow once these are shown. About
# three fill a laptop screen: twelve leave room to scroll while the rest arrive.
FIRST_CARDS: Final = 12
KEY_PARTS: Final = 6  # a payload's key: "path|week|view|section|metric|stamp"
VIEW_OPTIONS: Final = [
    {"label": "All metrics", "value": VIEW_ALL},
    {"label": "Exceptions only", "value": VIEW_EXCEPTIONS},
]


@runtime_checkable
class MetricPages(Protocol):
    """A source that also has metric pages (the store's: `dashboards.source`)."""

    def metric_page(self, metric: str, week_ending: date) -> MetricPage | None:
        """The page of `metric` opened from the deck of `week_ending`; None: no such metric."""
        ...


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


def _section_options(sections: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"label": ALL_SECTIONS_LABEL, "value": ALL_SECTIONS}] + [
        {"label": title, "value": slug} for slug, title in sections
    ]


def _page(source: DeckSource, site: Site | None, router: Router) -> Component:
    weeks = source.weeks()
    pathname, search = _page_address()
    shown = router.render(pathname, router.address(search))
    address = shown.address
    session = current_session() if site is not None else None
    selector = html.Label(
        [
            html.Span("Week", className="week-selector-label"),
            dcc.Dropdown(
                id=ids.WEEK_SELECTOR,
                options=_week_options(weeks),
                value=address.week,
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
        value=address.view,
        inline=True,
        className="view-selector",
    )
    sections = dcc.Dropdown(
        id=ids.SECTION_SELECTOR,
        options=_section_options(shown.sections),
        value=address.section,
        clearable=False,
        searchable=False,
        className="section-selector",
    )
    nav = html.Div(
        [
            dcc.Link("Deck", href="/", className="nav-link"),
            dcc.Link("Inputs → outputs", href=DRIVERS_PATH, className="nav-link"),
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
                [
                    html.Span("WBR", className="brand"),
                    nav,
                    html.Div([views, sections, selector], className="pickers"),
                    _who(site),
                ],
                className="top-bar",
            ),
            dcc.Store(id=ids.RENDERED, data=shown.payload["key"]),
            dcc.Store(id=ids.DECK_PAYLOAD, data=dict(shown.payload)),
            dcc.Store(id=ids.DECK_DRAWN),
            dcc.Store(id=ids.DECK_LATER),
            dcc.Store(id=ids.DECK_APPENDED),
            html.Main(
                [
                    html.Div(shown.children, id=ids.DECK_CONTAINER),
                    html.Div(id=ids.DECK_HOST),  # dashboards/assets/deck.js fills it
                ],
                className="page-main",
            ),
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


@dataclass(frozen=True, slots=True)
class Shown:
    """A page as the app sends it: Dash components, or the deck's HTML and figures."""

    address: DeckAddress  # what is shown: the address asked for, an unknown section dropped
    children: Component | None  # the inbox, the gaps, "no data"; None for a deck page
    payload: DeckPayload  # the deck page's HTML (empty for a Dash page)
    sections: list[tuple[str, str]]  # the deck's sections (slug, title), for the picker


class Router:
    """The address → what the page shows."""

    def __init__(self, source: DeckSource, site: Site | None) -> None:
        self.source = source
        self.site = site

    def address(self, search: str | None) -> DeckAddress:
        """The week, view and section the query asks for, each checked (else the default)."""
        return parse_address(search, [week.isoformat() for week in self.source.weeks()])

    def render(self, pathname: str | None, address: DeckAddress, stamp: str = "") -> Shown:
        """The page at `pathname` for `address`; `stamp` marks a redraw of the same view."""
        person = current_person() if self.site is not None else None
        key = f"{pathname or '/'}|{address.key}|{stamp}"
        if pathname == INBOX_PATH and self.site is not None:
            items = inbox(self.site.engine, self.site.registry, person) if person else []
            return Shown(address, inbox_page(person, items), empty_payload(key), [])
        if address.week is None:
            no_data = html.P(NO_DATA_TEXT, className="no-data")
            return Shown(address, no_data, empty_payload(key), [])
        deck = self.source.deck(date.fromisoformat(address.week))
        sections = [(section_slug(s.title), s.title) for s in deck.sections]
        if address.section not in dict(sections):
            address = replace(address, section=ALL_SECTIONS)
            key = f"{pathname or '/'}|{address.key}|{stamp}"
        if pathname == GAPS_PATH:
            return Shown(address, gaps_page(deck), empty_payload(key), sections)
        if pathname == DRIVERS_PATH:
            return Shown(address, None, payload(drivers_layout(driver_map(deck)), key), sections)
        if pathname == METRIC_PATH:
            return self._metric_page(address, key, sections)
        tree, later = deck_first_part(
            deck, _writer(self.site, person), address.view, address.section, FIRST_CARDS
        )
        return Shown(address, None, payload(tree, key, more=bool(later.slots)), sections)

    def _metric_page(
        self, address: DeckAddress, key: str, sections: list[tuple[str, str]]
    ) -> Shown:
        found = None
        if isinstance(self.source, MetricPages) and address.week is not None:
            found = self.source.metric_page(address.metric, date.fromisoformat(address.week))
        if found is None:
            missing = html.P(f"No metric named \u201c{address.metric}\u201d.", className="no-data")
            return Shown(address, missing, empty_payload(key), sections)
        return Shown(address, None, payload(metric_page_layout(found), key), sections)

    def later(self, key: str) -> LaterPayload | None:
        """The cards after the first part of the deck page with this key (None: none)."""
        parts = key.split("|")
        if len(parts) != KEY_PARTS or parts[0] != "/":  # only the deck comes in parts
            return None
        # The key comes back from the browser: check it as an address from the URL.
        address = self.address(DeckAddress(parts[1], parts[2], parts[3]).query())
        if address.week is None or address.week != parts[1]:
            return None
        person = current_person() if self.site is not None else None
        deck = self.source.deck(date.fromisoformat(address.week))
        may_write = _writer(self.site, person)
        _, later = deck_first_part(deck, may_write, address.view, address.section, FIRST_CARDS)
        return later_payload(later.cards(deck, may_write), key) if later.slots else None

    def rerender(self, pathname: str | None, search: str | None) -> DeckPayload:
        """The page's payload drawn again (after a note was saved): a new key, so it shows."""
        return self.render(pathname, self.address(search), str(time.monotonic_ns())).payload


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
    serve_plotly_js(app.server)
    router = Router(source, site)
    app.layout = lambda: _page(source, site, router)

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.WEEK_SELECTOR, "value"),
        Output(ids.VIEW_SELECTOR, "value"),
        Output(ids.SECTION_SELECTOR, "value"),
        Output(ids.SECTION_SELECTOR, "options"),
        Output(ids.DECK_CONTAINER, "children"),
        Output(ids.DECK_PAYLOAD, "data"),
        Output(ids.RENDERED, "data"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
        Input(ids.WEEK_SELECTOR, "value"),
        Input(ids.VIEW_SELECTOR, "value"),
        Input(ids.SECTION_SELECTOR, "value"),
        State(ids.RENDERED, "data"),
    )
    def show(
        pathname: str | None,
        search: str | None,
        week: str | None,
        view: str | None,
        section: str | None,
        rendered: str | None,
    ) -> tuple[Any, ...]:
        # The pickers rewrite the address; the address (a link, back, reload) sets the pickers.
        if ctx.triggered_id in (ids.WEEK_SELECTOR, ids.VIEW_SELECTOR, ids.SECTION_SELECTOR):
            metric = query_value(search, METRIC_PARAM)  # a metric page keeps its metric
            picked = DeckAddress(week, view or VIEW_ALL, section or ALL_SECTIONS, metric).query()
            address = router.address(picked)
        else:
            address = router.address(search)
            if rendered == f"{pathname or '/'}|{address.key}|":  # no stamp: a first draw
                # The page shows this view already: the layout drew it, and dcc.Location
                # reports the address it was loaded at once it mounts. A 300-card deck
                # is 7 MB: sending it twice would double the wait for the first chart.
                raise PreventUpdate
        shown = router.render(pathname, address)
        address = shown.address
        return (
            address.query(),
            address.week,
            address.view,
            address.section,
            _section_options(shown.sections) if shown.sections else no_update,
            shown.children,
            shown.payload,
            shown.payload["key"],
        )

    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash's hints
        ClientsideFunction(namespace="wbr", function_name="showDeck"),
        Output(ids.DECK_DRAWN, "data"),
        Input(ids.DECK_PAYLOAD, "data"),
        State(ids.DECK_HOST, "id"),
    )

    @app.callback(Output(ids.DECK_LATER, "data"), Input(ids.DECK_DRAWN, "data"))
    def later_cards(key: str | None) -> LaterPayload:
        # deck.js reports a first part it showed that has more cards to come.
        found = router.later(key) if key else None
        if found is None:
            raise PreventUpdate
        return found

    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash's hints
        ClientsideFunction(namespace="wbr", function_name="appendCards"),
        Output(ids.DECK_APPENDED, "data"),
        Input(ids.DECK_LATER, "data"),
    )

    if site is not None:
        labels = {metric.name: metric.label for metric in site.registry.metrics}
        register_editor(app, site.desk, labels, router.rerender)
    return app


def serve(app: dash.Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the app's web server until interrupted (debug off)."""
    print(f"Serving the WBR deck at http://{host}:{port}")
    app.run(host=host, port=port, debug=False)


__all__: Final = ["DeckSource", "Site", "create_app", "serve"]
