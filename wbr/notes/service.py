"""Writing notes as a person: the authorization check, then the store.

The web app and `wbr notes` both write through `NoteDesk`, so a note is only
ever written after `authorize` said yes for that person and that metric.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from wbr.errors import AccessError
from wbr.notes.model import Note, NoteTarget
from wbr.notes.store import delete_note, note_by_id, restore_note, save_note
from wbr.people.accounts import delegates
from wbr.people.roles import Action, Decision, Person, authorize
from wbr.registry.models import Registry


class Forbidden(AccessError):
    """The person may not do this; the web app answers 403, the CLI exits non-zero."""


@dataclass(frozen=True)
class NoteDesk:
    engine: Engine
    registry: Registry

    def owner_of(self, metric: str) -> str:
        try:
            return self.registry.metric(metric).owner
        except KeyError:
            raise AccessError(f"there is no metric `{metric}` in metrics.yaml") from None

    def decide(self, person: Person | None, action: Action, metric: str) -> Decision:
        return authorize(
            person,
            action,
            metric_owner=self.owner_of(metric),
            delegates=delegates(self.engine).get(metric, frozenset()),
            anonymous_read=self.registry.access.anonymous_read,
        )

    def _check(self, person: Person | None, action: Action, metric: str) -> Person:
        decision = self.decide(person, action, metric)
        if not decision.allowed or person is None:
            raise Forbidden(f"{action.value} on `{metric}` refused: {decision.reason}")
        return person

    def write(
        self,
        person: Person | None,
        target: NoteTarget,
        *,
        status: str,
        text: str,
        base_revision: int | None,
        category: str | None = None,
    ) -> Note:
        writer = self._check(person, Action.WRITE_NOTE, target.metric)
        weekday = self.registry.project.week_ends_on
        if target.week_ending.weekday() != weekday.iso_index:
            raise AccessError(
                f"{target.week_ending.isoformat()} is not a week-ending date "
                f"(weeks end on {weekday.value.capitalize()})"
            )
        return save_note(
            self.engine,
            target,
            status=status,
            category=category,
            text=text,
            author=writer.key,
            base_revision=base_revision,
        )

    def _existing(self, note_id: int) -> Note:
        note = note_by_id(self.engine, note_id)
        if note is None:
            raise AccessError(f"there is no note {note_id}")
        return note

    def delete(self, person: Person | None, note_id: int) -> Note:
        note = self._existing(note_id)
        actor = self._check(person, Action.DELETE_NOTE, note.target.metric)
        return delete_note(self.engine, note_id, actor.key)

    def restore(self, person: Person | None, note_id: int) -> Note:
        note = self._existing(note_id)
        actor = self._check(person, Action.RESTORE_NOTE, note.target.metric)
        return restore_note(self.engine, note_id, actor.key)
