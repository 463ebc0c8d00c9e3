"""`wbr notes`: list, export, import, delete and restore the owners' notes."""

from __future__ import annotations

from pathlib import Path

import click

from wbr.cli.common import database_option, open_project, registry_option, reports_errors
from wbr.cli.users import cli_actor


@click.group()
def notes() -> None:
    """The owners' notes on flags and metric-weeks: list, export, import, delete, restore."""


@notes.command("list")
@click.option("--deleted", is_flag=True, help="Only the deleted notes (to restore one).")
@registry_option
@database_option
@reports_errors
def list_(deleted: bool, registry_file: Path, database_url: str | None) -> None:
    """One line per note: id, target, status, revision, author."""
    workspace = open_project(registry_file, database_url)
    from wbr.notes.store import all_notes

    for note in all_notes(workspace.engine, include_deleted=True):
        if note.deleted != deleted:
            continue
        current = note.current
        click.echo(
            f"{note.id}\t{note.target.describe()}\t{current.status.value}\t"
            f"r{current.revision}\t{current.author}\t{current.text[:60]!r}"
        )


@notes.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@registry_option
@database_option
@reports_errors
def export(path: Path, registry_file: Path, database_url: str | None) -> None:
    """Write every note with its history (deleted ones too) to PATH as JSON."""
    workspace = open_project(registry_file, database_url)
    from wbr.notes.transfer import export_notes

    count = export_notes(workspace.engine, path)
    click.echo(f"wrote {count} note(s) to {path}")


@notes.command("import")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@registry_option
@database_option
@reports_errors
def import_(path: Path, registry_file: Path, database_url: str | None) -> None:
    """Add the notes and revisions in PATH that the store lacks (twice changes nothing)."""
    workspace = open_project(registry_file, database_url)
    from wbr.notes.transfer import import_notes

    counts = import_notes(workspace.engine, path, cli_actor())
    click.echo(
        f"imported {counts.notes_created} new note(s) and {counts.revisions_added} "
        f"revision(s); {counts.unchanged} note(s) already up to date"
    )


@notes.command("delete")
@click.argument("note_id", type=int)
@registry_option
@database_option
@reports_errors
def delete(note_id: int, registry_file: Path, database_url: str | None) -> None:
    """Soft-delete note NOTE_ID (hidden from the deck, kept with its history)."""
    workspace = open_project(registry_file, database_url)
    from wbr.notes.store import delete_note

    delete_note(workspace.engine, note_id, cli_actor())
    click.echo(f"deleted note {note_id}; `wbr notes restore {note_id}` brings it back")


@notes.command("restore")
@click.argument("note_id", type=int)
@registry_option
@database_option
@reports_errors
def restore(note_id: int, registry_file: Path, database_url: str | None) -> None:
    """Bring back a deleted note NOTE_ID (`wbr notes list --deleted` shows them)."""
    workspace = open_project(registry_file, database_url)
    from wbr.notes.store import restore_note

    note = restore_note(workspace.engine, note_id, cli_actor())
    click.echo(f"restored note {note_id} on {note.target.describe()}")


COMMANDS = [notes]
