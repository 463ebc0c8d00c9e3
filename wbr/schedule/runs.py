"""Every run of a scheduled job, recorded: when, which attempt, how it ended, what it loaded."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, desc, insert, select, update

from wbr.people.audit import as_utc
from wbr.store.schema import scheduled_runs

REFRESH_JOB = "refresh"
RUNNING, SUCCEEDED, FAILED, INTERRUPTED, MISSED = (
    "running",
    "succeeded",
    "failed",
    "interrupted",
    "missed",
)
ERROR_MAX_CHARS = 4000


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    job: str
    scheduled_for: datetime
    attempt: int
    trigger: str  # "schedule" or "manual"
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None
    summary: dict[str, Any]
    week_ending: date | None
    pid: int | None
    host: str | None


def utc(moment: datetime) -> datetime:
    """Stored times are UTC: SQLite keeps no offset, so every write converts first."""
    return moment.astimezone(UTC)


def _record(row: Any) -> RunRecord:
    return RunRecord(
        id=row.id,
        job=row.job,
        scheduled_for=as_utc(row.scheduled_for),
        attempt=row.attempt,
        trigger=row.trigger,
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at) if row.finished_at is not None else None,
        status=row.status,
        error=row.error,
        summary=json.loads(row.summary) if row.summary else {},
        week_ending=row.week_ending,
        pid=row.pid,
        host=row.host,
    )


def start_run(
    engine: Engine,
    scheduled_for: datetime,
    attempt: int,
    started_at: datetime,
    trigger: str = "schedule",
    status: str = RUNNING,
    job: str = REFRESH_JOB,
) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            insert(scheduled_runs).values(
                job=job,
                scheduled_for=utc(scheduled_for),
                attempt=attempt,
                trigger=trigger,
                started_at=utc(started_at),
                finished_at=utc(started_at) if status != RUNNING else None,
                status=status,
                pid=os.getpid(),
                host=socket.gethostname()[:255],
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def finish_run(
    engine: Engine,
    run_id: int,
    finished_at: datetime,
    status: str,
    *,
    error: str | None = None,
    summary: dict[str, Any] | None = None,
    week_ending: date | None = None,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(scheduled_runs)
            .where(scheduled_runs.c.id == run_id)
            .values(
                finished_at=utc(finished_at),
                status=status,
                error=error[:ERROR_MAX_CHARS] if error else None,
                summary=json.dumps(summary, sort_keys=True, default=str) if summary else None,
                week_ending=week_ending,
            )
        )


def mark_interrupted(engine: Engine, at: datetime, job: str = REFRESH_JOB) -> list[RunRecord]:
    """Runs left `running` by a process that died: called only by the lock's holder."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(scheduled_runs).where(
                scheduled_runs.c.job == job, scheduled_runs.c.status == RUNNING
            )
        ).all()
        for row in rows:
            connection.execute(
                update(scheduled_runs)
                .where(scheduled_runs.c.id == row.id)
                .values(
                    status=INTERRUPTED,
                    finished_at=utc(at),
                    error=f"the process running it ({row.pid} on {row.host}) stopped mid-run",
                )
            )
    return [_record(row) for row in rows]


def runs_for(engine: Engine, scheduled_for: datetime, job: str = REFRESH_JOB) -> list[RunRecord]:
    """The attempts at one fire time, first attempt first."""
    query = (
        select(scheduled_runs)
        .where(scheduled_runs.c.job == job, scheduled_runs.c.scheduled_for == utc(scheduled_for))
        .order_by(scheduled_runs.c.attempt, scheduled_runs.c.id)
    )
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(query)]


def recent_runs(engine: Engine, limit: int = 10, job: str = REFRESH_JOB) -> list[RunRecord]:
    query = (
        select(scheduled_runs)
        .where(scheduled_runs.c.job == job)
        .order_by(desc(scheduled_runs.c.id))
        .limit(limit)
    )
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(query)]


def last_success(engine: Engine, job: str = REFRESH_JOB) -> RunRecord | None:
    query = (
        select(scheduled_runs)
        .where(scheduled_runs.c.job == job, scheduled_runs.c.status == SUCCEEDED)
        .order_by(desc(scheduled_runs.c.finished_at), desc(scheduled_runs.c.id))
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return _record(row) if row is not None else None


def last_scheduled_success(engine: Engine, job: str = REFRESH_JOB) -> RunRecord | None:
    """The newest successful run of the schedule (not a manual one): its week is the ritual's."""
    query = (
        select(scheduled_runs)
        .where(
            scheduled_runs.c.job == job,
            scheduled_runs.c.status == SUCCEEDED,
            scheduled_runs.c.trigger == "schedule",
        )
        .order_by(desc(scheduled_runs.c.scheduled_for), desc(scheduled_runs.c.id))
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return _record(row) if row is not None else None
