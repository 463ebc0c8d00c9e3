"""The audit log: one row per write, in the same transaction as the write itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select

from wbr.store.schema import audit_log


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    detail: str | None


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def record(
    connection: Connection, actor: str, action: str, target: str, detail: str | None = None
) -> None:
    connection.execute(
        audit_log.insert().values(
            at=datetime.now(UTC), actor=actor, action=action, target=target, detail=detail
        )
    )


def entries(engine: Engine, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        return [
            AuditEntry(as_utc(row.at), row.actor, row.action, row.target, row.detail)
            for row in connection.execute(query)
        ]
