"""Decks kept between requests until what they show changes: what lets a worker serve a team.

A leadership team opens the same few weeks over and over; building a week's deck
reads the stored values, flags, notes and, for an older week's to-date medians, raw
rows (about 100 ms for the demo). Each worker keeps the decks it built, keyed by the
week and by the store's *content version*: what changes only when something a deck
shows has committed (`StoreVersion`). A refresh that finds the numbers as they were
writes no value and updates no flag (`wbr.compute.unchanged`, `wbr.anomalies.store`),
so the decks survive it; one that changes them retires the decks once its values
commit, and readers see the previous values until then.

The one thing on a deck that moves with the clock and with every refresh run, the
freshness line ("data as of … · next refresh …"), is kept apart: read by its own
version and spliced into the deck on the way out, so a refresh starting or ending
costs one small read, not every deck.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, Protocol

from sqlalchemy import Engine, ScalarSelect, Table, func, or_, select

from wbr.deck.model import Deck, Freshness
from wbr.store.schema import anomaly_flags, compute_runs, note_revisions, scheduled_runs

MAX_DECKS: Final = 24  # per worker: the weeks people page through, at most
# "Next refresh Mon 06:00" turns into the following Monday when the clock passes it.
FRESHNESS_MAX_AGE_SECONDS: Final = 30.0
# A deck built while the raw tables could not be read shows N/A for a few values:
# kept only until the load that held them is likely over.
PARTIAL_DECK_MAX_AGE_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class StoreVersion:
    """What the served pages depend on, read in one round trip."""

    content: tuple[Hashable, ...]  # values, flags and notes: everything a deck shows
    freshness: tuple[Hashable, ...]  # refresh runs: the freshness line only


class DeckSource(Protocol):
    def weeks(self) -> list[date]: ...

    def deck(self, week_ending: date | None) -> Deck: ...

    def checked_deck(self, week_ending: date | None) -> tuple[Deck, list[str]]: ...

    def freshness(self) -> Freshness | None: ...


def store_version(engine: Engine) -> StoreVersion:
    """The store's content and freshness versions, in one query.

    Values change only when a computation that changed some commits (one that found
    every value as stored writes nothing and reports 0 metrics); flags when a
    detection run inserts, changes or resolves one (each stamps `updated_at`; a flag
    found as it was keeps its stamp); notes with every revision. The freshness line
    shows the refresh runs: a refresh starting or ending counts there.
    """

    def newest(table: Table, *where: Any) -> ScalarSelect[Any]:
        return select(func.max(table.c.id)).where(*where).scalar_subquery()

    changed_values = newest(
        compute_runs,
        compute_runs.c.status == "succeeded",
        # Runs from before a computation could change nothing counted as a change.
        or_(compute_runs.c.metrics_computed.is_(None), compute_runs.c.metrics_computed > 0),
    )
    flags = select(func.count(), func.max(anomaly_flags.c.updated_at)).subquery()
    running = select(func.count()).where(scheduled_runs.c.status == "running")
    query = select(
        changed_values,
        flags.c[0],
        flags.c[1],
        select(func.count()).select_from(note_revisions).scalar_subquery(),
        newest(scheduled_runs),
        running.scalar_subquery(),
    )
    with engine.connect() as connection:
        row = tuple(connection.execute(query).one())
    return StoreVersion(content=row[:4], freshness=row[4:])


@dataclass(frozen=True, slots=True)
class _Kept:
    at: float
    deck: Deck
    complete: bool


class CachedDeckSource:
    """`source`'s decks, rebuilt only when what they show changes (`store_version`)."""

    def __init__(self, source: DeckSource, engine: Engine) -> None:
        self._source = source
        self._engine = engine
        self._lock = threading.Lock()
        self._decks: OrderedDict[tuple[date | None, Hashable], _Kept] = OrderedDict()
        self._weeks: tuple[Hashable, list[date]] | None = None
        self._freshness: tuple[Hashable, float, Freshness | None] | None = None

    def version(self) -> StoreVersion:
        """The store's version now: pass it on to read a page's parts at one version."""
        return store_version(self._engine)

    def weeks(self, version: StoreVersion | None = None) -> list[date]:
        content = (version or self.version()).content
        with self._lock:
            if self._weeks is not None and self._weeks[0] == content:
                return list(self._weeks[1])
        weeks = self._source.weeks()
        with self._lock:
            self._weeks = (content, list(weeks))
        return weeks

    def deck(self, week_ending: date | None, version: StoreVersion | None = None) -> Deck:
        """The week's deck with the freshness line as of `version` (default: now)."""
        version = version or self.version()
        return replace(self.content_deck(week_ending, version), freshness=self.freshness(version))

    def content_deck(self, week_ending: date | None, version: StoreVersion) -> Deck:
        """The week's deck as built, its freshness line as it was then (see `deck`)."""
        key = (week_ending, version.content)
        now = time.monotonic()
        with self._lock:
            kept = self._decks.get(key)
            if kept is not None and (kept.complete or now - kept.at < PARTIAL_DECK_MAX_AGE_SECONDS):
                self._decks.move_to_end(key)
                return kept.deck
        # Built outside the lock: two requests may build the same deck once each, but a
        # slow build never holds up the requests for other weeks.
        deck, problems = self._source.checked_deck(week_ending)
        with self._lock:
            self._decks[key] = _Kept(now, deck, complete=not problems)
            self._decks.move_to_end(key)
            while len(self._decks) > MAX_DECKS:
                self._decks.popitem(last=False)
        return deck

    def freshness(self, version: StoreVersion | None = None) -> Freshness | None:
        """The freshness line's facts, read again when a refresh run starts or ends."""
        key = (version or self.version()).freshness
        now = time.monotonic()
        with self._lock:
            if self._freshness is not None:
                kept_key, at, found = self._freshness
                if kept_key == key and now - at < FRESHNESS_MAX_AGE_SECONDS:
                    return found
        found = self._source.freshness()
        with self._lock:
            self._freshness = (key, now, found)
        return found


__all__: Final = ["CachedDeckSource", "StoreVersion", "store_version"]
