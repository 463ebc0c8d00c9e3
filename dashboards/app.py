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

from datetime import date
from pathlib import Path
from typing import Any, Final
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
    query_value,
)
from dashboards.editor import editor_panel, register_editor
from dashboards.html_text import LaterPayload
from dashboards.plotly_js import serve_plotly_js
from dashboards.router import (
    DRIVERS_PATH,
    GAPS_PATH,
    INBOX_PATH,
    DeckSource,
    Router,
)
from dashboards.security import harden
from dashboards.session import SignInGate, current_person, current_session
from dashboards.source import Site
from wbr.deck.format import format_date

ASSETS_DIR: Final = Path(__file__).parent / "assets"
DEFAULT_TITLE: Final = "Weekly Business Review"
ALL_SECTIONS_LABEL: Final = "All sections"
VIEW_OPTIONS: Final = [
    {"label": "All metrics", "value": VIEW_ALL},
    {"label": "Exceptions only", "value": VIEW_EXCEPTIONS},
]


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


def _page(site: Site | None, router: Router) -> Component:
    version = router.version()  # one read of the store's version for the whole page
    weeks = router.weeks(version)
    pathname, search = _page_address()
    shown = router.render(pathname, router.address(search, version), version=version)
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
                    # One group, so on a narrow screen it wraps to a second row whole.
                    html.Div([views, sections, selector, _who(site)], className="pickers"),
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
    app.layout = lambda: _page(site, router)

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
        version = router.version()  # one read of the store's version for the whole answer
        # The pickers rewrite the address; the address (a link, back, reload) sets the pickers.
        if ctx.triggered_id in (ids.WEEK_SELECTOR, ids.VIEW_SELECTOR, ids.SECTION_SELECTOR):
            metric = query_value(search, METRIC_PARAM)  # a metric page keeps its metric
            picked = DeckAddress(week, view or VIEW_ALL, section or ALL_SECTIONS, metric).query()
            address = router.address(picked, version)
        else:
            address = router.address(search, version)
            if rendered == f"{pathname or '/'}|{address.key}|":  # no stamp: a first draw
                # The page shows this view already: the layout drew it, and dcc.Location
                # reports the address it was loaded at once it mounts. A 300-card deck
                # is 7 MB: sending it twice would double the wait for the first chart.
                raise PreventUpdate
        shown = router.render(pathname, address, version=version)
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
    harden(app)  # last: the policy lists the hashes of every inline script registered above
    return app


def serve(app: dash.Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the app's web server until interrupted (debug off)."""
    print(f"Serving the WBR deck at http://{host}:{port}")
    app.run(host=host, port=port, debug=False)


__all__: Final = ["DeckSource", "Site", "create_app", "serve"]
