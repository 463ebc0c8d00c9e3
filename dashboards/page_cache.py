"""Rendered pages kept per worker, keyed by what they show: a repeated view is a lookup.

Turning a week's deck into its HTML and figures costs a worker about 15 ms of CPU
for the demo's 30 cards, more than all the rest of the request; a team paging
through the same dozen weeks asks for the same few pages again and again. The
`Router` keeps each page it rendered for readers (everyone who cannot write a note
sees the same page) under the store's content version, so a page is rendered once
per worker until a value, flag or note it shows changes (`dashboards.deck_cache`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Final, Generic, TypeVar

from wbr.people.roles import Person, Role

MAX_PAGES: Final = 96  # per worker: a dozen weeks × the views and parts people open
READER: Final = "reader"  # the cache key part of everyone who sees no write buttons

Page = TypeVar("Page")


def reader_key(person: Person | None) -> str | None:
    """One key for everyone whose page is the same read-only page; None: render it afresh.

    Anonymous readers and viewers never see a write button. An owner's or an
    admin's page depends on who they are and who delegated to them: not kept.
    """
    if person is None or not person.active or person.role is Role.VIEWER:
        return READER
    return None


class PageCache(Generic[Page]):
    """The most recently used rendered pages, safe to share between a worker's threads."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()

    def get(self, key: Hashable) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: Page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)


__all__: Final = ["PageCache", "reader_key"]
