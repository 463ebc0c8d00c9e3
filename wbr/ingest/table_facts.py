"""What a raw table holds, as `wbr status` shows it: rows, first and newest day, gaps.

A load measures its table inside the transaction that commits its rows and records
the facts with the run (`load_runs.table_*`), so `wbr status` reads them from the
app store instead of opening the raw store (DuckDB's import and file open were a
quarter of the command's start-up). Status measures the table itself whenever the
recorded facts might not be the table's: no facts recorded (a Spark source, a run
from before revision 0008), or a later run that did not plainly fail — one still
running, or interrupted after its rows may have committed. A failed load changes
nothing, so the facts of the last successful one still hold after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from wbr.store import raw

# Missing days are listed up to this many, newest first; the count is always whole.
MISSING_DAYS_SHOWN = 5


@dataclass(frozen=True)
class TableFacts:
    rows: int | None  # None: there is no table
    first_day: date | None
    newest_day: date | None
    missing_days: int  # days between the first and newest without a row
    recent_missing: tuple[date, ...]  # the newest MISSING_DAYS_SHOWN of them, newest first


def measure(connection: Connection, table: str, date_column: str) -> TableFacts:
    """The facts of `table`, read from the store that holds it."""
    schema = raw.table_schema(connection, table)
    if schema is None:
        return TableFacts(None, None, None, 0, ())
    frame = raw.table_for(table, schema)
    rows = int(connection.execute(select(func.count()).select_from(frame)).scalar_one())
    days: list[date] = []
    if date_column in schema:
        column = frame.c[date_column]
        values = connection.execute(select(column).distinct().order_by(column)).scalars()
        days = [_as_date(value) for value in values if value is not None]
    missing = _missing(days)
    return TableFacts(
        rows=rows,
        first_day=days[0] if days else None,
        newest_day=days[-1] if days else None,
        missing_days=len(missing),
        recent_missing=tuple(reversed(missing[-MISSING_DAYS_SHOWN:])),
    )


def as_run_values(facts: TableFacts) -> dict[str, Any]:
    """The facts as `load_runs` columns."""
    return {
        "table_rows": facts.rows,
        "table_first_day": facts.first_day,
        "table_newest_day": facts.newest_day,
        "table_missing_days": facts.missing_days,
        "table_recent_missing": ",".join(day.isoformat() for day in facts.recent_missing),
    }


def recorded(run: Mapping[Any, Any]) -> TableFacts | None:
    """The facts a load run recorded, or None when it recorded none."""
    if run["table_rows"] is None:
        return None
    listed = run["table_recent_missing"] or ""
    return TableFacts(
        rows=int(run["table_rows"]),
        first_day=_as_date(run["table_first_day"]) if run["table_first_day"] else None,
        newest_day=_as_date(run["table_newest_day"]) if run["table_newest_day"] else None,
        missing_days=int(run["table_missing_days"] or 0),
        recent_missing=tuple(date.fromisoformat(day) for day in listed.split(",") if day),
    )


def _missing(days: list[date]) -> list[date]:
    missing: list[date] = []
    for before, after in itertools.pairwise(days):
        gap = (after - before).days
        missing.extend(before + timedelta(days=step) for step in range(1, gap))
    return missing


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # a Date column read back as text by a lax driver
        return date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


__all__ = ["MISSING_DAYS_SHOWN", "TableFacts", "as_run_values", "measure", "recorded"]
