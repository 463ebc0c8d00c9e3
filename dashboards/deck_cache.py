"""Decks kept between requests until the store changes: what lets a worker serve a team.

A leadership team opens the same few weeks over and over; building a week's deck
reads the stored values, flags, notes and, for an older week's to-date medians, raw
rows (a few hundred ms). Each worker keeps the decks it built, keyed by the week and
by the store's *version*: the newest compute, detection, load and refresh runs with
how many are still running, and the number of note revisions (every note write, delete and
restore adds one). One indexed read per request tells whether anything committed
since; a refresh that is still running leaves the version as it was for what it has
not committed, so readers keep the previous values until the new ones commit, then
get the new ones on their next request. Entries also expire after a short time,
because a deck says how fresh it is relative to the clock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import date
from typing import Final, Protocol

from sqlalchemy import Engine, func, select

from wbr.deck.model import Deck
from wbr.store.schema import compute_runs, detection_runs, load_runs, note_revisions, scheduled_runs

MAX_DECKS: Final = 24  # per worker: the weeks people page through, at most
MAX_AGE_SECONDS: Final = 30.0  # "refreshed 2 hours ago" must not go stale for long
_RUN_TABLES: Final = (compute_runs, detection_runs, load_runs, scheduled_runs)

Version = tuple[object, ...]


class DeckSource(Protocol):
    def weeks(self) -> list[date]: ...

    def deck(self, week_ending: date | None) -> Deck: ...


def store_version(engine: Engine) -> Version:
    """What a deck depends on, read in one round trip: per run table the newest id and
    how many runs are still running, and the number of note revisions."""
    columns = []
    for table in _RUN_TABLES:
        running = select(func.count()).select_from(table).where(table.c.status == "running")
        columns += [select(func.max(table.c.id)).scalar_subquery(), running.scalar_subquery()]
    columns.append(select(func.count()).select_from(note_revisions).scalar_subquery())
    with engine.connect() as connection:
        return tuple(connection.execute(select(*columns)).one())


class CachedDeckSource:
    """`source`'s decks, rebuilt only when the store's version moves on (or they age)."""

    def __init__(self, source: DeckSource, engine: Engine) -> None:
        self._source = source
        self._engine = engine
        self._lock = threading.Lock()
        self._decks: OrderedDict[tuple[date | None, Version], tuple[float, Deck]] = OrderedDict()
        self._weeks: tuple[Version, float, list[date]] | None = None

    def weeks(self) -> list[date]:
        version = store_version(self._engine)
        now = time.monotonic()
        with self._lock:
            if self._weeks is not None:
                cached_version, at, weeks = self._weeks
                if cached_version == version and now - at < MAX_AGE_SECONDS:
                    return list(weeks)
        weeks = self._source.weeks()
        with self._lock:
            self._weeks = (version, now, list(weeks))
        return weeks

    def deck(self, week_ending: date | None) -> Deck:
        key = (week_ending, store_version(self._engine))
        now = time.monotonic()
        with self._lock:
            found = self._decks.get(key)
            if found is not None and now - found[0] < MAX_AGE_SECONDS:
                self._decks.move_to_end(key)
                return found[1]
        # Built outside the lock: two requests may build the same deck once each, but a
        # slow build never holds up the requests for other weeks.
        deck = self._source.deck(week_ending)
        with self._lock:
            self._decks[key] = (now, deck)
            self._decks.move_to_end(key)
            while len(self._decks) > MAX_DECKS:
                self._decks.popitem(last=False)
        return deck


__all__: Final = ["CachedDeckSource", "store_version"]
