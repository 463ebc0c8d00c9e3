"""The `wbr` command line. Errors in a user's input become a message and exit code here."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from wbr.errors import WbrError
from wbr.registry.loader import validate_file
from wbr.registry.problems import errors, summary
from wbr.workspace import DEFAULT_REGISTRY_FILE, Workspace, open_workspace

P = ParamSpec("P")
R = TypeVar("R")

EXIT_USER_ERROR = 1
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050

registry_option = click.option(
    "--registry",
    "registry_file",
    type=click.Path(path_type=Path),
    default=DEFAULT_REGISTRY_FILE,
    envvar="WBR_REGISTRY",
    show_default=True,
    help="The metric registry (metrics.yaml). Env: WBR_REGISTRY.",
)
database_option = click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL of the store. Env WBR_DATABASE_URL wins; default: SQLite in .wbr/.",
)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn wbr's own errors into a message on stderr and exit code 1, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except WbrError as error:
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


def _open(registry_file: Path, database_url: str | None) -> Workspace:
    """Open the workspace for this command; its connections close when the command ends."""
    workspace = open_workspace(registry_file, database_url)
    click.get_current_context().call_on_close(workspace.engine.dispose)
    return workspace


def parse_week(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from error


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wbr")
def main() -> None:
    """wbr: a Weekly Business Review from your raw data.

    Typical flow: `wbr validate`, `wbr ingest`, `wbr compute`, then `wbr serve`
    (or `wbr refresh` for ingest + compute). `wbr demo` does it all on bundled data.
    """


@main.command()
@registry_option
def validate(registry_file: Path) -> None:
    """Check metrics.yaml and report every problem with its line and a fix."""
    result = validate_file(registry_file)
    for problem in result.problems:
        color = "red" if problem in errors(result.problems) else "yellow"
        click.secho(problem.render(), fg=color)
    click.echo(summary(result.problems))
    if errors(result.problems):
        sys.exit(EXIT_USER_ERROR)


@main.command()
@registry_option
@database_option
@click.argument("sources", nargs=-1)
@reports_errors
def ingest(registry_file: Path, database_url: str | None, sources: tuple[str, ...]) -> None:
    """Load SOURCES (default: all) from their files into the store's raw tables."""
    _ingest(_open(registry_file, database_url), list(sources) or None)


def _ingest(workspace: Workspace, sources: list[str] | None) -> None:
    from wbr.ingest import ingest as run_ingest

    reports = run_ingest(
        workspace.engine, workspace.registry, workspace.base_dir, sources, progress=True
    )
    for report in reports:
        click.echo(f"loaded {report.rows:,} rows from {report.source} into raw_{report.table}")


@main.command()
@registry_option
@database_option
@reports_errors
def compute(registry_file: Path, database_url: str | None) -> None:
    """Compute every metric for every period and store the values the deck reads."""
    _compute(_open(registry_file, database_url))


def _compute(workspace: Workspace) -> None:
    from wbr.compute.run import compute as run_compute

    report = run_compute(workspace.engine, workspace.registry)
    click.echo(
        f"computed {report.metrics} metrics over {report.periods:,} periods "
        f"({report.rows_written:,} values); data {report.first_day} to {report.last_day}, "
        f"latest complete week ends {report.latest_week_ending}"
    )


@main.command()
@registry_option
@database_option
@reports_errors
def refresh(registry_file: Path, database_url: str | None) -> None:
    """Ingest every source, then compute: the weekly job."""
    workspace = _open(registry_file, database_url)
    _ingest(workspace, None)
    _compute(workspace)


@main.command()
@registry_option
@database_option
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["json"]),
    default="json",
    show_default=True,
    help="Output format (see docs/deck-json.md).",
)
@click.option("--week-ending", default=None, help="The deck's week (YYYY-MM-DD); default: latest.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="File to write; default: standard output.",
)
@reports_errors
def export(
    registry_file: Path,
    database_url: str | None,
    export_format: str,
    week_ending: str | None,
    output: Path | None,
) -> None:
    """Write the deck for one week from the stored values."""
    from wbr.deck.build import build_deck
    from wbr.export import deck_to_json, write_deck_json

    workspace = _open(registry_file, database_url)
    deck = build_deck(workspace.engine, workspace.registry, parse_week(week_ending))
    if output is None:
        click.echo(deck_to_json(deck), nl=False)
    else:
        write_deck_json(deck, output)
        click.echo(f"wrote the deck for the week ending {deck.week_ending} to {output}", err=True)


@main.command()
@registry_option
@database_option
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@reports_errors
def serve(registry_file: Path, database_url: str | None, host: str, port: int) -> None:
    """Serve the deck in the browser from the stored values."""
    _serve(_open(registry_file, database_url), host, port)


def _serve(workspace: Workspace, host: str, port: int) -> None:
    from dashboards.app import create_app
    from dashboards.app import serve as serve_deck
    from dashboards.source import StoreDeckSource

    app = create_app(StoreDeckSource(workspace.engine, workspace.registry))
    serve_deck(app, host=host, port=port)


@main.command()
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
    """Generate the demo retailer's data, load it, compute it, and serve the deck."""
    from wbr.demo.generate import generate_demo_data

    data_dir = registry_file.resolve().parent / "demo" / "data"
    generate_demo_data(data_dir, seed=seed)
    click.echo(f"generated the demo data in {data_dir}")
    workspace = _open(registry_file, database_url)
    _ingest(workspace, None)
    _compute(workspace)
    if not no_serve:
        _serve(workspace, host, port)


if __name__ == "__main__":
    main()
