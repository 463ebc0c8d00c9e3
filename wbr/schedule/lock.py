"""A lock in the store, so that exactly one refresh runs at a time across processes.

A row per lock name holds a random token, the holder's pid and host, and an expiry
the holder pushes forward from a heartbeat thread while it works. A process killed
with its lock stops renewing it: the lock is free once it expires, and at once when
the holder ran on this host and its pid is gone. Taking and stealing are single
conditional statements (insert; update where expired or where the holder is the dead
one we saw), so of two processes racing for the lock exactly one gets it, on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from wbr.errors import WbrError
from wbr.ingest.runs import process_alive
from wbr.people.audit import as_utc
from wbr.store.schema import job_locks

REFRESH_LOCK = "refresh"
DEFAULT_TIMEOUT_SECONDS = 300
# Renew three times per timeout, so one slow renewal never lets the lock lapse.
RENEWALS_PER_TIMEOUT = 3


class LockBusy(WbrError):
    """Another process holds the lock; nothing was run."""


@dataclass(frozen=True, slots=True)
class LockHolder:
    name: str
    pid: int
    host: str
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        return (
            f"process {self.pid} on {self.host} since {self.acquired_at:%Y-%m-%d %H:%M:%S} UTC "
            f"(its lock expires at {self.expires_at:%H:%M:%S} UTC unless it renews it)"
        )


def _now() -> datetime:
    # Wall-clock time on purpose: a lock is about processes being alive, not about the
    # schedule's (possibly simulated) clock.
    return datetime.now(UTC)


def _host() -> str:
    return socket.gethostname()[:255]


def lock_holder(engine: Engine, name: str = REFRESH_LOCK) -> LockHolder | None:
    """Who holds the lock now, or None when it is free (or has expired)."""
    with engine.connect() as connection:
        row = connection.execute(select(job_locks).where(job_locks.c.name == name)).first()
    if row is None or as_utc(row.expires_at) <= _now() or process_alive(row.pid, row.host) is False:
        return None
    return LockHolder(name, row.pid, row.host, as_utc(row.acquired_at), as_utc(row.expires_at))


class StoreLock:
    """Hold `name` while the block runs; renewed in the background, released at the end."""

    def __init__(
        self,
        engine: Engine,
        name: str = REFRESH_LOCK,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.engine = engine
        self.name = name
        self.timeout = timedelta(seconds=timeout_seconds)
        self.token = secrets.token_hex(16)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = False  # set when a renewal found the lock taken away

    def try_acquire(self) -> bool:
        now = _now()
        values = {
            "holder": self.token,
            "pid": os.getpid(),
            "host": _host(),
            "acquired_at": now,
            "expires_at": now + self.timeout,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(job_locks).values(name=self.name, **values))
        except IntegrityError:
            if not self._take_over(values, now):
                return False
        self._start_renewing()
        return True

    def _take_over(self, values: dict[str, object], now: datetime) -> bool:
        """Take a lock that expired, or whose holder on this host is dead."""
        with self.engine.connect() as connection:
            row = connection.execute(select(job_locks).where(job_locks.c.name == self.name)).first()
        if row is None:
            return False  # released in between: the caller may try again
        dead_holder = process_alive(row.pid, row.host) is False
        condition = job_locks.c.expires_at < now
        if dead_holder:
            condition = or_(condition, job_locks.c.holder == row.holder)
        with self.engine.begin() as connection:
            result = connection.execute(
                update(job_locks)
                .where(and_(job_locks.c.name == self.name, condition))
                .values(**values)
            )
        return result.rowcount == 1

    def _start_renewing(self) -> None:
        self._stop.clear()
        self._renewer = threading.Thread(
            target=self._renew_until_stopped, name=f"wbr-lock-{self.name}", daemon=True
        )
        self._renewer.start()

    def _renew_until_stopped(self) -> None:
        interval = self.timeout.total_seconds() / RENEWALS_PER_TIMEOUT
        while not self._stop.wait(interval):
            try:
                with self.engine.begin() as connection:
                    result = connection.execute(
                        update(job_locks)
                        .where(job_locks.c.name == self.name, job_locks.c.holder == self.token)
                        .values(expires_at=_now() + self.timeout)
                    )
            except SQLAlchemyError:
                continue  # the store is busy or away: try again at the next interval
            if result.rowcount != 1:
                self.lost = True
                return

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        with self.engine.begin() as connection:
            connection.execute(
                delete(job_locks).where(
                    job_locks.c.name == self.name, job_locks.c.holder == self.token
                )
            )

    def __enter__(self) -> StoreLock:
        if not self.try_acquire():
            holder = lock_holder(self.engine, self.name)
            who = holder.describe() if holder else "another process"
            raise LockBusy(
                f"a refresh is already running: {who}; wait for it to finish (see `wbr status`)"
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


@contextmanager
def holding(engine: Engine, timeout_seconds: int, name: str = REFRESH_LOCK) -> Iterator[StoreLock]:
    """`with holding(engine, 300):` — the lock, or LockBusy naming who has it."""
    with StoreLock(engine, name, timeout_seconds) as lock:
        yield lock
