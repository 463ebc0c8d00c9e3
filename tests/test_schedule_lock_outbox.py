"""The refresh lock and the outbox on every store, and the misfire rule on a small project."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from small_project import write_project
from sqlalchemy import Engine, insert

from dashboards import ids
from wbr.notify import outbox
from wbr.notify.links import flag_anchor
from wbr.notify.messages import Message
from wbr.registry.ritual import MessageKind
from wbr.schedule import runs
from wbr.schedule.clock import Clock
from wbr.schedule.due import run_due
from wbr.schedule.lock import StoreLock, lock_holder
from wbr.store.schema import job_locks
from wbr.workspace import open_workspace

DEAD_HOST = "a-host-that-went-away"


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return int(child.stdout)


def _left_lock(engine: Engine, pid: int, host: str, expires_in: timedelta) -> None:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(job_locks).values(
                name="refresh", holder="someone-else", pid=pid, host=host,
                acquired_at=now, expires_at=now + expires_in,
            )
        )  # fmt: skip


def test_only_one_holder_at_a_time(store_engine: Engine) -> None:
    first, second = StoreLock(store_engine), StoreLock(store_engine)
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        holder = lock_holder(store_engine)
        assert holder is not None and holder.pid == first_pid()
    finally:
        first.release()
    assert lock_holder(store_engine) is None
    assert second.try_acquire()
    second.release()


def first_pid() -> int:
    import os

    return os.getpid()


def test_a_dead_holders_lock_is_free_at_once_on_this_host(store_engine: Engine) -> None:
    import socket

    _left_lock(store_engine, _dead_pid(), socket.gethostname(), timedelta(hours=1))
    assert lock_holder(store_engine) is None
    lock = StoreLock(store_engine)
    assert lock.try_acquire()
    lock.release()


def test_another_hosts_lock_holds_until_it_expires(store_engine: Engine) -> None:
    _left_lock(store_engine, 1, DEAD_HOST, timedelta(hours=1))
    assert not StoreLock(store_engine).try_acquire()  # it may still be working there
    with store_engine.begin() as connection:
        connection.execute(job_locks.delete())
    _left_lock(store_engine, 1, DEAD_HOST, -timedelta(seconds=1))
    lock = StoreLock(store_engine)
    assert lock.try_acquire()  # expired: its holder stopped renewing it
    lock.release()


def _message(event: str) -> Message:
    return Message(MessageKind.DECK_READY, event, "Deck ready", "text", "http://x/")


def test_queuing_an_event_twice_adds_nothing(store_engine: Engine) -> None:
    people = [outbox.Delivery("email", "a@x.test"), outbox.Delivery("webhook", "ops")]
    assert outbox.queue(store_engine, _message("deck_ready/2026-11-21"), people) == 2
    assert outbox.queue(store_engine, _message("deck_ready/2026-11-21"), people) == 0
    assert outbox.queue(store_engine, _message("deck_ready/2026-11-28"), people[:1]) == 1
    rows = outbox.all_rows(store_engine)
    assert [(r.event, r.recipient) for r in rows] == [
        ("deck_ready/2026-11-21", "a@x.test"),
        ("deck_ready/2026-11-21", "ops"),
        ("deck_ready/2026-11-28", "a@x.test"),
    ]
    assert outbox.claim(store_engine, rows[0].id)
    assert not outbox.claim(store_engine, rows[0].id)  # a second sender does not get it
    outbox.mark_sent(store_engine, rows[0].id)
    assert [r.id for r in outbox.sendable(store_engine)] == [rows[1].id, rows[2].id]


def test_message_links_open_the_flag_the_dash_app_draws() -> None:
    week = datetime(2026, 11, 21).date()
    assert flag_anchor("orders", week, "robust") == ids.flag_id("orders", week, "robust")


def _scheduled_project(folder: Path) -> Path:
    registry = write_project(folder)
    yaml = YAML(typ="safe")
    data: Any = yaml.load(registry.read_text())
    data["schedule"] = {"timezone": "UTC", "refresh": "0 6 * * mon", "misfire_grace_minutes": 60}
    with registry.open("w") as out:
        yaml.dump(data, out)
    return registry


def test_a_missed_refresh_runs_once_within_the_grace_period(tmp_path: Path) -> None:
    workspace = open_workspace(_scheduled_project(tmp_path))
    try:
        fire = datetime(2024, 3, 18, 6, tzinfo=UTC)  # a Monday
        # The scheduler was down at 06:00 and is back at 06:40: it runs the refresh then.
        report = run_due(workspace, Clock(fire + timedelta(minutes=40)))
        assert report.refresh_failed is None, report.lines
        assert [r.status for r in runs.runs_for(workspace.engine, fire)] == ["succeeded"]
        run_due(workspace, Clock(fire + timedelta(minutes=50)))  # and never twice
        assert len(runs.runs_for(workspace.engine, fire)) == 1
        # A week later it is back only at 08:00, past the 60-minute grace: missed, not run.
        later = fire + timedelta(days=7)
        report = run_due(workspace, Clock(later + timedelta(hours=2)))
        assert any("missed the refresh" in line for line in report.lines)
        assert [(r.status, r.attempt) for r in runs.runs_for(workspace.engine, later)] == [
            ("missed", 0)
        ]
        run_due(workspace, Clock(later + timedelta(hours=2, minutes=5)))
        assert len(runs.runs_for(workspace.engine, later)) == 1
    finally:
        workspace.dispose()
