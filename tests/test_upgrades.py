"""Upgrading loses nothing: a store made at every earlier schema revision, filled with
the rows that revision held, is migrated to the head with its notes and history intact.

Each old store is built two ways: upgraded from empty to that revision (a store an
old wbr created), and downgraded to it from the head (so every downgrade runs too).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from revision_rows import (
    REVISIONS,
    WEEK,
    comparable,
    insert_rows,
    table_contents,
    upgraded_rows,
)
from sqlalchemy import Engine

from wbr.notes.model import NoteTarget
from wbr.notes.store import get_note, save_note
from wbr.store import create_store_engine, current_revision, head_revision, migrate
from wbr.store.migration import alembic_config

EARLIER = REVISIONS[:-1]


def test_the_revision_list_is_complete() -> None:
    assert head_revision() == REVISIONS[-1]


def _at_revision(engine: Engine, revision: str, via: str) -> None:
    with engine.begin() as connection:
        config = alembic_config(connection)
        if via == "upgrade":
            command.upgrade(config, revision)
        else:
            command.upgrade(config, "head")
            command.downgrade(config, revision)


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = create_store_engine(store_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.mark.parametrize("via", ["upgrade", "downgrade"])
@pytest.mark.parametrize("revision", EARLIER)
def test_a_store_from_an_earlier_revision_upgrades_with_everything_intact(
    engine: Engine, revision: str, via: str
) -> None:
    _at_revision(engine, revision, via)
    assert current_revision(engine) == revision
    insert_rows(engine, revision)

    migrate(engine)

    assert current_revision(engine) == head_revision()
    for table, rows in upgraded_rows(revision):
        stored = table_contents(engine, table)
        expected = [{name: comparable(value) for name, value in row.items()} for row in rows]
        # Every value the old revision held is there; columns added since are empty.
        assert [{k: row[k] for k in expected[0]} for row in stored] == expected, table.name
        added = set(stored[0]) - set(expected[0])
        assert all(row[name] is None for row in stored for name in added), table.name


@pytest.mark.parametrize("revision", [r for r in EARLIER if r >= "0005"])
def test_notes_carry_on_after_an_upgrade(engine: Engine, revision: str) -> None:
    """The upgraded store's notes read as before, and the next edit is revision 3."""
    _at_revision(engine, revision, "upgrade")
    insert_rows(engine, revision)
    migrate(engine)
    target = NoteTarget("clicks", WEEK, "robust")
    note = get_note(engine, target)
    assert note is not None and note.revision == 2
    assert note.current.text == "CDN outage **Tue-Thu**; fixed. ✓"
    assert [r.status.value for r in note.history] == ["investigating", "explained"]
    deleted = get_note(engine, NoteTarget("orders", WEEK, ""), include_deleted=True)
    assert deleted is not None and deleted.deleted
    edited = save_note(
        engine, target, status="explained", text="Also a DNS issue.", author="ana", base_revision=2
    )
    assert edited.revision == 3
    fresh = save_note(
        engine,
        NoteTarget("orders", WEEK, "robust"),
        status="investigating",
        text="new",
        author="ben",
        base_revision=None,
    )
    assert fresh.id == 3  # the database's own numbering goes on after the old rows
