"""The served app keeps a week's deck until what it shows changes.

A repeated view reads no values again; a note, a computation that changes values or a
detection run that changes flags shows on the next view; a refresh that finds
everything as it was leaves the decks alone, and only its freshness line moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import small_project as shop
from ruamel.yaml import YAML
from sqlalchemy import Engine
from web_support import FLAGGED, build_store

from dashboards import deck_cache
from dashboards.deck_cache import CachedDeckSource, store_version
from dashboards.html_text import html_fragment
from dashboards.layout import freshness_line
from dashboards.page_cache import PageCache
from dashboards.router import BLANK_FRESHNESS, Router
from dashboards.source import StoreDeckSource
from wbr.anomalies import detect_project
from wbr.compute.run import compute
from wbr.deck.model import Deck, Freshness
from wbr.ingest import ingest
from wbr.notes.model import NoteTarget
from wbr.notes.store import save_note
from wbr.registry.models import Registry
from wbr.schedule import runs
from wbr.workspace import Workspace, open_workspace

NOW = datetime(2024, 3, 18, 6, 0, tzinfo=UTC)


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
    assert cached.deck(week) == first
    assert cached.content_deck(week, cached.version()) is cached.content_deck(
        week, cached.version()
    )  # nothing committed since: the same deck, not built again
    assert cached.weeks() == StoreDeckSource(engine, project).weeks()

    version = store_version(engine)
    target = NoteTarget(FLAGGED, week, "robust")
    save_note(engine, target, status="explained", text="CDN", author="ana", base_revision=None)
    assert store_version(engine).content != version.content
    with_note = cached.deck(week)
    assert with_note != first and with_note == StoreDeckSource(engine, project).deck(week)

    before = cached.content_deck(week, cached.version())
    compute(engine, project, full=True)  # every value written again: they count as changed
    assert cached.content_deck(week, cached.version()) is not before


def test_a_refresh_that_changes_nothing_keeps_the_decks(store: tuple[Engine, Registry]) -> None:
    engine, project = store
    cached = CachedDeckSource(StoreDeckSource(engine, project), engine)
    week = shop.WEEK_ENDING
    before = store_version(engine)
    built = cached.content_deck(week, before)

    # What `wbr refresh` does after its loads: recompute, rescore. Nothing came out different.
    assert compute(engine, project).metrics == 0
    assert detect_project(engine, project).changed == 0
    after = store_version(engine)
    assert after.content == before.content
    assert cached.content_deck(week, after) is built


def test_a_refresh_run_moves_only_the_freshness_line(store: tuple[Engine, Registry]) -> None:
    engine, project = store
    cached = CachedDeckSource(StoreDeckSource(engine, project), engine)
    week = shop.WEEK_ENDING
    assert cached.deck(week).freshness is None  # never refreshed: no line
    built = cached.content_deck(week, cached.version())

    run = runs.start_run(engine, NOW, 1, NOW, trigger="manual")
    running = cached.deck(week)
    assert running.freshness is not None and running.freshness.data_as_of is None
    runs.finish_run(engine, run, NOW, runs.SUCCEEDED)
    done = cached.deck(week)
    assert done.freshness is not None and done.freshness.last_status == runs.SUCCEEDED
    assert done.freshness == StoreDeckSource(engine, project).freshness()
    # The line moved twice; the deck under it was never built again.
    assert cached.content_deck(week, cached.version()) is built
    assert replace(done, freshness=None) == replace(running, freshness=None)
    # A deck kept is built without the line (its queries would be thrown away); a deck
    # asked of the store directly has it.
    later = CachedDeckSource(StoreDeckSource(engine, project), engine)
    assert later.content_deck(week, later.version()).freshness is None
    assert StoreDeckSource(engine, project).deck(week).freshness == done.freshness


class CountingSource:
    """A deck source that counts its builds and can fail to read the raw tables."""

    def __init__(self, inner: StoreDeckSource) -> None:
        self.inner = inner
        self.builds = 0
        self.problems: list[str] = []

    def weeks(self) -> list[date]:
        return self.inner.weeks()

    def deck(self, week_ending: date | None) -> Deck:
        return self.checked_deck(week_ending)[0]

    def checked_deck(self, week_ending: date | None) -> tuple[Deck, list[str]]:
        self.builds += 1
        return self.inner.deck(week_ending), list(self.problems)

    def freshness(self) -> Freshness | None:
        return self.inner.freshness()

    def shown_periods(self, week_ending: date) -> frozenset[tuple[str, str, str]]:
        return self.inner.shown_periods(week_ending)

    def raw_epoch(self) -> int:
        return self.inner.raw_epoch()

    def raw_changed_since(self, epoch: int, week_ending: date) -> bool:
        return self.inner.raw_changed_since(epoch, week_ending)


def test_a_deck_missing_raw_values_is_kept_only_briefly(
    store: tuple[Engine, Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, project = store
    source = CountingSource(StoreDeckSource(engine, project))
    cached = CachedDeckSource(source, engine)
    clock = [1000.0]
    monkeypatch.setattr(deck_cache.time, "monotonic", lambda: clock[0])
    week = shop.WEEK_ENDING

    source.problems = ["the raw tables cannot be read (a load holds them)"]
    cached.deck(week)
    cached.deck(week)
    assert source.builds == 1  # kept for a moment: the load may hold the file for seconds
    clock[0] += deck_cache.PARTIAL_DECK_MAX_AGE_SECONDS + 1
    source.problems = []
    cached.deck(week)
    assert source.builds == 2  # built again once the load was likely over
    clock[0] += 3600
    cached.deck(week)
    assert source.builds == 2  # a complete deck does not age: only a change retires it


def test_a_readers_page_is_drawn_once_and_given_the_freshness_line_of_the_moment(
    store: tuple[Engine, Registry],
) -> None:
    engine, project = store
    source = CountingSource(StoreDeckSource(engine, project))
    router = Router(CachedDeckSource(source, engine), site=None)
    version = router.version()
    address = router.address("", version)
    first = router.render("/", address, version=version)
    assert router.render("/", address, version=router.version()) is first  # a lookup
    assert 'id="deck-freshness"' in first.payload["html"] and "Data as of" not in str(first)

    run = runs.start_run(engine, NOW, 1, NOW, trigger="manual")
    runs.finish_run(engine, run, NOW, runs.SUCCEEDED)
    after = router.render("/", address, version=router.version())
    assert "Data as of Mon 18 Mar" in after.payload["html"]
    # The same page otherwise, drawn from the same deck: the line was filled in.
    assert (
        after.payload["html"].replace(
            html_fragment(freshness_line(StoreDeckSource(engine, project).freshness())),
            BLANK_FRESHNESS,
        )
        == first.payload["html"]
    )
    assert source.builds == 1

    # A stamped redraw (after an owner saved a note) is drawn afresh, with the line.
    redrawn = router.rerender("/", "")
    assert redrawn["key"] != first.payload["key"] and "Data as of" in redrawn["html"]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Workspace]:
    """The small shop from CSV files, loaded incrementally (the last 3 days re-read)."""
    registry_file = shop.write_project(tmp_path)
    yaml = YAML(typ="safe")
    data = yaml.load(registry_file)
    for source in data["sources"].values():
        source["incremental"] = {"lookback": 3}
    with registry_file.open("w") as handle:
        yaml.dump(data, handle)
    opened = open_workspace(registry_file, f"sqlite:///{tmp_path / 'store.db'}")
    ingest(opened.engine, opened.registry, opened.base_dir)
    compute(opened.engine, opened.registry)
    yield opened
    opened.engine.dispose()


def test_a_new_day_keeps_the_decks_of_complete_weeks_and_a_changed_day_does_not(
    project: Workspace,
) -> None:
    engine, registry = project.engine, project.registry
    source = CountingSource(StoreDeckSource(engine, registry))
    cached = CachedDeckSource(source, engine)
    week = shop.WEEK_ENDING
    older = week - timedelta(weeks=5)
    kept = {w: cached.content_deck(w, cached.version()) for w in (week, older)}

    # Monday's load: one more day. Values change (the new week, March), so the store's
    # content version moves on; no period the complete weeks' decks show changed.
    traffic = project.base_dir / "data" / "traffic.csv"
    with traffic.open("a") as handle:
        handle.write(f"{week + timedelta(days=1)},12,200\n")
    ingest(engine, registry, project.base_dir)
    assert compute(engine, registry).metrics > 0
    version = cached.version()
    assert all(cached.content_deck(w, version) is deck for w, deck in kept.items())
    assert source.builds == 2

    # A correction inside the last complete week: its deck is rebuilt, the older one kept.
    frame = pd.read_csv(traffic)
    frame.loc[frame["day"] == week.isoformat(), "clicks"] = 40
    frame.to_csv(traffic, index=False)
    ingest(engine, registry, project.base_dir)
    compute(engine, registry)
    version = cached.version()
    rebuilt = cached.content_deck(week, version)
    assert rebuilt is not kept[week]
    assert rebuilt == StoreDeckSource(engine, registry).deck(week)
    assert cached.content_deck(older, version) is kept[older]
    assert source.builds == 3

    # A note anywhere retires every deck (notes are not tracked by week).
    save_note(
        engine,
        NoteTarget("clicks", older, "robust"),
        status="explained",
        text="x",
        author="ana",
        base_revision=None,
    )
    assert cached.content_deck(older, cached.version()) is not kept[older]


def test_rendered_pages_are_kept_within_a_memory_budget() -> None:
    pages: PageCache[str] = PageCache(len, budget=10)
    for key, page in (("a", "aaaa"), ("b", "bbbb")):
        pages.put(key, page)
    assert pages.get("a") == "aaaa"  # now the most recently used
    pages.put("c", "cccc")  # 12 bytes: the least recently used one goes
    assert (pages.get("a"), pages.get("b"), pages.get("c")) == ("aaaa", None, "cccc")
    pages.put("huge", "h" * 11)  # more than the whole budget: not kept, nothing dropped
    assert (pages.get("huge"), pages.get("a")) == (None, "aaaa")
    pages.put("a", "aaaaaa")  # replaced: counted once, at its new weight
    assert (pages.get("a"), pages.get("c")) == ("aaaaaa", "cccc")


def test_a_deck_missing_raw_values_is_not_kept_past_a_commit(
    store: tuple[Engine, Registry],
) -> None:
    engine, project = store
    source = CountingSource(StoreDeckSource(engine, project))
    cached = CachedDeckSource(source, engine)
    week = shop.WEEK_ENDING
    source.problems = ["the raw tables cannot be read (a load holds them)"]
    cached.deck(week)
    target = NoteTarget(FLAGGED, week, "robust")
    save_note(engine, target, status="explained", text="CDN", author="ana", base_revision=None)
    with_note = cached.deck(week)
    assert source.builds == 2  # within the 5 s, but the store moved on: built again
    flagged = next(chart for chart in with_note.charts if chart.metric == FLAGGED)
    # The note committed after the first build shows on its flag.
    assert [a.annotation is not None for a in flagged.anomalies if a.week_ending == week] == [True]
