"""A whole week of the ritual on the demo, with a fake clock and real servers.

`wbr scheduler --once --now …` runs as its own process, as cron would run it; a real
SMTP server (STARTTLS and a login required) and an HTTP receiver check what arrived.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ritual_support import (
    SMTP_PASSWORD,
    SMTP_USER,
    WEBHOOK_SECRET,
    Inbox,
    Receiver,
    http_receiver,
    smtp_server,
)
from ruamel.yaml import YAML

from wbr.anomalies import flags_for_week
from wbr.deck.build import build_deck
from wbr.notes.model import NoteTarget
from wbr.notes.store import save_note
from wbr.notify.webhook import SIGNATURE_HEADER
from wbr.schedule import runs
from wbr.schedule.lock import lock_holder
from wbr.workspace import open_workspace

ROOT = Path(__file__).parent.parent
PREVIOUS_WEEK = date(2026, 11, 14)
WEEK = date(2026, 11, 21)  # the demo's last week
MONDAY_0600 = "2026-11-23T06:00:00+01:00"  # the refresh after it (Europe/Berlin)
MONDAY_0601 = "2026-11-23T06:01:00+01:00"
TUESDAY_1400 = "2026-11-24T14:00:00+01:00"  # after the reminder time (13:00), before 17:00
FIRE = datetime.fromisoformat(MONDAY_0600)
POLL_SECONDS, POLLS = 0.2, 600  # waiting for a process to exit: at most two minutes
DATE_COLUMNS = {"site_daily.csv": "date", "orders.csv": "order_date", "plan_daily.csv": "date"}


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wbr.demo.generate import generate_demo_data

    folder = tmp_path_factory.mktemp("demo-data")
    generate_demo_data(folder)
    return folder


def _write_data(project: Path, demo_data: Path, through: date) -> None:
    """The demo's files as they stood when `through` was the newest day."""
    target = project / "demo" / "data"
    target.mkdir(parents=True, exist_ok=True)
    for name, column in DATE_COLUMNS.items():
        if through >= WEEK:
            shutil.copy(demo_data / name, target / name)
            continue
        frame = pd.read_csv(demo_data / name, dtype=str, keep_default_na=False)
        frame[frame[column] <= through.isoformat()].to_csv(target / name, index=False)


def _registry(project: Path, smtp_port: int, ca_file: Path, hooks: str, tickets: bool) -> Path:
    yaml = YAML()
    data: Any = yaml.load((ROOT / "metrics.yaml").read_text())
    data["notifications"] = {
        "base_url": "http://wbr.test:8050",
        "leaders": ["leader"],
        "admins": ["rachel"],
        "email": {
            "host": "127.0.0.1",
            "port": smtp_port,
            "sender": "wbr@acme.example",
            "ca_file": str(ca_file),
        },
        "deck_pdf": "exports/wbr-{week}.pdf",  # the export job's file: attached when it exists
        "webhooks": [
            {"name": "leaders_slack", "url": f"{hooks}/slack", "messages": ["deck_ready"]},
            {
                "name": "ops_json",
                "url": f"{hooks}/json",
                "format": "json",
                "secret_env": "WBR_TEST_HOOK_SECRET",
            },
        ],
    }
    if tickets:  # an API source, loaded last: a test can hold its request mid-refresh
        data["sources"]["tickets"] = {
            "kind": "http",
            "url": f"{hooks}/tickets",
            "records": "data",
            "date_column": "day",
        }
    registry = project / "metrics.yaml"
    with registry.open("w") as out:
        yaml.dump(data, out)
    return registry


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "WBR_SMTP_USERNAME": SMTP_USER,
        "WBR_SMTP_PASSWORD": SMTP_PASSWORD,
        "WBR_TEST_HOOK_SECRET": WEBHOOK_SECRET,
    }


def _command(registry: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "wbr.cli", *args, "--registry", str(registry)]


def wbr(registry: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(registry, *args),
        cwd=registry.parent,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def scheduler_once(registry: Path, now: str) -> subprocess.CompletedProcess[str]:
    return wbr(registry, "scheduler", "--once", "--now", now)


def start_scheduler(registry: Path, now: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command(registry, "scheduler", "--once", "--now", now),
        cwd=registry.parent,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Week:
    def __init__(self, registry: Path, inbox: Inbox, receiver: Receiver) -> None:
        self.registry = registry
        self.inbox = inbox
        self.receiver = receiver

    def mails(self) -> list[tuple[str, tuple[str, ...]]]:
        return sorted((mail.event, tuple(mail.recipients)) for mail in self.inbox.snapshot())

    def posts(self, path: str) -> list[Any]:
        return [post for post in self.receiver.snapshot() if post.path == path]

    def fire_runs(self) -> list[runs.RunRecord]:
        workspace = open_workspace(self.registry)
        try:
            return runs.runs_for(workspace.engine, FIRE)
        finally:
            workspace.dispose()


@pytest.fixture
def week(tmp_path: Path, demo_data: Path, request: pytest.FixtureRequest) -> Iterator[Week]:
    tickets = bool(getattr(request, "param", False))
    with smtp_server(tmp_path) as (port, ca_file, inbox), http_receiver() as (hooks, receiver):
        project = tmp_path / "project"
        project.mkdir()
        receiver.tickets = [{"day": "2026-11-20", "id": 1, "minutes": 12}]
        registry = _registry(project, port, ca_file, hooks, tickets)
        # Last week, refreshed by hand: the store the scheduler finds on Monday morning.
        _write_data(project, demo_data, PREVIOUS_WEEK)
        done = wbr(registry, "refresh")
        assert done.returncode == 0, done.stderr
        # Over the weekend the sources gained the new week's days.
        _write_data(project, demo_data, WEEK)
        yield Week(registry, inbox, receiver)


def _flagged_metrics(registry: Path) -> list[str]:
    """Metrics with an open flag in the week (in the deck or not: their owners are asked)."""
    workspace = open_workspace(registry)
    try:
        found = flags_for_week(workspace.engine, WEEK)
        return sorted(m for m, flags in found.items() if any(f.status == "open" for f in flags))
    finally:
        workspace.dispose()


def test_a_week_of_the_ritual_sends_each_message_once(week: Week) -> None:
    assert week.mails() == []  # a manual refresh tells nobody
    pdf = week.registry.parent / "exports" / "wbr-2026-11-21.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4 the week's deck, as the export wrote it\n%%EOF\n")
    monday = scheduler_once(week.registry, MONDAY_0600)
    assert monday.returncode == 0, monday.stderr
    assert "refreshed for 2026-11-23 06:00" in monday.stdout

    flagged = _flagged_metrics(week.registry)
    assert flagged, "the demo's last week has exceptions"
    # Each owner's address comes from `people:` in metrics.yaml.
    workspace = open_workspace(week.registry)
    owner_of = {m.name: m.owner for m in workspace.registry.metrics}
    email = {p.key: p.email for p in workspace.registry.people}
    workspace.dispose()
    expected = [("deck_ready/2026-11-21", ("leader@acme.example",))] + [
        (f"please_explain/2026-11-21/{metric}", (str(email[owner_of[metric]]),))
        for metric in flagged
    ]
    assert week.mails() == sorted(expected)
    for mail in week.inbox.snapshot():
        assert mail.over_tls and mail.authenticated
        assert mail.sender == "wbr@acme.example"
    deck_mail = next(m for m in week.inbox.snapshot() if m.event.startswith("deck_ready"))
    body_part = deck_mail.message.get_body(("plain",))
    assert body_part is not None
    text = body_part.get_content()
    assert "http://wbr.test:8050/?week=2026-11-21" in text
    assert "Meeting: Wed 25 Nov 2026 10:00 CET" in text
    (attached,) = deck_mail.message.iter_attachments()
    assert attached.get_filename() == pdf.name
    assert attached.get_content() == pdf.read_bytes()
    ask = next(m for m in week.inbox.snapshot() if m.event.startswith("please_explain"))
    metric = ask.event.rsplit("/", 1)[1]
    body = ask.message.get_content()
    assert "Tue 24 Nov 2026 17:00 CET" in body  # the deadline
    assert f"http://wbr.test:8050/?week=2026-11-21#flag-{metric}-2026-11-21-" in body

    # The Slack-style hook takes only *deck ready*; the JSON hook takes everything, signed.
    slack = week.posts("/slack")
    assert len(slack) == 1 and "WBR deck ready" in slack[0].json()["text"]
    signed = week.posts("/json")
    assert sorted(post.json()["event"] for post in signed) == sorted(e for e, _ in expected)
    for post in signed:
        digest = hmac.new(WEBHOOK_SECRET.encode(), post.body, hashlib.sha256).hexdigest()
        assert post.headers[SIGNATURE_HEADER.lower()] == f"sha256={digest}"
        assert post.headers["x-wbr-event"] == post.json()["event"]

    # Running again, a minute later or at the same time, sends nothing new.
    again = scheduler_once(week.registry, MONDAY_0601)
    assert again.returncode == 0, again.stderr
    assert len(week.inbox.snapshot()) == len(expected)
    assert len(week.receiver.snapshot()) == 1 + len(expected)
    assert [run.status for run in week.fire_runs()] == ["succeeded"]

    # One flag gets its explanation; the reminder goes only to the others' owners.
    answered = flagged[0]
    workspace = open_workspace(week.registry)
    detector = next(
        flag.detector.value
        for flag in flags_for_week(workspace.engine, WEEK)[answered]
        if flag.status == "open"
    )
    save_note(
        workspace.engine,
        NoteTarget(answered, WEEK, detector),
        status="explained",
        text="A competitor's clearance sale; ours resumes next week.",
        author=owner_of[answered],
        base_revision=None,
    )
    workspace.dispose()
    tuesday = scheduler_once(week.registry, TUESDAY_1400)
    assert tuesday.returncode == 0, tuesday.stderr
    reminders = sorted(m.event for m in week.inbox.snapshot() if m.event.startswith("reminder"))
    assert reminders == [f"reminder/2026-11-21/{metric}" for metric in flagged[1:]]
    twice = scheduler_once(week.registry, TUESDAY_1400)
    assert twice.returncode == 0
    assert len(week.inbox.snapshot()) == len(expected) + len(flagged) - 1

    # `wbr status` shows the run and what it loaded.
    status = wbr(week.registry, "status", "--as-of", "2026-11-23")
    assert "succeeded" in status.stdout and "schedule" in status.stdout
    assert "2026-11-23 05:00 UTC" in status.stdout  # the fire time, Mon 06:00 in Berlin
    (run,) = week.fire_runs()
    assert run.week_ending == WEEK and run.finished_at is not None
    assert set(run.summary["loaded"]) == {"site_daily", "orders", "plan_daily"}
    assert all(rows > 0 for rows in run.summary["loaded"].values())


def _stop(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.kill()
    child.communicate()  # reaps it and closes its pipes


def _first_to_exit(*children: subprocess.Popen[str]) -> subprocess.Popen[str]:
    for _ in range(POLLS):
        for child in children:
            if child.poll() is not None:
                return child
        time.sleep(POLL_SECONDS)
    raise AssertionError("no scheduler exited")


def _wait(event: Any, what: str) -> None:
    assert event.wait(timeout=120), f"timed out waiting for {what}"


@pytest.mark.parametrize("week", [True], indirect=True, ids=["api-source"])
def test_a_refresh_killed_midway_finishes_once_on_restart(week: Week) -> None:
    week.receiver.hold.set()  # the API source answers only when released
    child = start_scheduler(week.registry, MONDAY_0600)
    try:
        _wait(week.receiver.held, "the refresh to reach the API source")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        _stop(child)
    assert child.returncode == -signal.SIGKILL
    assert [run.status for run in week.fire_runs()] == ["running"]
    assert week.mails() == [] and week.posts("/json") == []  # killed before any message
    workspace = open_workspace(week.registry)
    assert lock_holder(workspace.engine) is None  # its holder is gone: the lock is free
    workspace.dispose()

    week.receiver.hold.clear()
    restarted = scheduler_once(week.registry, MONDAY_0601)
    assert restarted.returncode == 0, restarted.stderr
    assert "was interrupted" in restarted.stdout
    assert [(run.attempt, run.status) for run in week.fire_runs()] == [
        (1, "interrupted"),
        (2, "succeeded"),
    ]
    events = [event for event, _ in week.mails()]
    assert events.count("deck_ready/2026-11-21") == 1
    assert len(events) == len(set(events))
    assert scheduler_once(week.registry, MONDAY_0601).returncode == 0
    assert [event for event, _ in week.mails()] == events


@pytest.mark.parametrize("week", [True], indirect=True, ids=["api-source"])
def test_two_schedulers_started_together_refresh_once(week: Week) -> None:
    # Whichever gets the lock is held at the API source until the other has given up.
    week.receiver.hold.set()
    first, second = (start_scheduler(week.registry, MONDAY_0600) for _ in range(2))
    try:
        _wait(week.receiver.held, "one scheduler to reach the API source")
        # The other one finds the lock taken and exits at once; the holder waits on.
        done = _first_to_exit(first, second)
        assert done.returncode == 3, "the other scheduler found the lock taken"
        assert (second if done is first else first).poll() is None
        # A refresh typed by hand meanwhile is refused too, naming the holder.
        manual = wbr(week.registry, "refresh")
        assert manual.returncode == 1
        assert "a refresh is already running: process" in manual.stderr
        week.receiver.release.set()
        for child in (first, second):
            child.wait(timeout=300)
        assert sorted(child.returncode for child in (first, second)) == [0, 3]
        busy = next(child for child in (first, second) if child.returncode == 3)
        assert busy.stdout is not None and "holds the refresh lock" in busy.stdout.read()
    finally:
        for child in (first, second):
            _stop(child)
    assert [run.status for run in week.fire_runs()] == ["succeeded"]
    events = [event for event, _ in week.mails()]
    assert events.count("deck_ready/2026-11-21") == 1 and len(events) == len(set(events))


@pytest.mark.parametrize("week", [True], indirect=True, ids=["api-source"])
def test_a_failed_refresh_keeps_the_last_deck_tells_the_admins_and_retries(week: Week) -> None:
    week.receiver.fail.set()  # the API source is down on Monday morning
    failed = scheduler_once(week.registry, MONDAY_0600)
    assert failed.returncode == 1
    assert "refresh for 2026-11-23 06:00" in failed.stdout and "failed" in failed.stdout
    assert week.mails() == [
        ("refresh_failed/2026-11-23T05:00:00+00:00/1", ("rachel@acme.example",))
    ]
    workspace = open_workspace(week.registry)
    deck = build_deck(workspace.engine, workspace.registry)
    assert deck.week_ending == PREVIOUS_WEEK  # the last good deck still serves
    assert deck.freshness is not None and deck.freshness.last_status == "failed"
    assert deck.freshness.data_as_of is not None
    workspace.dispose()

    # Before the backoff (5 minutes, doubling) is over, nothing is retried.
    early = scheduler_once(week.registry, "2026-11-23T06:02:00+01:00")
    assert early.returncode == 0 and len(week.fire_runs()) == 1
    week.receiver.fail.clear()
    retried = scheduler_once(week.registry, "2026-11-23T06:10:00+01:00")
    assert retried.returncode == 0, retried.stderr
    assert [(run.attempt, run.status) for run in week.fire_runs()] == [
        (1, "failed"),
        (2, "succeeded"),
    ]
    assert [e for e, _ in week.mails()].count("deck_ready/2026-11-21") == 1
