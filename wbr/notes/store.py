"""Notes in the store: write with optimistic concurrency, soft delete, restore, read.

A write names the revision it was based on. The note's row is bumped with
`UPDATE … WHERE revision = :base`, so of two people saving on the same
revision exactly one wins and the other gets a `NoteConflict` carrying both
texts; nothing is overwritten. Every write adds a row to `note_revisions` and
one to the audit log, in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from wbr.errors import AccessError
from wbr.notes.model import (
    CAUSE_CATEGORIES,
    MAX_NOTE_LENGTH,
    Note,
    NoteConflict,
    NoteStatus,
    NoteTarget,
    Revision,
    RevisionAction,
)
from wbr.people.audit import as_utc, record
from wbr.store.schema import note_revisions, notes


def check_fields(status: str, category: str | None, text: str) -> tuple[NoteStatus, str | None]:
    """The status and category as stored, or an AccessError saying what to change."""
    try:
        parsed = NoteStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in NoteStatus)
        raise AccessError(f"unknown status {status!r}; use one of: {allowed}") from None
    category = category or None
    if category is not None and category not in CAUSE_CATEGORIES:
        raise AccessError(
            f"unknown cause category {category!r}; use one of: {', '.join(CAUSE_CATEGORIES)}"
        )
    if len(text) > MAX_NOTE_LENGTH:
        raise AccessError(f"a note holds at most {MAX_NOTE_LENGTH:,} characters")
    if not text.strip() and parsed is not NoteStatus.NOT_AN_ISSUE:
        raise AccessError("write what happened (the text is empty)")
    return parsed, category


def _revisions(connection: Connection, note_ids: Iterable[int]) -> dict[int, list[Revision]]:
    ids = list(note_ids)
    found: dict[int, list[Revision]] = defaultdict(list)
    if not ids:
        return found
    query = (
        select(note_revisions)
        .where(note_revisions.c.note_id.in_(ids))
        .order_by(note_revisions.c.note_id, note_revisions.c.revision)
    )
    for row in connection.execute(query):
        found[row.note_id].append(
            Revision(
                revision=row.revision,
                action=RevisionAction(row.action),
                status=NoteStatus(row.status),
                category=row.category,
                text=row.text,
                author=row.author,
                created_at=as_utc(row.created_at),
            )
        )
    return found


def _notes(connection: Connection, condition: object, include_deleted: bool) -> list[Note]:
    query = select(notes).where(condition)  # type: ignore[arg-type]
    if not include_deleted:
        query = query.where(notes.c.deleted_at.is_(None))
    rows = connection.execute(query.order_by(notes.c.week_ending, notes.c.metric)).all()
    history = _revisions(connection, (row.id for row in rows))
    return [
        Note(
            id=row.id,
            target=NoteTarget(row.metric, row.week_ending, row.detector),
            history=tuple(history[row.id]),
            deleted=row.deleted_at is not None,
        )
        for row in rows
        if history[row.id]
    ]


def _identity(target: NoteTarget) -> object:
    return and_(
        notes.c.metric == target.metric,
        notes.c.week_ending == target.week_ending,
        notes.c.detector == target.detector,
    )


def get_note(engine: Engine, target: NoteTarget, include_deleted: bool = False) -> Note | None:
    with engine.connect() as connection:
        found = _notes(connection, _identity(target), include_deleted)
    return found[0] if found else None


def note_by_id(engine: Engine, note_id: int) -> Note | None:
    with engine.connect() as connection:
        found = _notes(connection, notes.c.id == note_id, include_deleted=True)
    return found[0] if found else None


def notes_for_weeks(engine: Engine, weeks: Iterable[date]) -> dict[NoteTarget, Note]:
    """The live notes on these week-endings, by target."""
    wanted = sorted(set(weeks))
    if not wanted:
        return {}
    with engine.connect() as connection:
        found = _notes(connection, notes.c.week_ending.in_(wanted), include_deleted=False)
    return {note.target: note for note in found}


def all_notes(engine: Engine, include_deleted: bool = False) -> list[Note]:
    with engine.connect() as connection:
        return _notes(connection, notes.c.id.is_not(None), include_deleted)


def append_revision(
    connection: Connection,
    note_id: int,
    revision: int,
    action: RevisionAction,
    status: NoteStatus,
    category: str | None,
    text: str,
    author: str,
    at: datetime,
) -> None:
    connection.execute(
        note_revisions.insert().values(
            note_id=note_id,
            revision=revision,
            action=action.value,
            status=status.value,
            category=category,
            text=text,
            author=author,
            created_at=at,
        )
    )


def save_note(
    engine: Engine,
    target: NoteTarget,
    *,
    status: str,
    text: str,
    author: str,
    base_revision: int | None,
    category: str | None = None,
) -> Note:
    """Write a new revision of the note on `target` (or its first one).

    `base_revision` is the revision the writer saw (None: they saw no note). If
    the note moved on since, nothing is written and `NoteConflict` is raised.
    A deleted note counts as no note: writing on it starts it again.
    """
    parsed, category = check_fields(status, category, text)
    now = datetime.now(UTC)
    current = get_note(engine, target, include_deleted=True)
    live_base = None if current is None or current.deleted else current.revision
    if current is not None and base_revision != live_base:
        raise NoteConflict(current, text, base_revision)
    try:
        with engine.begin() as connection:
            if current is None:
                note_id = connection.execute(
                    notes.insert().values(
                        metric=target.metric,
                        week_ending=target.week_ending,
                        detector=target.detector,
                        revision=1,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                revision = 1
            else:
                note_id, revision = current.id, current.revision + 1
                moved = connection.execute(
                    update(notes)
                    .where(notes.c.id == note_id, notes.c.revision == current.revision)
                    .values(revision=revision, updated_at=now, deleted_at=None, deleted_by=None)
                ).rowcount
                if not moved:
                    raise _LostRace
            append_revision(
                connection,
                int(note_id),
                revision,
                RevisionAction.WRITTEN,
                parsed,
                category,
                text,
                author,
                now,
            )
            record(connection, author, "write note", target.describe(), f"revision {revision}")
    except (IntegrityError, _LostRace):
        # Someone saved between our read and our write: theirs stands, ours is returned.
        latest = get_note(engine, target, include_deleted=True)
        if latest is None:
            raise
        raise NoteConflict(latest, text, base_revision) from None
    saved = note_by_id(engine, int(note_id))
    assert saved is not None  # just written in a committed transaction
    return saved


class _LostRace(Exception):
    """The note's revision changed between reading it and bumping it."""


def _set_deleted(engine: Engine, note_id: int, actor: str, delete: bool) -> Note:
    note = note_by_id(engine, note_id)
    if note is None:
        raise AccessError(f"there is no note {note_id}")
    if note.deleted == delete:
        return note
    now = datetime.now(UTC)
    action = RevisionAction.DELETED if delete else RevisionAction.RESTORED
    current = note.current
    with engine.begin() as connection:
        moved = connection.execute(
            update(notes)
            .where(notes.c.id == note_id, notes.c.revision == note.revision)
            .values(
                revision=note.revision + 1,
                updated_at=now,
                deleted_at=now if delete else None,
                deleted_by=actor if delete else None,
            )
        ).rowcount
        if not moved:
            raise NoteConflict(note, current.text, note.revision)
        # The deleting revision repeats the text, so the history reads whole.
        append_revision(
            connection,
            note_id,
            note.revision + 1,
            action,
            current.status,
            current.category,
            current.text,
            actor,
            now,
        )
        record(connection, actor, f"{action.value[:-1]} note", note.target.describe())
    result = note_by_id(engine, note_id)
    assert result is not None
    return result


def delete_note(engine: Engine, note_id: int, actor: str) -> Note:
    """Soft delete: hidden from the deck, kept with its history, restorable by an admin."""
    return _set_deleted(engine, note_id, actor, delete=True)


def restore_note(engine: Engine, note_id: int, actor: str) -> Note:
    return _set_deleted(engine, note_id, actor, delete=False)
