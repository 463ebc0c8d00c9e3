"""`wbr users`: the people who sign in, their roles, passwords and delegated metrics."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wbr.cli.common import database_option, open_project, registry_option, reports_errors
from wbr.errors import AccessError
from wbr.people.passwords import MIN_PASSWORD_LENGTH
from wbr.people.roles import Role
from wbr.workspace import Workspace

if TYPE_CHECKING:
    from wbr.registry.models import Registry

ROLE_CHOICE = click.Choice([role.value for role in Role])


def cli_actor() -> str:
    """Who made a change from the command line, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in a bare container
        return "cli"


def read_password(password_env: str | None, what: str) -> str:
    """From the environment variable named, else asked twice without echo."""
    if password_env:
        value = os.environ.get(password_env)
        if not value:
            raise AccessError(f"the environment variable {password_env} is empty or not set")
        return value
    if not sys.stdin.isatty():
        raise AccessError(
            "no terminal to ask for the password; set it in an environment variable and "
            "pass --password-env NAME"
        )
    return str(
        click.prompt(
            f"{what} (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    )


def _known_metric(registry: Registry, metric: str) -> None:
    if metric not in registry.metrics_by_name:
        raise AccessError(f"there is no metric `{metric}` in metrics.yaml")


@click.group()
def users() -> None:
    """Manage the people who sign in: add, list, set-role, disable, reset-password, delegate.

    Roles: viewer (reads the deck), owner (explains the flags on the metrics they
    own or were delegated), admin (everything, manages people). A person's KEY is
    the handle or e-mail address that `owner:` names in metrics.yaml.
    """


password_env_option = click.option(
    "--password-env",
    metavar="NAME",
    help="Read the password from this environment variable instead of asking for it.",
)


@users.command("add")
@click.argument("key")
@click.option("--name", help="Display name (default: from `people:` in metrics.yaml, or KEY).")
@click.option("--email", help="E-mail address (default: from `people:`).")
@click.option("--role", type=ROLE_CHOICE, default=None, help="Default: from `people:`, or owner.")
@password_env_option
@click.option("--no-password", is_flag=True, help="No password: sign-in through a proxy only.")
@registry_option
@database_option
@reports_errors
def add(
    key: str,
    name: str | None,
    email: str | None,
    role: str | None,
    password_env: str | None,
    no_password: bool,
    registry_file: Path,
    database_url: str | None,
) -> None:
    """Add the person KEY, asking for their password."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    listed = workspace.registry.person(key)
    password = None if no_password else read_password(password_env, f"Password for {key}")
    person = accounts.add_person(
        workspace.engine,
        key,
        name or (listed.name if listed else key),
        Role(role or (listed.role.value if listed else Role.OWNER.value)),
        cli_actor(),
        email=email or (listed.email if listed else None),
        password=password,
    )
    click.echo(f"added {person.key} ({person.name}) as {person.role.value}")


@users.command("list")
@registry_option
@database_option
@reports_errors
def list_(registry_file: Path, database_url: str | None) -> None:
    """List everyone with their role, and metric owners without an account."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    found = accounts.list_accounts(workspace.engine)
    handed = accounts.delegates(workspace.engine)
    for account in found:
        person = account.person
        owned = [m.name for m in workspace.registry.metrics if m.owner == person.key]
        owned += [f"{metric} (delegated)" for metric, keys in handed.items() if person.key in keys]
        flags = [] if person.active else ["disabled"]
        if not account.has_password:
            flags.append("no password")
        if account.locked_until is not None:
            flags.append(f"locked until {account.locked_until:%Y-%m-%d %H:%M} UTC")
        state = f" [{', '.join(flags)}]" if flags else ""
        metrics = f": {', '.join(owned)}" if owned else ""
        click.echo(f"{person.key}\t{person.role.value}\t{person.name}{state}{metrics}")
    keys = {account.person.key for account in found}
    missing = sorted({m.owner for m in workspace.registry.metrics} - keys)
    if missing:
        click.echo(
            f"owners in metrics.yaml without an account: {', '.join(missing)} "
            "(`wbr users sync` adds those listed under `people:`)",
            err=True,
        )


@users.command("set-role")
@click.argument("key")
@click.argument("role", type=ROLE_CHOICE)
@registry_option
@database_option
@reports_errors
def set_role(key: str, role: str, registry_file: Path, database_url: str | None) -> None:
    """Give KEY the ROLE viewer, owner or admin (their sessions end)."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    accounts.set_role(workspace.engine, key, Role(role), cli_actor())
    click.echo(f"{key} is now {role}")


@users.command("disable")
@click.argument("key")
@registry_option
@database_option
@reports_errors
def disable(key: str, registry_file: Path, database_url: str | None) -> None:
    """Stop KEY from signing in; their open sessions end at once. Their notes stay."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    accounts.set_active(workspace.engine, key, False, cli_actor())
    click.echo(f"disabled {key}")


@users.command("enable")
@click.argument("key")
@registry_option
@database_option
@reports_errors
def enable(key: str, registry_file: Path, database_url: str | None) -> None:
    """Let a disabled KEY sign in again."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    accounts.set_active(workspace.engine, key, True, cli_actor())
    click.echo(f"enabled {key}")


@users.command("reset-password")
@click.argument("key")
@password_env_option
@registry_option
@database_option
@reports_errors
def reset_password(
    key: str, password_env: str | None, registry_file: Path, database_url: str | None
) -> None:
    """Set a new password for KEY; lifts a lockout and ends their sessions."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    password = read_password(password_env, f"New password for {key}")
    accounts.set_password(workspace.engine, key, password, cli_actor())
    click.echo(f"set a new password for {key}")


@users.command("delegate")
@click.argument("metric")
@click.argument("key")
@click.option("--remove", is_flag=True, help="Take the delegation back.")
@registry_option
@database_option
@reports_errors
def delegate(
    metric: str, key: str, remove: bool, registry_file: Path, database_url: str | None
) -> None:
    """Let KEY write on METRIC as its owner does (or, with --remove, no longer)."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    workspace = open_project(registry_file, database_url)
    _known_metric(workspace.registry, metric)
    if remove:
        accounts.undelegate(workspace.engine, metric, key, cli_actor())
        click.echo(f"{key} no longer writes on {metric}")
    else:
        accounts.delegate(workspace.engine, metric, key, cli_actor())
        click.echo(f"{key} now writes on {metric} with its owner")


def sync_people(workspace: Workspace, actor: str) -> list[str]:
    """Accounts (no password yet) for everyone under `people:` who has none; their keys."""
    from wbr.people import accounts  # SQLAlchemy: only when run

    existing = {account.person.key for account in accounts.list_accounts(workspace.engine)}
    added = []
    for person in workspace.registry.people:
        if person.key in existing:
            continue
        accounts.add_person(
            workspace.engine,
            person.key,
            person.name,
            Role(person.role.value),
            actor,
            email=person.email,
        )
        added.append(person.key)
    return added


@users.command("sync")
@registry_option
@database_option
@reports_errors
def sync(registry_file: Path, database_url: str | None) -> None:
    """Add an account for everyone under `people:` in metrics.yaml who has none.

    New accounts have no password: set one with `wbr users reset-password`, or
    sign them in through a proxy (`access: sign_in: proxy`).
    """
    workspace = open_project(registry_file, database_url)
    added = sync_people(workspace, cli_actor())
    click.echo(f"added {len(added)} account(s){': ' + ', '.join(added) if added else ''}")


COMMANDS = [users]
