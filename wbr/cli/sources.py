"""The source commands: `wbr ingest` loads sources, `wbr status` tells how fresh they are."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from wbr.cli.common import (
    EXIT_USER_ERROR,
    Workspace,
    database_option,
    open_project,
    parse_week,
    registry_option,
    reports_errors,
)


@click.command()
@registry_option
@database_option
@click.argument("sources", nargs=-1)
@click.option(
    "--full",
    is_flag=True,
    help="Reload every row of the sources, ignoring their watermarks (rebuilds the tables).",
)
@click.option("--no-progress", is_flag=True, help="No progress bars (e.g. in logs).")
@reports_errors
def ingest(
    registry_file: Path,
    database_url: str | None,
    sources: tuple[str, ...],
    full: bool,
    no_progress: bool,
) -> None:
    """Load SOURCES (default: all) into the store's raw tables.

    Sources with `incremental:` load only the window from their watermark minus
    the lookback; each source is loaded in one transaction, so a failure leaves
    its table as it was. See docs/connectors.md.
    """
    workspace = open_project(registry_file, database_url)
    run_ingest(workspace, list(sources) or None, full=full, progress=not no_progress)


def run_ingest(
    workspace: Workspace, sources: list[str] | None, *, full: bool = False, progress: bool = True
) -> None:
    """Ingest and print one line per source (used by `refresh` and `demo` too)."""
    from wbr.ingest import ingest as load

    reports = load(
        workspace.engine,
        workspace.registry,
        workspace.base_dir,
        sources,
        progress=progress,
        full=full,
        raw_engine=workspace.raw_engine,
    )
    for report in reports:
        line = f"loaded {report.rows:,} rows from {report.source} into {report.table}"
        if report.mode == "incremental":
            line += f" (incremental, from {report.window_start})"
        if report.rows_rejected:
            line += f"; {report.rows_rejected:,} rejected into {report.table}__rejected"
        click.echo(line)
        for warning in report.warnings:
            click.secho(f"warning: {report.source}: {warning}", fg="yellow", err=True)


@click.command()
@registry_option
@database_option
@click.option("--as-of", default=None, help="Judge freshness as of this day (YYYY-MM-DD).")
@click.option("--check", is_flag=True, help="Exit with status 1 when any source is flagged.")
@reports_errors
def status(registry_file: Path, database_url: str | None, as_of: str | None, check: bool) -> None:
    """Show each source's freshness, and the refreshes: when, outcome, what they loaded.

    Sources: last load, newest date, stale sources, missing days. Refreshes: the
    scheduler's and manual runs, the refresh lock, the next refresh, notifications.
    """
    from rich.console import Console
    from rich.table import Table

    from wbr.cli.scheduler import show_runs
    from wbr.ingest.status import freshness

    workspace = open_project(registry_file, database_url)
    today = parse_week(as_of) or date.today()
    # The raw store is opened only for a table the load history cannot vouch for.
    found = freshness(workspace.engine, workspace.registry, today, lambda: workspace.raw_engine)
    table = Table(title=f"Sources as of {today}", title_justify="left")
    for header in ("source", "table", "last load", "last success", "rows", "dates", "flags"):
        table.add_column(header, overflow="fold")
    for item in found:
        span = f"{item.first_date} → {item.newest_date}" if item.newest_date else "—"
        success = f"{item.last_success:%Y-%m-%d %H:%M}" if item.last_success else "never"
        last = item.last_status or "—"
        color = {"succeeded": "green", "failed": "red", "interrupted": "red"}.get(last, "yellow")
        if item.last_rejected:
            last += f"\n{item.last_rejected:,} rows rejected"
        flags = "\n".join(item.flags)
        if item.recent_missing:
            flags += "\n  latest missing: " + ", ".join(str(day) for day in item.recent_missing)
        table.add_row(
            f"{item.source}\n[dim]{item.where}[/dim]",
            item.table,
            f"[{color}]{last}[/{color}]",
            success,
            f"{item.rows:,}" if item.rows is not None else "—",
            span,
            f"[red]{flags}[/red]" if flags else "[green]ok[/green]",
        )
    console = Console(width=max(Console().width, 120))
    console.print(table)
    show_runs(workspace, console)
    failed = [item for item in found if item.last_status == "failed" and item.last_error]
    for item in failed:
        click.secho(f"{item.source}: {item.last_error}", fg="red", err=True)
    if check and any(not item.ok for item in found):
        sys.exit(EXIT_USER_ERROR)


COMMANDS = [ingest, status]
