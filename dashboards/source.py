"""Where the Dash app gets its decks: the stored metric values, built per request."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from wbr.compute.stored import stored_week_endings
from wbr.deck.build import build_deck
from wbr.deck.metric_page import MetricPage, build_metric_page
from wbr.deck.model import Deck
from wbr.notes.service import NoteDesk
from wbr.registry.models import Registry


class StoreDeckSource:
    """Builds a week's deck from the store on demand (a cheap, indexed read)."""

    def __init__(
        self, engine: Engine, registry: Registry, raw_engine: Engine | None = None
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._raw_engine = raw_engine  # the raw tables' store, when not `engine`

    def weeks(self) -> list[date]:
        weekday = self._registry.project.week_ends_on.iso_index
        return [day for day in stored_week_endings(self._engine) if day.weekday() == weekday]

    def deck(self, week_ending: date | None) -> Deck:
        return build_deck(self._engine, self._registry, week_ending, self._raw_engine)

    def metric_page(self, metric: str, week_ending: date) -> MetricPage | None:
        return build_metric_page(self._engine, self._registry, metric, week_ending)


class Site:
    """What the signed-in app needs besides decks: the store's people and notes."""

    def __init__(self, engine: Engine, registry: Registry) -> None:
        self.engine = engine
        self.registry = registry
        self.desk = NoteDesk(engine, registry)
