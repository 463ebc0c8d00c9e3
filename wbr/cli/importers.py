"""`wbr import-wbr-app`: turn a deck config of the WBR reference app into metrics.yaml."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wbr.cli.common import EXIT_USER_ERROR, reports_errors
from wbr.errors import ConfigError
from wbr.importers.notes import NoteLevel, summarize
from wbr.registry.problems import errors

LEVEL_COLORS = {
    NoteLevel.NOT_TRANSLATED: "red",
    NoteLevel.CHANGED: "yellow",
    NoteLevel.TODO: "cyan",
    NoteLevel.INFO: None,
}


@click.command("import-wbr-app")
@click.argument("config", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The CSV the config's deck is built from (the reference app's upload).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("metrics.yaml"),
    show_default=True,
    help="The metrics.yaml to write.",
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.option(
    "--events",
    "events_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The reference app's events CSV (date, metric, description); default: an "
    "events.csv beside CONFIG. Written as notes to OUTPUT's folder for `wbr notes import`.",
)
@reports_errors
def import_wbr_app(
    config: Path, data_file: Path, output: Path, force: bool, events_file: Path | None
) -> None:
    """Translate CONFIG, a deck config of the WBR reference app, into a metrics.yaml.

    Prints what could not be translated, what wbr does differently, and what
    to fill in; nothing is dropped silently. Exits 1 if the written file does
    not pass `wbr validate`.
    """
    from wbr.importers.wbr_app import import_wbr_app as run_import

    if output.exists() and not force:
        raise ConfigError(f"{output} exists; pass --force to overwrite it, or choose --output")
    result = run_import(config, data_file, output)
    for level in NoteLevel:
        notes = [note for note in result.notes if note.level is level]
        if notes:
            click.secho(f"\n{level.value} ({len(notes)}):", fg=LEVEL_COLORS[level], bold=True)
        for note in notes:
            click.echo(f"  {note.where}: {note.message}")
    renamed = {old: new for old, new in result.names.items() if old != new}
    if renamed:
        click.secho(f"\nrenamed ({len(renamed)}): wbr names are lower_snake_case", bold=True)
        for old, new in renamed.items():
            click.echo(f"  {old} → {new}")
    metrics = _count(len(result.registry["metrics"]), "metric")
    click.echo(f"\nwrote {output} ({metrics}); {summarize(result.notes)}")
    failed = errors(list(result.problems))
    for problem in result.problems:
        click.secho(problem.render(), fg="red" if problem in failed else "yellow")
    if failed:
        click.secho(f"{output} does not pass `wbr validate`: please report this bug", fg="red")
        sys.exit(EXIT_USER_ERROR)
    events_file = events_file or _beside(config, "events.csv")
    if events_file is not None:
        _import_events(events_file, result.names, output)
    week = f" --week-ending {result.week_ending}" if result.week_ending else ""
    click.echo(
        f"next: fill in the TODOs, then `wbr ingest --registry {output}`, "
        f"`wbr compute --registry {output}` and `wbr export --registry {output}{week}`"
    )


def _beside(config: Path, name: str) -> Path | None:
    candidate = config.parent / name
    return candidate if candidate.is_file() else None


def _import_events(events_file: Path, names: dict[str, str], output: Path) -> None:
    """The events as known-event notes on their metric-weeks, in a file beside OUTPUT."""
    from wbr.importers.wbr_app.events import write_events_notes
    from wbr.registry.loader import load_registry

    weekday = load_registry(output).project.week_ends_on.iso_index
    notes_file = output.with_name(f"{output.stem}.notes.json")
    count, skipped = write_events_notes(events_file, names, weekday, notes_file)
    for line in skipped:
        click.secho(f"  skipped event: {line}", fg="yellow")
    click.echo(
        f"wrote {count} note(s) from {events_file.name} to {notes_file}; after `wbr ingest`, "
        f"load them with `wbr notes import {notes_file} --registry {output}`"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


COMMANDS = [import_wbr_app]
