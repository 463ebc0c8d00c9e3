"""What is due now, run once: the refresh (or its retry), reminders, and the outbox.

`run_due` is one tick of the scheduler and all of `wbr scheduler --once`. It runs
only while holding the store's refresh lock, so two schedulers, or a scheduler and
a manual `wbr refresh`, never run together: the one without the lock does nothing.
A fire time is run once: its attempts are rows in `scheduled_runs`, and a fire time
with a successful (or a missed) run is never run again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from wbr.errors import ConfigError
from wbr.notify import outbox
from wbr.notify.dispatch import SendReport, deliveries, flush
from wbr.notify.messages import deck_ready, please_explain, refresh_failed, reminder
from wbr.notify.recipients import addresses_for, owner_addresses, unexplained_flags
from wbr.registry.ritual import MessageKind, Schedule
from wbr.schedule import runs, timing
from wbr.schedule.clock import Clock
from wbr.schedule.jobs import run_refresh
from wbr.schedule.lock import DEFAULT_TIMEOUT_SECONDS, StoreLock, lock_holder
from wbr.workspace import Workspace


@dataclass
class TickReport:
    lines: list[str] = field(default_factory=list)  # what happened, for the log
    busy: str | None = None  # who held the lock, when this tick could not run
    refresh_failed: str | None = None  # the error of a refresh this tick ran
    queued: int = 0
    send: SendReport = field(default_factory=SendReport)


def require_schedule(workspace: Workspace) -> Schedule:
    schedule = workspace.registry.schedule
    if schedule is None:
        raise ConfigError(
            f"{workspace.registry_file} has no `schedule:`; add e.g. `schedule: {{timezone: "
            "Europe/Berlin, refresh: '0 6 * * mon', explanations_due: 'tuesday 17:00', "
            "meeting: 'wednesday 10:00'}` (docs/ritual.md)"
        )
    return schedule


def run_due(workspace: Workspace, clock: Clock, pdf: Path | None = None) -> TickReport:
    """Run whatever is due at `clock.now()`; `pdf` is attached to *deck ready* when given."""
    schedule = require_schedule(workspace)
    report = TickReport()
    lock = StoreLock(workspace.engine, timeout_seconds=schedule.lock_timeout_seconds)
    if not lock.try_acquire():
        holder = lock_holder(workspace.engine)
        report.busy = holder.describe() if holder else "another process"
        return report
    try:
        for run in runs.mark_interrupted(workspace.engine, clock.now()):
            report.lines.append(
                f"the refresh for {run.scheduled_for:%Y-%m-%d %H:%M} UTC (attempt {run.attempt}) "
                "was interrupted: its process stopped"
            )
        _refresh_if_due(workspace, schedule, clock, report, pdf)
        _remind_if_due(workspace, schedule, clock, report)
        report.send = flush(workspace.engine, workspace.registry.notifications, workspace.base_dir)
    finally:
        lock.release()
    return report


def _refresh_if_due(
    workspace: Workspace, schedule: Schedule, clock: Clock, report: TickReport, pdf: Path | None
) -> None:
    now = clock.now()
    fire = timing.latest_refresh(schedule, now)
    if fire is None:
        return
    done = runs.runs_for(workspace.engine, fire)
    if any(run.status in (runs.SUCCEEDED, runs.MISSED) for run in done):
        return
    tried = [run for run in done if run.status in (runs.FAILED, runs.INTERRUPTED)]
    if not tried:
        late = now - fire
        if late.total_seconds() > schedule.misfire_grace_minutes * 60:
            runs.start_run(workspace.engine, fire, 0, now, status=runs.MISSED)
            report.lines.append(
                f"missed the refresh of {fire:%a %Y-%m-%d %H:%M %Z}: nothing ran within "
                f"{schedule.misfire_grace_minutes} minutes of it; the next one runs as scheduled"
            )
            return
        attempt = 1
    else:
        last = tried[-1]
        if len(tried) >= schedule.retry_attempts or now - fire > timing.retry_window(schedule):
            return  # its retries are over: the admins were told of each failure
        retry_at = (last.finished_at or now) + timing.retry_delay(schedule, last.attempt)
        if last.status == runs.FAILED and now < retry_at:
            return
        attempt = last.attempt + 1
    _scheduled_refresh(workspace, schedule, fire, attempt, clock, report, pdf)


def _scheduled_refresh(
    workspace: Workspace,
    schedule: Schedule,
    fire: datetime,
    attempt: int,
    clock: Clock,
    report: TickReport,
    pdf: Path | None,
) -> None:
    run_id = runs.start_run(workspace.engine, fire, attempt, clock.now())
    try:
        summary = run_refresh(workspace)
        # Queued before the run is marked done: a process killed in between runs the
        # refresh again, and the outbox's unique rows keep the messages from doubling.
        if summary.week_ending is not None:
            report.queued += queue_week(workspace, schedule, fire, summary.week_ending, pdf)
    # Any failure at all: a scheduler must record it, tell the admins and live on to retry.
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        runs.finish_run(workspace.engine, run_id, clock.now(), runs.FAILED, error=message)
        more = attempt < schedule.retry_attempts
        next_retry = clock.now() + timing.retry_delay(schedule, attempt) if more else None
        report.refresh_failed = message
        report.lines.append(f"refresh for {fire:%Y-%m-%d %H:%M %Z} failed: {message}")
        _queue_failure(workspace, fire, attempt, schedule.retry_attempts, message, next_retry)
        report.queued += 1
        return
    runs.finish_run(
        workspace.engine,
        run_id,
        clock.now(),
        runs.SUCCEEDED,
        summary=summary.as_dict(),
        week_ending=summary.week_ending,
    )
    report.lines.append(f"refreshed for {fire:%Y-%m-%d %H:%M %Z}: {summary.describe()}")


def _pdf_for(workspace: Workspace, week: date, pdf: Path | None) -> Path | None:
    """The deck's PDF to attach: the one given, or `notifications.deck_pdf` for the week."""
    if pdf is not None:
        return pdf
    template = workspace.registry.notifications.deck_pdf
    if template is None:
        return None
    return workspace.base_dir / template.format(week=week.isoformat())


def queue_week(
    workspace: Workspace, schedule: Schedule, fire: datetime, week: date, pdf: Path | None
) -> int:
    """Queue *deck ready* to the leaders and *please explain* to each flagged metric's owner."""
    from wbr.deck.build import build_deck

    registry = workspace.registry
    notifications = registry.notifications
    addresses = owner_addresses(registry)
    deck = build_deck(workspace.engine, registry, week, workspace.raw_engine)
    message = deck_ready(
        deck,
        notifications.base_url,
        timing.meeting_for(schedule, fire),
        _pdf_for(workspace, week, pdf),
    )
    leaders = addresses_for(notifications.leaders, addresses)
    added = outbox.queue(
        workspace.engine, message, deliveries(notifications, MessageKind.DECK_READY, leaders)
    )
    deadline = timing.deadline_for(schedule, fire)
    for metric_name, flags in unexplained_flags(workspace.engine, week).items():
        metric = registry.metric(metric_name)
        ask = please_explain(
            metric.label, metric.name, metric.owner, week, flags, deadline, notifications.base_url
        )
        owner = addresses_for([metric.owner], addresses)
        added += outbox.queue(
            workspace.engine, ask, deliveries(notifications, MessageKind.PLEASE_EXPLAIN, owner)
        )
    return added


def _queue_failure(
    workspace: Workspace,
    fire: datetime,
    attempt: int,
    attempts: int,
    error: str,
    next_retry: datetime | None,
) -> None:
    notifications = workspace.registry.notifications
    admins = addresses_for(notifications.admins, owner_addresses(workspace.registry))
    message = refresh_failed(fire, attempt, attempts, error, next_retry, notifications.base_url)
    outbox.queue(
        workspace.engine, message, deliveries(notifications, MessageKind.REFRESH_FAILED, admins)
    )


def _remind_if_due(
    workspace: Workspace, schedule: Schedule, clock: Clock, report: TickReport
) -> None:
    last = runs.last_scheduled_success(workspace.engine)
    if last is None or last.week_ending is None:
        return
    deadline = timing.deadline_for(schedule, last.scheduled_for)
    now = clock.now()
    if deadline is None or not timing.reminder_at(schedule, deadline) <= now < deadline:
        return
    registry = workspace.registry
    notifications = registry.notifications
    addresses = owner_addresses(registry)
    for metric_name, flags in unexplained_flags(workspace.engine, last.week_ending).items():
        metric = registry.metric(metric_name)
        message = reminder(
            metric.label,
            metric.name,
            metric.owner,
            last.week_ending,
            flags,
            deadline,
            notifications.base_url,
        )
        owner = addresses_for([metric.owner], addresses)
        report.queued += outbox.queue(
            workspace.engine, message, deliveries(notifications, MessageKind.REMINDER, owner)
        )


def refresh_now(workspace: Workspace, clock: Clock) -> runs.RunRecord:
    """`wbr refresh`: take the lock (or raise LockBusy), refresh, record it as a manual run.

    A manual refresh sends no notifications: the schedule's run is the ritual's.
    """
    schedule = workspace.registry.schedule
    timeout = schedule.lock_timeout_seconds if schedule else DEFAULT_TIMEOUT_SECONDS
    with StoreLock(workspace.engine, timeout_seconds=timeout):
        runs.mark_interrupted(workspace.engine, clock.now())
        started = clock.now()
        run_id = runs.start_run(workspace.engine, started, 1, started, trigger="manual")
        try:
            summary = run_refresh(workspace)
        except BaseException as error:  # recorded, then raised on to the CLI as before
            runs.finish_run(
                workspace.engine,
                run_id,
                clock.now(),
                runs.FAILED,
                error=f"{type(error).__name__}: {error}",
            )
            raise
        runs.finish_run(
            workspace.engine,
            run_id,
            clock.now(),
            runs.SUCCEEDED,
            summary=summary.as_dict(),
            week_ending=summary.week_ending,
        )
    return runs.runs_for(workspace.engine, started)[-1]
