"""What an import could not carry over, or carried over differently."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


class NoteLevel(StrEnum):
    """How much a note matters to the person migrating, most serious first."""

    NOT_TRANSLATED = "not translated"  # left out of metrics.yaml: redo it by hand
    CHANGED = "changed"  # translated, but wbr shows or computes it differently
    TODO = "todo"  # a placeholder was written: fill in the real value
    INFO = "info"  # how a setting was used; nothing to do


@dataclass(frozen=True, slots=True)
class ImportNote:
    level: NoteLevel
    where: str  # the place in the source config: "metrics.PageViews", "deck block 3"
    message: str  # what happened and, where there is one, what to do

    def render(self) -> str:
        return f"{self.level.value}: {self.where}: {self.message}"


def summarize(notes: list[ImportNote] | tuple[ImportNote, ...]) -> str:
    """One line such as "2 not translated, 1 changed, 1 todo"."""
    counts = Counter(note.level for note in notes)
    parts = [f"{counts[level]} {level.value}" for level in NoteLevel if counts[level]]
    return ", ".join(parts) if parts else "nothing to report"
