"""What every `wbr` command shares: options, opening the project, error reporting."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from wbr.errors import WbrError
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


def open_project(registry_file: Path, database_url: str | None) -> Workspace:
    """Open the workspace for this command; its connections close when the command ends."""
    workspace = open_workspace(registry_file, database_url)
    click.get_current_context().call_on_close(workspace.dispose)
    return workspace


def parse_week(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from error


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "EXIT_USER_ERROR",
    "Workspace",
    "database_option",
    "open_project",
    "parse_week",
    "registry_option",
    "reports_errors",
]
