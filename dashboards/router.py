"""The address → what a page shows: Dash components, or HTML text with its figures.

`Router.render` turns a path and a `DeckAddress` into a `Shown`: the inbox, the
response gaps and "no data" are Dash components; the deck, a metric's page and
the inputs → outputs view are HTML text and figures (`dashboards.html_text`) that
`assets/deck.js` shows. A deck page comes in two parts: the first `FIRST_CARDS`
cards with the page, the rest (`Router.later`) once the browser shows them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, Protocol, runtime_checkable

from dash import html
from dash.development.base_component import Component

from dashboards.address import ALL_SECTIONS, DeckAddress, parse_address, section_slug
from dashboards.deck_cache import KeptDeck, StoreVersion
from dashboards.drivers_view import drivers_layout
from dashboards.html_text import (
    DeckPayload,
    LaterPayload,
    empty_payload,
    html_fragment,
    later_payload,
    payload,
)
from dashboards.layout import deck_first_part, freshness_line
from dashboards.metric_view import METRIC_PATH, metric_page_layout
from dashboards.notes_view import MayWrite, never
from dashboards.page_cache import PageCache, html_weight, reader_key
from dashboards.pages import gaps_page, inbox_page
from dashboards.session import current_person
from dashboards.source import Site
from wbr.deck.drivers import driver_map
from wbr.deck.metric_page import MetricPage
from wbr.deck.model import Chart, Deck, Freshness
from wbr.deck.responses import inbox
from wbr.people.accounts import delegates
from wbr.people.roles import Action, Person, authorize

NO_DATA_TEXT: Final = "No weeks with data yet: load and compute the metrics, then reload."
INBOX_PATH: Final = "/inbox"
GAPS_PATH: Final = "/gaps"
DRIVERS_PATH: Final = "/drivers"
# Cards in a deck page's first response; the rest follow once these are shown. About
# three fill a laptop screen: twelve leave room to scroll while the rest arrive.
FIRST_CARDS: Final = 12
KEY_PARTS: Final = 6  # a payload's key: "path|week|view|section|metric|stamp"
SHARED_PAGES: Final = frozenset({None, "/", DRIVERS_PATH})  # pages readers share
# The deck's freshness line as a page is drawn, to be filled in on the way out.
BLANK_FRESHNESS: Final = html_fragment(freshness_line(None))


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


@runtime_checkable
class VersionedSource(Protocol):
    """A source that says when its decks change (the store's: `dashboards.deck_cache`)."""

    def version(self) -> StoreVersion: ...

    def weeks(self, version: StoreVersion | None = None) -> list[date]: ...

    def kept_deck(self, week_ending: date | None, version: StoreVersion) -> KeptDeck: ...

    def freshness(self, version: StoreVersion | None = None) -> Freshness | None: ...


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
    """The address → what the page shows.

    With a `VersionedSource`, each request reads the store's version once and
    every part of its page at that version; a page readers share is rendered once
    per content version (`dashboards.page_cache`) and given the freshness line of
    the moment on its way out.
    """

    def __init__(self, source: DeckSource, site: Site | None) -> None:
        self.source = source
        self.site = site
        self._pages: PageCache[Shown] = PageCache(lambda s: html_weight(len(s.payload["html"])))
        self._later: PageCache[LaterPayload] = PageCache(
            lambda later: html_weight(sum(len(html) for _, html in later["parts"]))
        )

    def version(self) -> StoreVersion | None:
        """The store's version now (None: the source keeps none); pass it to the calls below."""
        return self.source.version() if isinstance(self.source, VersionedSource) else None

    def weeks(self, version: StoreVersion | None = None) -> list[date]:
        if isinstance(self.source, VersionedSource):
            return self.source.weeks(version)
        return self.source.weeks()

    def address(self, search: str | None, version: StoreVersion | None = None) -> DeckAddress:
        """The week, view and section the query asks for, each checked (else the default)."""
        return parse_address(search, [week.isoformat() for week in self.weeks(version)])

    def _deck(
        self, week: str, version: StoreVersion | None
    ) -> tuple[Deck, Freshness | None, int | None]:
        """The week's deck without its freshness line, the line's facts, and the deck's build
        token (None: the source keeps no decks)."""
        day = date.fromisoformat(week)
        if isinstance(self.source, VersionedSource) and version is not None:
            kept = self.source.kept_deck(day, version)
            return kept.deck, self.source.freshness(version), kept.token
        deck = self.source.deck(day)
        return deck, deck.freshness, None

    def render(
        self,
        pathname: str | None,
        address: DeckAddress,
        stamp: str = "",
        version: StoreVersion | None = None,
    ) -> Shown:
        """The page at `pathname` for `address`; `stamp` marks a redraw of the same view."""
        person = current_person() if self.site is not None else None
        key = f"{pathname or '/'}|{address.key}|{stamp}"
        if pathname == INBOX_PATH and self.site is not None:
            items = inbox(self.site.engine, self.site.registry, person) if person else []
            return Shown(address, inbox_page(person, items), empty_payload(key), [])
        if address.week is None:
            no_data = html.P(NO_DATA_TEXT, className="no-data")
            return Shown(address, no_data, empty_payload(key), [])
        deck, freshness, token = self._deck(address.week, version)
        reader = reader_key(person)
        kept_as = None
        if token is not None and reader is not None and not stamp and pathname in SHARED_PAGES:
            kept_as = (key, token, reader)  # the same build of the deck: the same page
            if (kept := self._pages.get(kept_as)) is not None:
                return _with_freshness(kept, freshness)
        shown = self._render_deck(pathname, address, stamp, replace(deck, freshness=None), person)
        if kept_as is not None and shown.children is None:
            self._pages.put(kept_as, shown)
        return _with_freshness(shown, freshness)

    def _render_deck(
        self,
        pathname: str | None,
        address: DeckAddress,
        stamp: str,
        deck: Deck,
        person: Person | None,
    ) -> Shown:
        """A page of `deck` (drawn without its freshness line: `_with_freshness` adds it)."""
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
        version = self.version()
        # The key comes back from the browser: check it as an address from the URL.
        address = self.address(DeckAddress(parts[1], parts[2], parts[3]).query(), version)
        if address.week is None or address.week != parts[1]:
            return None
        person = current_person() if self.site is not None else None
        deck, _, token = self._deck(address.week, version)
        reader = reader_key(person)
        kept_as = (key, token, reader) if token is not None and reader else None
        if kept_as is not None and (kept := self._later.get(kept_as)) is not None:
            return kept
        may_write = _writer(self.site, person)
        _, later = deck_first_part(deck, may_write, address.view, address.section, FIRST_CARDS)
        found = later_payload(later.cards(deck, may_write), key) if later.slots else None
        if kept_as is not None and found is not None:
            self._later.put(kept_as, found)
        return found

    def rerender(self, pathname: str | None, search: str | None) -> DeckPayload:
        """The page's payload drawn again (after a note was saved): a new key, so it shows."""
        version = self.version()
        address = self.address(search, version)
        return self.render(pathname, address, str(time.monotonic_ns()), version).payload


def _with_freshness(shown: Shown, freshness: Freshness | None) -> Shown:
    """`shown` with the deck's freshness line filled in (a page drawn with a blank one)."""
    if freshness is None or not shown.payload["html"]:
        return shown
    # The line sits in the header, at the start of the text: found at once.
    line = html_fragment(freshness_line(freshness))
    text = shown.payload["html"].replace(BLANK_FRESHNESS, line, 1)
    return replace(shown, payload={**shown.payload, "html": text})
