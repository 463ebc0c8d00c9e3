"""Who a message goes to, and which flags still wait for an explanation.

Two seams on purpose: `owner_addresses` is the only place an owner key becomes an
e-mail address, and `unexplained_flags` the only place that decides a flag still
needs its owner's explanation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import Engine

from wbr.anomalies import Flag, FlagStatus, flags_for_week
from wbr.notes.model import ANSWERED, NoteTarget
from wbr.notes.store import notes_for_weeks
from wbr.registry.models import Registry
from wbr.registry.ritual import EMAIL_PATTERN


def owner_addresses(registry: Registry) -> dict[str, str]:
    """Owner (person) key → e-mail address: `people:` e-mails, overridden by
    `notifications.owners`."""
    found = {person.key: person.email for person in registry.people if person.email}
    return {**found, **registry.notifications.owners}


def address_of(key: str, addresses: Mapping[str, str]) -> str | None:
    """The address for a person key or a literal address; None when nobody is known."""
    if key in addresses:
        return addresses[key]
    return key if re.match(EMAIL_PATTERN, key) else None


def addresses_for(keys: Iterable[str], addresses: Mapping[str, str]) -> list[str]:
    """Distinct addresses for these keys, in order, leaving out those without one."""
    found: list[str] = []
    for key in keys:
        address = address_of(key, addresses)
        if address is not None and address not in found:
            found.append(address)
    return found


def unexplained_flags(engine: Engine, week_ending: date) -> dict[str, list[Flag]]:
    """Metric → this week's open flags that no owner's note answers yet.

    A flag explained by a known event is not open; a note that says "investigating"
    does not answer it.
    """
    notes = notes_for_weeks(engine, [week_ending])
    waiting: dict[str, list[Flag]] = {}
    for metric, flags in flags_for_week(engine, week_ending).items():
        for flag in flags:
            if flag.status is not FlagStatus.OPEN:
                continue
            note = notes.get(NoteTarget(metric, week_ending, flag.detector.value))
            if note is not None and note.current.status in ANSWERED:
                continue
            waiting.setdefault(metric, []).append(flag)
    return waiting
