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
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

from wbr.people.roles import Person, Role

# Per worker and cache: the demo's deck page is about 0.6 MB with its figures, a
# 300-metric deck's later cards about 6 MB.
PAGE_BUDGET_BYTES: Final = 48 * 1024 * 1024
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
    """The most recently used rendered pages, within a memory budget, safe to share
    between a worker's threads. `weigh` estimates a page's bytes in memory."""

    def __init__(self, weigh: Callable[[Page], int], budget: int = PAGE_BUDGET_BYTES) -> None:
        self._weigh = weigh
        self._budget = budget
        self._used = 0
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, tuple[Page, int]] = OrderedDict()

    def get(self, key: Hashable) -> Page | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            self._pages.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, page: Page) -> None:
        weight = self._weigh(page)
        if weight > self._budget:
            return  # one page larger than the whole budget: render it each time
        with self._lock:
            old = self._pages.pop(key, None)
            self._used += weight - (old[1] if old else 0)
            self._pages[key] = (page, weight)
            while self._used > self._budget:
                _, (_, dropped) = self._pages.popitem(last=False)
                self._used -= dropped


def html_weight(html_chars: int) -> int:
    """A page's bytes in memory from its HTML's length: its figures, as Python objects,
    take about three times the HTML's (measured on the demo's deck pages)."""
    return 4 * html_chars + 1024


__all__: Final = ["PageCache", "html_weight", "reader_key"]
