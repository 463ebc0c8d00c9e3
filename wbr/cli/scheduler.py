"""`wbr scheduler`: run the weekly ritual (refresh, notify, remind) on its schedule."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wbr.cli.common import (
    EXIT_USER_ERROR,
    Workspace,
    database_option,
    open_project,
    registry_option,
    reports_errors,
)

if TYPE_CHECKING:  # wbr.schedule.due imports statsmodels: only when the command runs
    from rich.console import Console

    from wbr.schedule.due import TickReport

RUNS_SHOWN = 8
OUTBOX_SHOWN = ("pending", "sent", "failed")
EXIT_BUSY = 3  # --once found another process running the refresh


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(
            f"{value!r} is not an ISO time such as 2026-11-30T06:00+01:00"
        ) from error
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} needs an offset, e.g. {value}+00:00")
    return moment


def _print(report: TickReport) -> None:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if report.busy:
        click.echo(f"{stamp} another process holds the refresh lock ({report.busy}); nothing run")
    for line in report.lines:
        click.echo(f"{stamp} {line}")
    if report.send.sent or report.send.failed:
        click.echo(f"{stamp} sent {report.send.sent} notification(s)")
    for failure in report.send.failed:
        click.secho(f"{stamp} could not send: {failure} (retried next time)", fg="yellow", err=True)


@click.command()
@registry_option
@database_option
@click.option("--once", is_flag=True, help="Run what is due now, then exit (for cron and tests).")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="ISO-TIME",
    help="With --once: act as if it were this time (e.g. 2026-11-30T06:00+01:00).",
)
@click.option(
    "--deck-pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Attach this PDF to *deck ready* (default: notifications.deck_pdf, if it exists).",
)
@reports_errors
def scheduler(
    registry_file: Path,
    database_url: str | None,
    once: bool,
    now_text: str | None,
    deck_pdf: Path | None,
) -> None:
    """Run the weekly ritual: refresh on `schedule:`, then tell people (docs/ritual.md).

    Runs until stopped (SIGTERM or Ctrl-C); with --once, runs what is due and exits:
    0 when done, 1 when the refresh failed (it is retried later), 3 when another
    process holds the refresh lock. Run it as its own process: the web server never
    runs jobs.
    """
    from wbr.schedule.clock import Clock
    from wbr.schedule.due import require_schedule, run_due

    now = _parse_now(now_text)
    if now is not None and not once:
        raise click.UsageError("--now works only with --once")
    workspace = open_project(registry_file, database_url)
    require_schedule(workspace)
    if not once:
        from wbr.schedule.service import run_forever

        click.echo("scheduler started; Ctrl-C or SIGTERM stops it")
        with contextlib.suppress(KeyboardInterrupt):
            run_forever(workspace, _print)
        return
    report = run_due(workspace, Clock(now), deck_pdf)
    _print(report)
    if report.busy:
        sys.exit(EXIT_BUSY)
    if report.refresh_failed:
        sys.exit(EXIT_USER_ERROR)


COMMANDS = [scheduler]


def show_runs(workspace: Workspace, console: Console) -> None:
    """The refresh runs, the lock and the outbox, for `wbr status`."""
    from wbr.schedule import runs

    recent = runs.recent_runs(workspace.engine, limit=RUNS_SHOWN)
    schedule = workspace.registry.schedule
    if not recent and schedule is None:
        return
    # Imported past the early return: a project that never refreshed does not pay them.
    from rich.table import Table

    from wbr.notify.outbox import all_rows
    from wbr.schedule.jobs import describe_summary
    from wbr.schedule.lock import lock_holder
    from wbr.schedule.timing import next_refresh

    table = Table(title="Refreshes (newest first)", title_justify="left")
    for header in ("for", "trigger", "attempt", "outcome", "started", "finished", "loaded / error"):
        table.add_column(header, overflow="fold")
    for run in recent:
        color = {"succeeded": "green", "running": "yellow"}.get(run.status, "red")
        table.add_row(
            f"{run.scheduled_for:%Y-%m-%d %H:%M} UTC",
            run.trigger,
            str(run.attempt),
            f"[{color}]{run.status}[/{color}]",
            f"{run.started_at:%Y-%m-%d %H:%M:%S}",
            f"{run.finished_at:%H:%M:%S}" if run.finished_at else "—",
            run.error or describe_summary(run.summary),
        )
    console.print(table)
    holder = lock_holder(workspace.engine)
    console.print(f"refresh lock: {'held by ' + holder.describe() if holder else 'free'}")
    if schedule is not None:
        fire = next_refresh(schedule, datetime.now(schedule.zone))
        console.print(f"next refresh: {fire:%a %Y-%m-%d %H:%M %Z}" if fire else "next refresh: —")
    rows = all_rows(workspace.engine)
    if rows:
        counts = {status: sum(row.status == status for row in rows) for status in OUTBOX_SHOWN}
        console.print(
            "notifications: " + ", ".join(f"{count} {status}" for status, count in counts.items())
        )
        for row in rows:
            if row.status == "failed":
                console.print(
                    f"  [red]failed[/red] {row.event} → {row.recipient}: {row.last_error}"
                )
