"""How fresh each source is: its last load, its newest date, and the days it lacks.

`wbr status` shows these; a source is flagged when its newest date is older than
its schedule allows (`schedule.every`, `schedule.max_delay_days`), when it has
not been loaded successfully for as long, when its last load failed or was
interrupted, and (for daily data) when days between its first and newest date
have no rows at all.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, desc, func, select

from wbr.ingest.runs import FAILED, INTERRUPTED, SUCCEEDED, shown_status
from wbr.registry.models import Registry
from wbr.registry.sources import Every, SourceBase
from wbr.store import raw
from wbr.store.schema import load_runs

# Missing days are listed up to this many, newest first; the count is always whole.
MISSING_DAYS_SHOWN = 5


@dataclass(frozen=True)
class Freshness:
    source: str
    table: str
    where: str  # the source's kind and location, never a secret
    last_status: str | None  # the latest run: succeeded, failed, running, interrupted
    last_started: datetime | None
    last_error: str | None
    last_rejected: int  # rows the latest load set aside in raw_<table>__rejected
    last_success: datetime | None
    rows: int | None  # rows in the raw table now; None when there is no table
    first_date: date | None
    newest_date: date | None
    missing_days: int
    recent_missing: tuple[date, ...]  # the newest few missing days
    flags: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.flags


def freshness(
    engine: Engine,
    registry: Registry,
    today: date | None = None,
    raw_engine: Engine | None = None,
) -> list[Freshness]:
    """The freshness of every declared source, in declaration order.

    `raw_engine` is the raw tables' store when it is not `engine` (the load history's).
    """
    today = today or date.today()
    with engine.connect() as connection:
        if raw_engine is None or raw_engine is engine:
            return [
                _one(connection, connection, name, source, today)
                for name, source in registry.sources.items()
            ]
        with raw_engine.connect() as raw_connection:
            return [
                _one(connection, raw_connection, name, source, today)
                for name, source in registry.sources.items()
            ]


def _one(
    connection: Connection,
    raw_connection: Connection,
    name: str,
    source: SourceBase,
    today: date,
) -> Freshness:
    table = raw.raw_table_name(source.table_name(name))
    runs = select(load_runs).where(load_runs.c.source == name).order_by(desc(load_runs.c.id))
    latest = connection.execute(runs.limit(1)).mappings().first()
    success = (
        connection.execute(runs.where(load_runs.c.status == SUCCEEDED).limit(1)).mappings().first()
    )
    days = _days(raw_connection, table, source.date_column)
    rows = _count(raw_connection, table)
    flags: list[str] = []
    status = shown_status(latest) if latest is not None else None
    if latest is None:
        flags.append("never loaded: run `wbr ingest " + name + "`")
    elif status == FAILED:
        flags.append("last load failed")
    elif status == INTERRUPTED:
        flags.append("last load was interrupted (process ended mid-load); the table is as before")
    allowed = source.schedule.allowed_delay_days
    newest = days[-1] if days else None
    if newest is not None and (today - newest).days > allowed:
        flags.append(f"stale: newest date is {(today - newest).days} days old (allowed {allowed})")
    last_success = _aware(success["finished_at"]) if success is not None else None
    if last_success is not None and (today - last_success.date()).days > allowed:
        flags.append(f"not loaded for {(today - last_success.date()).days} days")
    missing = _missing(days) if source.schedule.every in (Every.HOUR, Every.DAY) else []
    if missing:
        flags.append(f"{len(missing)} day(s) without rows")
    return Freshness(
        source=name,
        table=table,
        where=source.describe(),
        last_status=status,
        last_started=_aware(latest["started_at"]) if latest is not None else None,
        last_error=latest["error"] if latest is not None else None,
        last_rejected=int(latest["rows_rejected"] or 0) if latest is not None else 0,
        last_success=last_success,
        rows=rows,
        first_date=days[0] if days else None,
        newest_date=newest,
        missing_days=len(missing),
        recent_missing=tuple(reversed(missing[-MISSING_DAYS_SHOWN:])),
        flags=tuple(flags),
    )


def _days(connection: Connection, table: str, date_column: str) -> list[date]:
    schema = raw.table_schema(connection, table)
    if schema is None or date_column not in schema:
        return []
    column = raw.table_for(table, schema).c[date_column]
    values = connection.execute(select(column).distinct().order_by(column)).scalars()
    return [_as_date(value) for value in values if value is not None]


def _count(connection: Connection, table: str) -> int | None:
    schema = raw.table_schema(connection, table)
    if schema is None:
        return None
    return int(
        connection.execute(
            select(func.count()).select_from(raw.table_for(table, schema))
        ).scalar_one()
    )


def _missing(days: list[date]) -> list[date]:
    missing: list[date] = []
    for before, after in itertools.pairwise(days):
        gap = (after - before).days
        missing.extend(before + timedelta(days=step) for step in range(1, gap))
    return missing


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
