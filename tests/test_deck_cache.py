"""The served app keeps a week's deck until the store changes: a repeated view reads no
values again, and a note, a computation or a detection run shows on the next view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import small_project as shop
from sqlalchemy import Engine
from web_support import FLAGGED, build_store

from dashboards.deck_cache import CachedDeckSource, store_version
from dashboards.source import StoreDeckSource
from wbr.anomalies import detect_project
from wbr.compute.run import compute
from wbr.notes.model import NoteTarget
from wbr.notes.store import save_note
from wbr.registry.models import Registry


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, Registry]]:
    engine, project = build_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine, project
    engine.dispose()


def test_a_deck_is_built_once_until_the_store_changes(store: tuple[Engine, Registry]) -> None:
    engine, project = store
    cached = CachedDeckSource(StoreDeckSource(engine, project), engine)
    week = shop.WEEK_ENDING
    first = cached.deck(week)
    assert cached.deck(week) is first  # nothing committed since: the same deck
    assert cached.weeks() == StoreDeckSource(engine, project).weeks()

    version = store_version(engine)
    target = NoteTarget(FLAGGED, week, "robust")
    save_note(engine, target, status="explained", text="CDN", author="ana", base_revision=None)
    assert store_version(engine) != version
    with_note = cached.deck(week)
    assert with_note is not first and with_note == StoreDeckSource(engine, project).deck(week)

    compute(engine, project)
    recomputed = cached.deck(week)
    assert recomputed is not with_note
    detect_project(engine, project)
    assert cached.deck(week) is not recomputed
