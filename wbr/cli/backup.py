"""`wbr backup` and `wbr restore`: the app state (people, notes, flags, history) and back."""

from __future__ import annotations

from pathlib import Path

import click

from wbr.cli.common import database_option, open_project, registry_option, reports_errors


@click.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@registry_option
@database_option
@reports_errors
def backup(path: Path, registry_file: Path, database_url: str | None) -> None:
    """Write the store's app state to PATH (gzip JSON lines), as one consistent moment.

    People, delegates, notes with every revision, flags, metric values, load, compute
    and refresh history, the outbox and the audit log. Not the raw tables (`wbr refresh`
    reloads them from the sources), sign-in sessions or the refresh lock. Safe while
    the web app and the scheduler run. The file holds password hashes: keep it private.
    """
    from wbr.store.backup import write_backup
    from wbr.store.engine import describe_url

    workspace = open_project(registry_file, database_url)
    summary = write_backup(workspace.engine, path)
    click.echo(
        f"backed up {summary.describe()} at schema revision {summary.revision} "
        f"from {describe_url(workspace.database_url)} to {path}"
    )


@click.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@registry_option
@database_option
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the app state the store already holds (refused without it).",
)
@reports_errors
def restore(path: Path, registry_file: Path, database_url: str | None, replace: bool) -> None:
    """Restore the app state from a `wbr backup` file, in one transaction.

    A backup of an older wbr is upgraded by the same migrations as a store. The
    store's current app state is replaced only with --replace; a damaged file
    leaves the store unchanged. Run `wbr refresh` afterwards to reload the raw tables.
    """
    from wbr.store.backup import BackupError, has_app_state, read_header, restore_backup
    from wbr.store.engine import describe_url

    read_header(path)  # a file that is not a backup is refused before the store is touched
    workspace = open_project(registry_file, database_url)
    if has_app_state(workspace.engine) and not replace:
        raise BackupError(
            f"the store at {describe_url(workspace.database_url)} already holds app state; "
            "pass --replace to replace it with the backup (make a backup of it first)"
        )
    summary = restore_backup(workspace.engine, path)
    click.echo(f"restored {summary.describe()} into {describe_url(workspace.database_url)}")


COMMANDS = [backup, restore]
