"""Bring a store's schema up to date with the Alembic migrations shipped in wbr.

No alembic.ini is needed at runtime: the configuration is built here and the
script folder is found beside this module, so an installed wheel migrates too.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from wbr.store.dialect import is_postgresql
from wbr.store.engine import WRITE_AT_ONCE

if TYPE_CHECKING:  # Alembic costs ~0.2 s to import: only when a store needs migrating
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
# `revision: str = "0006"` and `down_revision: str | None = "0005"` in a version file.
_REVISION_LINE = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)', re.M)
# Any fixed number: the key of the PostgreSQL advisory lock that serialises
# migrations when the web app and the scheduler start at the same time.
MIGRATION_LOCK_KEY = 0x5762_7201


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for wbr's migrations, optionally bound to `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the store to the newest revision; a no-op when it is already there."""
    # Every command opens the store: a store already at the head (the usual case) is
    # recognised with one query, without importing Alembic.
    head = shipped_head()
    if head is not None and _stored_revision(engine) == head:
        return
    from alembic import command

    # One transaction: on PostgreSQL and (with our BEGIN handling) SQLite, a
    # failing migration leaves the schema as it was. Processes that start together
    # (the web app, the scheduler) migrate one after the other: PostgreSQL by an
    # advisory lock, SQLite by taking the write lock first. The later ones find the
    # store at the head and change nothing.
    with engine.connect() as connection, connection.execution_options(**WRITE_AT_ONCE).begin():
        if is_postgresql(connection):
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    """The store's revision, or None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of wbr."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def shipped_head() -> str | None:
    """The head revision read from the version files' text, or None if not exactly one.

    The same answer as `head_revision()` (a test checks it) at a fraction of the cost:
    no Alembic import, no module execution. None makes `migrate` ask Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        found = {key: value for key, value in _REVISION_LINE.findall(path.read_text("utf-8"))}
        if not found.get("revision"):
            return None
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    """The store's revision by a plain query; None when it has no version table yet."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:
            connection.rollback()
            return None
    return str(rows[0][0]) if len(rows) == 1 else None
