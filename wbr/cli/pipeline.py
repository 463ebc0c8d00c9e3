"""The pipeline commands: compute, refresh, export, serve and the demo (ingest: sources.py)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wbr.cli.common import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Workspace,
    database_option,
    open_project,
    parse_week,
    registry_option,
    reports_errors,
)
from wbr.cli.detect import run_detection
from wbr.cli.sources import run_ingest

if TYPE_CHECKING:
    from wbr.deck.model import Deck

# The demo accounts' password, when a fixed one is wanted (tests, a screen recording).
DEMO_PASSWORD_ENV = "WBR_DEMO_PASSWORD"


@click.command()
@registry_option
@database_option
@click.option(
    "--full", is_flag=True, help="Recompute everything from the raw tables, not just what changed."
)
@reports_errors
def compute(registry_file: Path, database_url: str | None, full: bool) -> None:
    """Compute every metric for every period and store the values the deck reads.

    Only what changed since the last computation is recomputed: tables loaded since,
    from the first date their loads replaced, and metrics whose definition changed.
    """
    _compute(open_project(registry_file, database_url), full=full)


def _compute(workspace: Workspace, full: bool = False) -> None:
    from rich.console import Console

    from wbr.compute.run import compute as run_compute

    count = len(workspace.registry.metrics)
    # A spinner, not a bar: the work is a few large SQL queries whose progress SQL hides.
    with Console(stderr=True).status(f"Computing {count} metrics for every period…"):
        report = run_compute(
            workspace.engine, workspace.registry, full=full, raw_engine=workspace.raw_engine
        )
    how = "updated" if report.incremental else "computed"
    done = f"{how} {report.metrics} metrics over {report.periods:,} periods "
    if report.incremental and not report.metrics:
        done = f"no value changed over {report.periods:,} periods "
    click.echo(
        f"{done}({report.rows_written:,} values); data {report.first_day} to {report.last_day}, "
        f"latest complete week ends {report.latest_week_ending}"
    )


@click.command()
@registry_option
@database_option
@reports_errors
def refresh(registry_file: Path, database_url: str | None) -> None:
    """Ingest every source, compute what changed, then flag anomalies: the weekly job.

    Takes the store's refresh lock, so it never runs beside `wbr scheduler` or another
    refresh (it stops with an error naming the holder), and is recorded as a manual run
    in `wbr status`. It sends no notifications: the scheduled run does.
    """
    from wbr.schedule.clock import Clock
    from wbr.schedule.due import refresh_now
    from wbr.schedule.jobs import describe_summary

    workspace = open_project(registry_file, database_url)
    run = refresh_now(workspace, Clock())
    click.echo(f"refreshed: {describe_summary(run.summary)}")


EXPORT_FORMATS = ("json", "html", "pdf")
PAPERS = ("A4", "Letter")  # as wbr.export.pdf.PAPERS, without importing it for --help


@click.command()
@registry_option
@database_option
@click.option(
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMATS),
    default="json",
    show_default=True,
    help="json (docs/deck-json.md), html (one self-contained file) or pdf (docs/exports.md).",
)
@click.option("--week-ending", default=None, help="The deck's week (YYYY-MM-DD); default: latest.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write; default: standard output (json, html; pdf needs a file).",
)
@click.option(
    "--paper",
    type=click.Choice(PAPERS),
    default="A4",
    show_default=True,
    help="Paper size of the PDF.",
)
@reports_errors
def export(
    registry_file: Path,
    database_url: str | None,
    export_format: str,
    week_ending: str | None,
    output: Path | None,
    paper: str,
) -> None:
    """Write the deck for one week from the stored values: as JSON, HTML or PDF.

    The HTML file carries its styles, plotly.js and every chart, so it opens with
    the network off; the PDF is that page printed by headless Chromium.
    """
    from wbr.deck.build import build_deck

    if export_format == "pdf" and output is None:
        raise click.UsageError("--format pdf writes a file: name it with --output deck.pdf")
    workspace = open_project(registry_file, database_url)
    # The raw store's engine (DuckDB) is made only if the deck needs a value that
    # was not stored: an older week's to-date median or percentile.
    deck = build_deck(
        workspace.engine,
        workspace.registry,
        parse_week(week_ending),
        lambda: workspace.raw_engine,
    )
    if output is None:
        click.echo(_deck_text(deck, export_format), nl=False)
        return
    if export_format == "pdf":
        from wbr.export import export_pdf

        export_pdf(deck, output, paper=paper)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(_deck_text(deck, export_format), encoding="utf-8")
    click.echo(f"wrote the deck for the week ending {deck.week_ending} to {output}", err=True)


def _deck_text(deck: Deck, export_format: str) -> str:
    from wbr.export import deck_to_html, deck_to_json

    return deck_to_html(deck) if export_format == "html" else deck_to_json(deck)


@click.command()
@registry_option
@database_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@reports_errors
def serve(registry_file: Path, database_url: str | None, host: str, port: int) -> None:
    """Serve the deck in the browser from the stored values."""
    _serve(open_project(registry_file, database_url), host, port)


def _serve(workspace: Workspace, host: str, port: int) -> None:
    from dashboards.app import serve as serve_deck
    from dashboards.serving import app_for

    serve_deck(app_for(workspace), host=host, port=port)


@click.command()
@registry_option
@database_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@click.option("--seed", default=7, show_default=True, help="Seed of the demo data generator.")
@click.option("--no-serve", is_flag=True, help="Prepare the demo store, but do not serve it.")
@reports_errors
def demo(
    registry_file: Path,
    database_url: str | None,
    host: str,
    port: int,
    seed: int,
    no_serve: bool,
) -> None:
    """Generate the demo retailer's data, load it, compute it, flag anomalies, serve the deck."""
    from wbr.demo.generate import generate_demo_data

    # The project first: outside a project folder, say so before writing any data there.
    workspace = open_project(registry_file, database_url)
    data_dir = registry_file.resolve().parent / "demo" / "data"
    generate_demo_data(data_dir, seed=seed)
    click.echo(f"generated the demo data in {data_dir}")
    run_ingest(workspace, None)
    _compute(workspace)
    run_detection(workspace)
    _demo_accounts(workspace, host, port)
    if not no_serve:
        _serve(workspace, host, port)


def _demo_accounts(workspace: Workspace, host: str, port: int) -> None:
    """An account for every demo person, one password for all, and how to sign in."""
    from wbr.cli.users import sync_people
    from wbr.people.accounts import set_password

    sync_people(workspace, "demo")
    password = os.environ.get(DEMO_PASSWORD_ENV) or secrets.token_urlsafe(9)
    for person in workspace.registry.people:
        set_password(workspace.engine, person.key, password, "demo")
    owner = next((m.owner for m in workspace.registry.metrics), None)
    if owner is None:
        return
    click.echo(
        f"demo accounts: sign in at http://{host}:{port}/login as `{owner}` (owner) or "
        f"`leader` (viewer) with the password {password}\n"
        f"  (every person under `people:` has it; set {DEMO_PASSWORD_ENV} to choose it)"
    )


COMMANDS = [compute, refresh, export, serve, demo]
