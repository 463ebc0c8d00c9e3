"""Who still owes an explanation: an owner's inbox, and the leader's response gaps.

The inbox lists one person's open flags over every week, those still waiting
for an answer first, newest first within each group. The gaps list, for one
deck, the exceptions whose owners have not answered yet, grouped by owner.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Engine

from wbr.anomalies.store import open_flags_of
from wbr.deck.model import Chart, Deck
from wbr.notes.model import ANSWERED, NoteStatus, NoteTarget
from wbr.notes.store import notes_for_weeks
from wbr.people.accounts import delegates
from wbr.people.roles import Person, Role
from wbr.registry.models import Registry

INBOX_LIMIT: Final = 200  # flags; an inbox longer than this is a backlog, not a to-do list


@dataclass(frozen=True, slots=True)
class InboxItem:
    metric: str
    label: str
    week_ending: date
    detector: str
    sentence: str  # the detector's explanation of the move
    is_bad: bool
    note_status: str | None  # None: nobody has written yet

    @property
    def waiting(self) -> bool:
        return self.note_status is None or NoteStatus(self.note_status) not in ANSWERED

    @property
    def target(self) -> NoteTarget:
        return NoteTarget(self.metric, self.week_ending, self.detector)


def metrics_of(engine: Engine, registry: Registry, person: Person) -> list[str]:
    """The metrics a person answers for: owned, delegated, or every one for an admin."""
    if person.role is Role.ADMIN:
        return [metric.name for metric in registry.metrics]
    handed = {metric for metric, keys in delegates(engine).items() if person.key in keys}
    return [m.name for m in registry.metrics if m.owner == person.key or m.name in handed]


def inbox(engine: Engine, registry: Registry, person: Person) -> list[InboxItem]:
    flags = open_flags_of(engine, metrics_of(engine, registry, person), INBOX_LIMIT)
    notes = notes_for_weeks(engine, {flag.week_ending for flag in flags})
    labels = {metric.name: metric.label for metric in registry.metrics}
    items = []
    for flag in flags:
        note = notes.get(NoteTarget(flag.metric, flag.week_ending, flag.detector.value))
        items.append(
            InboxItem(
                metric=flag.metric,
                label=labels.get(flag.metric, flag.metric),
                week_ending=flag.week_ending,
                detector=flag.detector.value,
                sentence=flag.explanation,
                is_bad=flag.is_bad,
                note_status=note.current.status.value if note is not None else None,
            )
        )
    # Stable sorts: newest first, then the waiting ones ahead of the answered ones.
    items.sort(key=lambda item: item.week_ending, reverse=True)
    items.sort(key=lambda item: not item.waiting)
    return items


@dataclass(frozen=True, slots=True)
class Gap:
    chart: Chart
    response: str  # "waiting" or "investigating"


def response_gaps(deck: Deck) -> dict[str, list[Gap]]:
    """Owner (as the deck names them) → this week's exceptions they have not answered."""
    gaps: dict[str, list[Gap]] = defaultdict(list)
    for chart in deck.charts:
        response = deck.response(chart)
        if response in ("waiting", "investigating"):
            gaps[chart.owner].append(Gap(chart, response))
    return dict(sorted(gaps.items(), key=lambda item: (-len(item[1]), item[0])))
