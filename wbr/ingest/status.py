"""How fresh each source is: its last load, its newest date, and the days it lacks.

`wbr status` shows these; a source is flagged when its newest date is older than
its schedule allows (`schedule.every`, `schedule.max_delay_days`), when it has
not been loaded successfully for as long, when its last load failed or was
interrupted, and (for daily data) when days between its first and newest date
have no rows at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, desc, select

from wbr.ingest import table_facts
from wbr.ingest.runs import FAILED, INTERRUPTED, SUCCEEDED, shown_status
from wbr.ingest.table_facts import TableFacts
from wbr.registry.models import Registry
from wbr.registry.sources import Every, SourceBase
from wbr.store import raw
from wbr.store.schema import load_runs


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
    raw_engine: Engine | Callable[[], Engine] | None = None,
) -> list[Freshness]:
    """The freshness of every declared source, in declaration order.

    `raw_engine` is the raw tables' store when it is not `engine` (the load history's),
    or a function that makes it: it is called, and the store opened, only for a table
    whose facts the load history cannot vouch for (wbr/ingest/table_facts.py).
    """
    today = today or date.today()
    with contextlib.ExitStack() as stack, engine.connect() as connection:
        opened: list[Connection] = []

        def raw_connection() -> Connection:
            if not opened:
                store = raw_engine() if callable(raw_engine) else raw_engine
                if store is None or store is engine:
                    opened.append(connection)
                else:
                    opened.append(stack.enter_context(store.connect()))
            return opened[0]

        return [
            _one(connection, raw_connection, name, source, today)
            for name, source in registry.sources.items()
        ]


def _one(
    connection: Connection,
    raw_connection: Callable[[], Connection],
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
    facts = _vouched_facts(connection, name, table, success)
    if facts is None:
        facts = table_facts.measure(raw_connection(), table, source.date_column)
    flags: list[str] = []
    status = shown_status(latest) if latest is not None else None
    if latest is None:
        flags.append("never loaded: run `wbr ingest " + name + "`")
    elif status == FAILED:
        flags.append("last load failed")
    elif status == INTERRUPTED:
        flags.append("last load was interrupted (process ended mid-load); the table is as before")
    allowed = source.schedule.allowed_delay_days
    newest = facts.newest_day
    if newest is not None and (today - newest).days > allowed:
        flags.append(f"stale: newest date is {(today - newest).days} days old (allowed {allowed})")
    last_success = _aware(success["finished_at"]) if success is not None else None
    if last_success is not None and (today - last_success.date()).days > allowed:
        flags.append(f"not loaded for {(today - last_success.date()).days} days")
    daily = source.schedule.every in (Every.HOUR, Every.DAY)
    missing_days = facts.missing_days if daily else 0
    if missing_days:
        flags.append(f"{missing_days} day(s) without rows")
    return Freshness(
        source=name,
        table=table,
        where=source.describe(),
        last_status=status,
        last_started=_aware(latest["started_at"]) if latest is not None else None,
        last_error=latest["error"] if latest is not None else None,
        last_rejected=int(latest["rows_rejected"] or 0) if latest is not None else 0,
        last_success=last_success,
        rows=facts.rows,
        first_date=facts.first_day,
        newest_date=newest,
        missing_days=missing_days,
        recent_missing=facts.recent_missing if daily else (),
        flags=tuple(flags),
    )


def _vouched_facts(
    connection: Connection, name: str, table: str, success: Mapping[Any, Any] | None
) -> TableFacts | None:
    """The facts the last successful load recorded, if no later run may have changed the
    table since: every later run failed (a failed load leaves the table as it was).
    A source whose `table:` was renamed since is measured: the facts are another table's."""
    if success is None or success["table_name"] != table:
        return None
    facts = table_facts.recorded(success)
    if facts is None:
        return None
    later = connection.execute(
        select(load_runs.c.status, load_runs.c.pid, load_runs.c.host).where(
            load_runs.c.source == name, load_runs.c.id > success["id"]
        )
    ).mappings()
    if any(shown_status(run) != FAILED for run in later):
        return None
    return facts


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
