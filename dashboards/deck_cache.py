"""Decks kept between requests until the store changes: what lets a worker serve a team.

A leadership team opens the same few weeks over and over; building a week's deck
reads the stored values, flags, notes and, for an older week's to-date medians, raw
rows (a few hundred ms). Each worker keeps the decks it built, keyed by the week and
by the store's *version* (`store_version`). One small read per request tells whether
anything a deck shows has committed since; a refresh that is still running leaves the
version as it was until its values commit, so readers keep the previous values until
then, and get the new ones on their next request. Entries also expire after a short time,
because a deck says how fresh it is relative to the clock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import date
from typing import Any, Final, Protocol

from sqlalchemy import Engine, ScalarSelect, Table, func, select

from wbr.deck.model import Deck
from wbr.store.schema import compute_runs, detection_runs, note_revisions, scheduled_runs

MAX_DECKS: Final = 24  # per worker: the weeks people page through, at most
MAX_AGE_SECONDS: Final = 30.0  # "refreshed 2 hours ago" must not go stale for long

Version = tuple[object, ...]


class DeckSource(Protocol):
    def weeks(self) -> list[date]: ...

    def deck(self, week_ending: date | None) -> Deck: ...


def store_version(engine: Engine) -> Version:
    """What a deck depends on, read in one round trip.

    Values and flags change only when a computation or a detection run succeeds (each
    commits its rows, then marks its run), so only their newest successful run counts:
    a refresh's loads do not throw the decks away. The deck's freshness line shows the
    refresh runs' statuses, so a refresh starting or ending counts; so does every note
    revision.
    """

    def newest(table: Table, status: str | None = None) -> ScalarSelect[Any]:
        query = select(func.max(table.c.id))
        return (
            query if status is None else query.where(table.c.status == status)
        ).scalar_subquery()

    running = (
        select(func.count()).select_from(scheduled_runs).where(scheduled_runs.c.status == "running")
    )
    columns = [
        newest(compute_runs, "succeeded"),
        newest(detection_runs, "succeeded"),
        newest(scheduled_runs),
        running.scalar_subquery(),
        select(func.count()).select_from(note_revisions).scalar_subquery(),
    ]
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
