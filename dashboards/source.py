"""Where the Dash app gets its decks: the stored metric values, built on demand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from wbr.compute.stored import stored_week_endings
from wbr.compute.unchanged import PeriodKey
from wbr.deck.build import build_deck, deck_periods
from wbr.deck.metric_page import MetricPage, build_metric_page
from wbr.deck.model import Deck, Freshness
from wbr.deck.on_demand import OnDemandValues
from wbr.notes.service import NoteDesk
from wbr.registry.models import Registry
from wbr.schedule.freshness import deck_freshness


class StoreDeckSource:
    """Builds a week's deck from the store on demand (a cheap, indexed read)."""

    def __init__(
        self, engine: Engine, registry: Registry, raw_engine: Engine | None = None
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._raw_engine = raw_engine  # the raw tables' store, when not `engine`
        # Older weeks' to-date medians, computed from raw rows once per load that changes them.
        self._on_demand = OnDemandValues(registry)

    def weeks(self) -> list[date]:
        weekday = self._registry.project.week_ends_on.iso_index
        return [day for day in stored_week_endings(self._engine) if day.weekday() == weekday]

    def deck(self, week_ending: date | None) -> Deck:
        return replace(self.checked_deck(week_ending)[0], freshness=self.freshness())

    def checked_deck(self, week_ending: date | None) -> tuple[Deck, list[str]]:
        """The deck without its freshness line (the cache that keeps decks reads that line
        apart: `freshness`), and what it had to leave out (empty: nothing, it is complete)."""
        problems: list[str] = []
        kept = self._on_demand.catch_up(self._engine)
        deck = build_deck(
            self._engine,
            self._registry,
            week_ending,
            self._raw_engine,
            problems,
            kept,
            with_freshness=False,
        )
        return deck, problems

    def freshness(self) -> Freshness | None:
        return deck_freshness(self._engine, self._registry, datetime.now(UTC))

    def shown_periods(self, week_ending: date) -> frozenset[PeriodKey]:
        """The periods whose values the week's deck can show, as computations record them."""
        return frozenset(
            (p.grain.value, p.start.isoformat(), p.end.isoformat())
            for p in deck_periods(self._registry, week_ending)
        )

    def raw_epoch(self) -> int:
        """Which loads the kept to-date medians account for, as of the last catch-up (no query)."""
        return self._on_demand.epoch()

    def raw_changed_since(self, epoch: int, week_ending: date) -> bool:
        """Whether a load since `epoch` may have changed a to-date median the week shows."""
        return self._on_demand.dropped_since(self._engine, epoch, week_ending)

    def metric_page(self, metric: str, week_ending: date) -> MetricPage | None:
        return build_metric_page(self._engine, self._registry, metric, week_ending)


class Site:
    """What the signed-in app needs besides decks: the store's people and notes."""

    def __init__(self, engine: Engine, registry: Registry) -> None:
        self.engine = engine
        self.registry = registry
        self.desk = NoteDesk(engine, registry)
