"""Notes to and from a JSON file: a team's explanations can be backed up or moved.

The file keeps every note with its whole history, deleted ones included. An
import adds what the store lacks and nothing else: a note it does not have is
created with its history; a note it has gets the revisions it lacks that came
after its own (matched by author, time and text), so importing a file twice, or
a file exported from this very store, changes nothing. One transaction: a bad
file changes nothing either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, update

from wbr.errors import ConfigError
from wbr.notes.model import Note, NoteStatus, NoteTarget, RevisionAction
from wbr.notes.store import all_notes, append_revision, check_fields
from wbr.people.audit import as_utc, record
from wbr.store.schema import notes

FORMAT: Final = "wbr-notes"
VERSION: Final = 1


@dataclass(frozen=True)
class ImportCounts:
    notes_created: int
    revisions_added: int
    unchanged: int


def _revision_body(note: Note) -> list[dict[str, Any]]:
    return [
        {
            "revision": r.revision,
            "action": r.action.value,
            "status": r.status.value,
            "category": r.category,
            "text": r.text,
            "author": r.author,
            "created_at": r.created_at.isoformat(),
        }
        for r in note.history
    ]


def notes_document(engine: Engine) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "notes": [
            {
                "metric": note.target.metric,
                "week_ending": note.target.week_ending.isoformat(),
                "detector": note.target.detector,
                "deleted": note.deleted,
                "history": _revision_body(note),
            }
            for note in all_notes(engine, include_deleted=True)
        ],
    }


def export_notes(engine: Engine, path: Path) -> int:
    document = notes_document(engine)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(document["notes"])


@dataclass(frozen=True)
class _Incoming:
    target: NoteTarget
    deleted: bool
    history: list[tuple[RevisionAction, NoteStatus, str | None, str, str, datetime]]


def _parse(document: Any, source: str) -> list[_Incoming]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigError(f"{source} is not a notes file written by `wbr notes export`")
    if document.get("version") != VERSION:
        raise ConfigError(f"{source} has notes format version {document.get('version')!r}")
    parsed = []
    for index, body in enumerate(document.get("notes") or []):
        where = f"{source}: note #{index + 1}"
        try:
            target = NoteTarget(
                str(body["metric"]), date.fromisoformat(body["week_ending"]), str(body["detector"])
            )
            history = []
            for revision in body["history"]:
                status, category = check_fields(
                    revision["status"], revision.get("category"), revision["text"]
                )
                history.append(
                    (
                        RevisionAction(revision["action"]),
                        status,
                        category,
                        str(revision["text"]),
                        str(revision["author"]),
                        as_utc(datetime.fromisoformat(revision["created_at"])),
                    )
                )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"{where} is malformed: {error}") from None
        if not history:
            raise ConfigError(f"{where} has no revisions")
        parsed.append(_Incoming(target, bool(body.get("deleted")), history))
    return parsed


def import_notes(engine: Engine, path: Path, actor: str) -> ImportCounts:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    incoming = _parse(document, str(path))
    existing = {note.target: note for note in all_notes(engine, include_deleted=True)}
    created = added = unchanged = 0
    with engine.begin() as connection:
        for note in incoming:
            current = existing.get(note.target)
            seen = {(r.author, r.created_at, r.text) for r in current.history} if current else set()
            newest = current.current.created_at if current else None
            fresh = [
                r
                for r in note.history
                if (r[4], r[5], r[3]) not in seen and (newest is None or r[5] > newest)
            ]
            if not fresh:
                unchanged += 1
                continue
            if current is None:
                first = note.history[0][5]
                note_id = connection.execute(
                    notes.insert().values(
                        metric=note.target.metric,
                        week_ending=note.target.week_ending,
                        detector=note.target.detector,
                        revision=0,
                        created_at=first,
                        updated_at=first,
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                revision = 0
                created += 1
            else:
                note_id, revision = current.id, current.revision
            for action, status, category, text, author, at in fresh:
                revision += 1
                append_revision(
                    connection, int(note_id), revision, action, status, category, text, author, at
                )
            added += len(fresh)
            last = fresh[-1][5]
            connection.execute(
                update(notes)
                .where(notes.c.id == note_id)
                .values(
                    revision=revision,
                    updated_at=last,
                    deleted_at=last if note.deleted else None,
                    deleted_by=fresh[-1][4] if note.deleted else None,
                )
            )
        record(connection, actor, "import notes", str(path), f"{created} new, {added} revisions")
    return ImportCounts(created, added, unchanged)
