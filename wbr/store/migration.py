"""Bring a store's schema up to date with the Alembic migrations shipped in wbr.

No alembic.ini is needed at runtime: the configuration is built here and the
script folder is found beside this module, so an installed wheel migrates too.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from wbr.store.dialect import is_postgresql

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: the key of the PostgreSQL advisory lock that serialises
# migrations when the web app and the scheduler start at the same time.
MIGRATION_LOCK_KEY = 0x5762_7201


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for wbr's migrations, optionally bound to `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the store to the newest revision; a no-op when it is already there."""
    # One transaction: on PostgreSQL and (with our BEGIN handling) SQLite, a
    # failing migration leaves the schema as it was.
    with engine.begin() as connection:
        if is_postgresql(connection):
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: Engine) -> str | None:
    """The store's revision, or None when it has never been migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of wbr."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
