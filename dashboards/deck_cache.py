"""Decks kept between requests until what they show changes: what lets a worker serve a team.

A leadership team opens the same few weeks over and over; building a week's deck
reads the stored values, flags, notes and, for an older week's to-date medians, raw
rows (about 100 ms for the demo). Each worker keeps the deck it built for each week,
with the store's *content version* at which it was last found right: what changes
only when something a deck shows has committed (`StoreVersion`). A refresh that finds
the numbers as they were writes no value and updates no flag
(`wbr.compute.unchanged`, `wbr.anomalies.store`), so the version and the decks
survive it. When the version moves on, each kept deck is checked against what
changed (the periods a computation recorded, its week's flags, the notes, the loads
under its to-date medians) and rebuilt only if it shows some of it; readers see the
previous values until the new ones commit.

The one thing on a deck that moves with the clock and with every refresh run, the
freshness line ("data as of … · next refresh …"), is kept apart: read by its own
version and spliced into the deck on the way out, so a refresh starting or ending
costs one small read, not every deck.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, Protocol

from sqlalchemy import Engine, ScalarSelect, func, select

from wbr.compute.stored import changed_values
from wbr.compute.unchanged import recorded_periods
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

    def shown_periods(self, week_ending: date) -> frozenset[tuple[str, str, str]]: ...

    def raw_epoch(self) -> int: ...

    def raw_changed_since(self, epoch: int, week_ending: date) -> bool: ...


def _newest_change() -> ScalarSelect[Any]:
    return select(func.max(compute_runs.c.id)).where(changed_values()).scalar_subquery()


def store_version(engine: Engine) -> StoreVersion:
    """The store's content and freshness versions, in one query.

    Values change only when a computation that changed some commits (one that found
    every value as stored writes nothing and reports 0 metrics); flags when a
    detection run inserts, changes or resolves one (each stamps `updated_at`; a flag
    found as it was keeps its stamp); notes with every revision. The freshness line
    shows the refresh runs: a refresh starting or ending counts there.
    """

    flags = select(func.count(), func.max(anomaly_flags.c.updated_at)).subquery()
    running = select(func.count()).where(scheduled_runs.c.status == "running")
    query = select(
        _newest_change(),
        flags.c[0],
        flags.c[1],
        select(func.count()).select_from(note_revisions).scalar_subquery(),
        select(func.max(scheduled_runs.c.id)).scalar_subquery(),
        running.scalar_subquery(),
    )
    with engine.connect() as connection:
        row = tuple(connection.execute(query).one())
    return StoreVersion(content=row[:4], freshness=row[4:])


@dataclass(frozen=True, slots=True)
class DeckBasis:
    """What one week's deck was built from, to tell later whether it still holds."""

    compute_run: Hashable  # the newest computation that changed a value
    flags: tuple[Hashable, ...]  # count and last change of the flags up to the week
    notes: Hashable  # note revisions
    raw_epoch: int  # the loads its to-date medians account for (`wbr.deck.on_demand`)


@dataclass(frozen=True, slots=True)
class KeptDeck:
    """A deck as a worker keeps it; `token` names this build (a page cache's key)."""

    deck: Deck
    token: int
    week: date | None
    built_at: float
    complete: bool
    periods: frozenset[tuple[str, str, str]] | None  # what it shows; None: unknown
    basis: DeckBasis | None
    validated: Hashable  # the content version at which it was last found to hold


def _basis(engine: Engine, week: date) -> tuple[Hashable, tuple[Hashable, ...], Hashable]:
    """The newest value-changing computation, the flags up to `week`, the note revisions."""
    table = anomaly_flags.c
    flags = (
        select(func.count(), func.max(table.updated_at)).where(table.week_ending <= week).subquery()
    )
    query = select(
        _newest_change(),
        flags.c[0],
        flags.c[1],
        select(func.count()).select_from(note_revisions).scalar_subquery(),
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return row[0], (row[1], row[2]), row[3]


def _changed_since(engine: Engine, run: Hashable) -> list[frozenset[tuple[str, str, str]] | None]:
    """The periods each value-changing computation after `run` changed (None: any)."""
    query = select(compute_runs.c.changed_periods).where(changed_values())
    if run is not None:
        query = query.where(compute_runs.c.id > run)
    with engine.connect() as connection:
        return [recorded_periods(text) for (text,) in connection.execute(query)]


class CachedDeckSource:
    """`source`'s decks, rebuilt only when what they show changes (`store_version`).

    When the store's content version moves on, a kept deck is checked before it is
    rebuilt: it still holds if no computation since changed a period it shows, no
    flag up to its week and no note changed, and no load changed a to-date median it
    shows. A refresh that brings a new day leaves the decks of complete weeks as
    they were: a week's deck shows no period that ends after it.
    """

    def __init__(self, source: DeckSource, engine: Engine) -> None:
        self._source = source
        self._engine = engine
        self._lock = threading.Lock()
        self._decks: OrderedDict[date | None, KeptDeck] = OrderedDict()
        self._weeks: tuple[Hashable, list[date]] | None = None
        self._freshness: tuple[Hashable, float, Freshness | None] | None = None
        self._builds = itertools.count(1)

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
        kept = self.kept_deck(week_ending, version)
        return replace(kept.deck, freshness=self.freshness(version))

    def content_deck(self, week_ending: date | None, version: StoreVersion) -> Deck:
        """The week's deck as built, its freshness line as it was then (see `deck`)."""
        return self.kept_deck(week_ending, version).deck

    def kept_deck(self, week_ending: date | None, version: StoreVersion) -> KeptDeck:
        """The week's deck, kept or built, still right at `version`."""
        now = time.monotonic()
        with self._lock:
            kept = self._decks.get(week_ending)
            if kept is not None:
                self._decks.move_to_end(week_ending)
        if kept is not None and kept.validated == version.content:
            if kept.complete or now - kept.built_at < PARTIAL_DECK_MAX_AGE_SECONDS:
                return kept
        elif kept is not None and kept.complete and (basis := self._holds(kept)) is not None:
            return self._keep(replace(kept, basis=basis, validated=version.content))
        # Built outside the lock: two requests may build the same deck once each, but a
        # slow build never holds up the requests for other weeks. What it was built from
        # is read first: anything committed meanwhile makes the next check rebuild it.
        basis = self._current_basis(week_ending)
        deck, problems = self._source.checked_deck(week_ending)
        periods = None if week_ending is None else self._source.shown_periods(week_ending)
        token = next(self._builds)
        fresh = KeptDeck(
            deck, token, week_ending, now, not problems, periods, basis, version.content
        )
        return self._keep(fresh)

    def _keep(self, kept: KeptDeck) -> KeptDeck:
        with self._lock:
            self._decks[kept.week] = kept
            self._decks.move_to_end(kept.week)
            while len(self._decks) > MAX_DECKS:
                self._decks.popitem(last=False)
        return kept

    def _current_basis(self, week: date | None) -> DeckBasis | None:
        if week is None:
            return None  # the latest week, whichever it is: rebuilt on any change
        run, flags, notes = _basis(self._engine, week)
        return DeckBasis(run, flags, notes, self._source.raw_epoch())

    def _holds(self, kept: KeptDeck) -> DeckBasis | None:
        """`kept`'s basis now if nothing it shows changed since it was built; else None."""
        if kept.basis is None or kept.periods is None or kept.week is None:
            return None
        # First: it catches up with the loads, so the basis below has the epoch it saw.
        if self._source.raw_changed_since(kept.basis.raw_epoch, kept.week):
            return None
        now = self._current_basis(kept.week)
        if now is None or (now.flags, now.notes) != (kept.basis.flags, kept.basis.notes):
            return None
        if now.compute_run != kept.basis.compute_run:
            for changed in _changed_since(self._engine, kept.basis.compute_run):
                if changed is None or not changed.isdisjoint(kept.periods):
                    return None
        return now

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


__all__: Final = ["CachedDeckSource", "KeptDeck", "StoreVersion", "store_version"]
