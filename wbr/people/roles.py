"""Roles and the one function that decides whether a person may do something.

Every write in the web app and on the command line goes through `authorize`,
so the rules live in one place and the authorization tests exercise exactly
what the app runs. Hidden buttons are a convenience, never a protection.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"  # reads the deck
    OWNER = "owner"  # writes notes on the metrics they own or were delegated
    ADMIN = "admin"  # everything, including people and restoring deleted notes


class Action(StrEnum):
    READ_DECK = "read deck"
    WRITE_NOTE = "write note"  # add a note, or a new revision of one
    DELETE_NOTE = "delete note"
    RESTORE_NOTE = "restore note"
    DELEGATE = "delegate metric"
    MANAGE_PEOPLE = "manage people"


@dataclass(frozen=True)
class Person:
    """A signed-in person as authorization sees them."""

    key: str
    name: str
    role: Role
    active: bool = True
    email: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # why not, in words a person can act on; "" when allowed


ALLOWED = Decision(True, "")


def authorize(
    person: Person | None,
    action: Action,
    *,
    metric_owner: str | None = None,
    delegates: Collection[str] = (),
    anonymous_read: bool = False,
) -> Decision:
    """May `person` (None: not signed in) do `action`, on a metric owned by `metric_owner`?

    Owners write on their own metrics and on those delegated to them, whoever wrote
    the note before: a note on a metric belongs to the metric's owners, so a
    colleague can carry on an explanation. Viewers never write.
    """
    if person is None or not person.active:
        if action is Action.READ_DECK and anonymous_read:
            return ALLOWED
        return Decision(False, "sign in first")
    if person.role is Role.ADMIN:
        return ALLOWED
    if action is Action.READ_DECK:
        return ALLOWED
    if action in (Action.MANAGE_PEOPLE, Action.RESTORE_NOTE):
        return Decision(False, f"{action.value} needs the admin role")
    if person.role is Role.VIEWER:
        return Decision(False, "viewers read the deck; ask an admin for the owner role")
    owns = metric_owner is not None and (person.key == metric_owner or person.key in delegates)
    if not owns:
        return Decision(False, f"only the metric's owner ({metric_owner}) or a delegate may")
    return ALLOWED
