"""The few places where SQLite and other databases need different SQL.

Keep this module tiny: everything else in the store is dialect-neutral Core.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def is_postgresql(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


def quote_identifier(bind: Engine | Connection, name: str) -> str:
    return bind.dialect.identifier_preparer.quote(name)


def rename_table(connection: Connection, old: str, new: str) -> None:
    """Rename a table inside the caller's transaction.

    SQLAlchemy Core has no rename construct; `ALTER TABLE ... RENAME TO` is
    understood by SQLite, PostgreSQL and MySQL alike, and is transactional on the
    first two, which is what lets a reload swap tables atomically.
    """
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}"))
