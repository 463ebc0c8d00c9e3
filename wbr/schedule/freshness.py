"""What the deck says about its data's age: "data as of Mon 06:04; next refresh Mon 06:00"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from wbr.deck.model import Freshness
from wbr.registry.models import Registry
from wbr.schedule import runs, timing


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def deck_freshness(engine: Engine, registry: Registry, now: datetime) -> Freshness | None:
    """From the recorded runs and the schedule; None when nothing was ever refreshed."""
    latest = next(
        (run for run in runs.recent_runs(engine, limit=5) if run.status != runs.MISSED), None
    )
    good = runs.last_success(engine)
    schedule = registry.schedule
    if latest is None and schedule is None:
        return None
    next_refresh = due = meeting = None
    as_of = good.finished_at if good else None
    if schedule is not None:
        zone = schedule.zone
        as_of = as_of.astimezone(zone) if as_of else None
        fire = timing.next_refresh(schedule, now)
        next_refresh = fire.astimezone(zone) if fire else None
        ritual = runs.last_scheduled_success(engine)
        if ritual is not None:
            due = timing.deadline_for(schedule, ritual.scheduled_for)
            meeting = timing.meeting_for(schedule, ritual.scheduled_for)
    return Freshness(
        data_as_of=_iso(as_of),
        last_status=latest.status if latest else None,
        last_error=latest.error if latest and latest.status != runs.SUCCEEDED else None,
        next_refresh=_iso(next_refresh),
        explanations_due=_iso(due),
        meeting=_iso(meeting),
    )
