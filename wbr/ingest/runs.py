"""The load history in `load_runs`: one row per load of a source.

A run is inserted as `running` (committed at once, so a killed process leaves a
trace), then finished as `succeeded` in the same transaction as its data (or right
after the data commits, when the raw tables live in a store of their own), or as
`failed` with the message. A `running` row whose process is gone is shown as
`interrupted`, and is marked so when the source is next loaded.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from wbr.errors import LoadError
from wbr.store.schema import load_runs

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
INTERRUPTED = "interrupted"
LOAD_STATUSES = (RUNNING, SUCCEEDED, FAILED, INTERRUPTED)
ERROR_MAX_CHARS = 4_000  # a message long enough to act on, short enough for any TEXT column


def now() -> datetime:
    return datetime.now(UTC)


def start_run(engine: Engine, source: str, table: str, started_at: datetime) -> int:
    """Record a load as running, in its own committed transaction; return its id."""
    mark_interrupted(engine, source)
    with engine.begin() as connection:
        result = connection.execute(
            insert(load_runs).values(
                source=source,
                table_name=table,
                started_at=started_at,
                status=RUNNING,
                pid=os.getpid(),
                host=socket.gethostname()[:255],
            )
        )
        primary_key = result.inserted_primary_key
    if primary_key is None:  # only a dialect that cannot report new ids
        raise LoadError(f"source {source!r}: the store did not return the new load run's id")
    return int(primary_key[0])


def finish_run(connection: Connection, run_id: int, values: Mapping[str, Any]) -> None:
    """Record the outcome inside the caller's transaction (the one that loaded the data)."""
    connection.execute(
        update(load_runs).where(load_runs.c.id == run_id).values({"finished_at": now(), **values})
    )


def fail_run(engine: Engine, run_id: int, error: str, status: str = FAILED) -> None:
    try:
        with engine.begin() as connection:
            finish_run(connection, run_id, {"status": status, "error": error[:ERROR_MAX_CHARS]})
    except SQLAlchemyError:
        pass  # recording a failure must not hide the failure itself (e.g. database down)


def process_alive(pid: int | None, host: str | None) -> bool | None:
    """Whether the process that ran a load still runs; None when it ran on another host."""
    if pid is None or host != socket.gethostname()[:255]:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def shown_status(row: Mapping[Any, Any]) -> str:
    """The status to show: a `running` load whose process is gone was interrupted."""
    status = str(row["status"])
    if status == RUNNING and process_alive(row["pid"], row["host"]) is False:
        return INTERRUPTED
    return status


def mark_interrupted(engine: Engine, source: str) -> None:
    """Mark the source's `running` loads whose process is gone as interrupted."""
    with engine.begin() as connection:
        query = select(load_runs.c.id, load_runs.c.pid, load_runs.c.host).where(
            load_runs.c.source == source, load_runs.c.status == RUNNING
        )
        for row in connection.execute(query).mappings().all():
            if process_alive(row["pid"], row["host"]) is False:
                finish_run(
                    connection,
                    row["id"],
                    {"status": INTERRUPTED, "error": "the load's process ended before it finished"},
                )
