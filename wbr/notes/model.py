"""What a note is: its target, its status, its text and its history.

The statuses answer the leader's one question about a flag, "do we understand
this move and is someone on it?": `investigating` is the only answer that
leaves a flag waiting; every other status closes the loop in its own way
(understood; understood and acted on; a dated event we knew of; noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final


class NoteStatus(StrEnum):
    EXPLAINED = "explained"  # the cause is understood
    INVESTIGATING = "investigating"  # the owner is on it; not yet understood
    ACTION_PLANNED = "action planned"  # understood, and a fix or response is under way
    KNOWN_EVENT = "known event"  # a dated event: a promotion, a holiday, an outage
    NOT_AN_ISSUE = "not an issue"  # noise, a data artefact, nothing to do


# Statuses that answer a flag; a flag whose note is `investigating` is still waiting.
ANSWERED: Final = frozenset(
    {
        NoteStatus.EXPLAINED,
        NoteStatus.ACTION_PLANNED,
        NoteStatus.KNOWN_EVENT,
        NoteStatus.NOT_AN_ISSUE,
    }
)

# An optional cause category, so the causes of a quarter can be counted.
CAUSE_CATEGORIES: Final = (
    "demand",
    "pricing",
    "promotion",
    "supply",
    "operations",
    "competition",
    "seasonality",
    "external",
    "data issue",
    "other",
)

MAX_NOTE_LENGTH: Final = 20_000  # characters; a note is a paragraph or two, not a report
METRIC_WEEK: Final = ""  # the detector of a note on a metric-week rather than on a flag


class RevisionAction(StrEnum):
    WRITTEN = "written"
    DELETED = "deleted"
    RESTORED = "restored"
    IMPORTED = "imported"


@dataclass(frozen=True, slots=True)
class NoteTarget:
    """What a note is attached to: a flag's identity, or a metric-week (detector "")."""

    metric: str
    week_ending: date
    detector: str = METRIC_WEEK

    @property
    def on_flag(self) -> bool:
        return self.detector != METRIC_WEEK

    @property
    def key(self) -> str:
        """ "revenue|2026-11-28|robust": the target as one string, for links and forms."""
        return f"{self.metric}|{self.week_ending.isoformat()}|{self.detector}"

    @classmethod
    def parse(cls, key: str) -> NoteTarget:
        """The inverse of `key`; ValueError for anything else."""
        metric, week, detector = key.split("|")
        if not metric:
            raise ValueError(f"no metric in {key!r}")
        return cls(metric, date.fromisoformat(week), detector)

    def describe(self) -> str:
        where = f"{self.metric} w/e {self.week_ending.isoformat()}"
        return f"{where} ({self.detector} flag)" if self.on_flag else where


@dataclass(frozen=True, slots=True)
class Revision:
    revision: int
    action: RevisionAction
    status: NoteStatus
    category: str | None
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    target: NoteTarget
    history: tuple[Revision, ...]  # oldest first; the last one is the note as it stands
    deleted: bool

    @property
    def current(self) -> Revision:
        return self.history[-1]

    @property
    def revision(self) -> int:
        return self.current.revision

    @property
    def first_author(self) -> str:
        return self.history[0].author


class NoteConflict(Exception):
    """A write based on an outdated revision: the note changed since it was opened.

    Carries both texts, so the person can merge theirs into the current one and
    save again on the current revision.
    """

    def __init__(self, current: Note, yours: str, base_revision: int | None) -> None:
        self.current = current
        self.yours = yours
        self.base_revision = base_revision
        super().__init__(
            f"{current.target.describe()} changed since revision {base_revision}: it is at "
            f"revision {current.revision} by {current.current.author}; merge and save again"
        )
