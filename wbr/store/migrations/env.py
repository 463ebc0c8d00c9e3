"""Alembic environment for the wbr store.

wbr runs migrations from code (`wbr.store.migration.migrate`), never from an
alembic.ini: the caller opens the connection and hands it in through
`config.attributes["connection"]`, so the migration joins its transaction.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from wbr.store.schema import is_app_table, metadata


def _include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    # Raw tables follow the user's sources and are rebuilt on every load, so
    # autogenerate must never propose to drop them.
    return type_ != "table" or is_app_table(name)


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "wbr migrations run from code: pass a Connection in config.attributes['connection']"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=_include_name,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("wbr migrations do not support offline (SQL script) mode")
run_migrations_online()
