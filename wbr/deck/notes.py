"""The owners' notes a deck shows: on each flag, and on each metric-week.

Notes are matched to flags by the flag's identity (metric, week, detector), so a
note written before a refresh sits on the same flag after it, and a note whose
flag no longer fires stays on its metric-week rather than disappearing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

from sqlalchemy import Engine, select

from wbr.deck.model import Annotation, AnomalyNote, NoteRevision
from wbr.notes.model import METRIC_WEEK, Note, NoteTarget
from wbr.notes.store import notes_for_weeks
from wbr.store.schema import people


def people_names(engine: Engine) -> dict[str, str]:
    """Person key → display name, for the authors of notes."""
    with engine.connect() as connection:
        rows = connection.execute(select(people.c.key, people.c.name))
        return {str(key): str(name) for key, name in rows}


def annotation(note: Note, names: Mapping[str, str]) -> Annotation:
    # Imported with the first note: a deck without notes does not load markdown-it.
    from wbr.notes.markdown import render_markdown

    current = note.current
    return Annotation(
        note_id=note.id,
        week_ending=note.target.week_ending,
        detector=note.target.detector,
        revision=current.revision,
        status=current.status.value,
        category=current.category,
        text=current.text,
        text_html=render_markdown(current.text),
        author=current.author,
        author_name=names.get(current.author, current.author),
        updated_at=current.created_at.isoformat(),
        history=tuple(
            NoteRevision(
                revision=revision.revision,
                action=revision.action.value,
                status=revision.status.value,
                category=revision.category,
                text=revision.text,
                author=revision.author,
                author_name=names.get(revision.author, revision.author),
                created_at=revision.created_at.isoformat(),
            )
            for revision in note.history
        ),
    )


class DeckNotes:
    """The notes of the weeks a deck shows, ready to attach to its charts."""

    def __init__(self, engine: Engine, weeks: Iterable[date]) -> None:
        found = notes_for_weeks(engine, weeks)
        names = people_names(engine) if found else {}
        self._by_target = {target: annotation(note, names) for target, note in found.items()}

    def on_flags(self, metric: str, flags: tuple[AnomalyNote, ...]) -> tuple[AnomalyNote, ...]:
        return tuple(
            replace(
                flag,
                annotation=self._by_target.get(NoteTarget(metric, flag.week_ending, flag.detector)),
            )
            for flag in flags
        )

    def on_metric_weeks(
        self, metric: str, flags: tuple[AnomalyNote, ...]
    ) -> tuple[Annotation, ...]:
        """Notes on the metric's weeks that are not on a flag the chart shows, oldest first.

        A note on a flag that stopped firing is kept here, so it is never hidden.
        """
        shown = {(flag.week_ending, flag.detector) for flag in flags}
        return tuple(
            note
            for target, note in sorted(
                self._by_target.items(), key=lambda item: item[0].week_ending
            )
            if target.metric == metric
            and (
                target.detector == METRIC_WEEK or (target.week_ending, target.detector) not in shown
            )
        )
