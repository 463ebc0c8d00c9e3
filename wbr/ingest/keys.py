"""Unique keys (`key:`): rows that share a key, within the load or with rows loaded before.

The rows are in the load's temporary table, numbered by `_wbr_row`, so every
duplicate is found in SQL (whatever the load's size) and still reported with
its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, and_, delete, func, select

from wbr.ingest.report import INCREMENTAL
from wbr.registry.sources import SourceBase
from wbr.store.dialect import in_lists
from wbr.store.raw import ROW_COLUMN, Schema, table_for

if TYPE_CHECKING:
    from wbr.ingest.plan import Plan

# How many duplicate or conflicting keys one load reports at most.
MAX_KEY_PROBLEMS = 10_000


def key_problems(
    connection: Connection, table: Table, plan: Plan, source: SourceBase
) -> list[tuple[int, str]]:
    """(row number in this load, reason) for every row whose key is not unique."""
    key = list(source.key)
    found: dict[int, str] = {}
    for number, values in duplicate_rows(connection, table, key, MAX_KEY_PROBLEMS):
        found[number] = f"duplicate key {_key_text(key, values)}: more than one row has it"
    if plan.appended and plan.existing is not None:  # every row loaded before stays
        conflicts = conflicting_rows(
            connection, table, plan.final_name, plan.existing, key, None, None, MAX_KEY_PROBLEMS
        )
        for number, values in conflicts:
            found.setdefault(
                number, f"duplicate key {_key_text(key, values)}: already loaded by an earlier load"
            )
    elif plan.mode == INCREMENTAL and plan.existing is not None and plan.cursor is not None:
        conflicts = conflicting_rows(
            connection,
            table,
            plan.final_name,
            plan.existing,
            key,
            plan.cursor,
            plan.cutoff,
            MAX_KEY_PROBLEMS,
        )
        for number, values in conflicts:
            found.setdefault(
                number,
                f"duplicate key {_key_text(key, values)}: already loaded with "
                f"{plan.cursor} before {plan.cutoff}, outside the window being replaced",
            )
    return sorted(found.items())


def _key_text(key: list[str], values: tuple[Any, ...]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in zip(key, values, strict=True))


def duplicate_rows(
    connection: Connection, table: Table, key: Sequence[str], limit: int
) -> list[tuple[int, tuple[Any, ...]]]:
    """(row number, key) of every row whose key appears more than once, first rows first."""
    keys = [table.c[name] for name in key]
    repeated = select(*keys).group_by(*keys).having(func.count() > 1).subquery()
    joined = table.join(repeated, and_(*(table.c[name] == repeated.c[name] for name in key)))
    query = (
        select(table.c[ROW_COLUMN], *keys)
        .select_from(joined)
        .order_by(table.c[ROW_COLUMN])
        .limit(limit)
    )
    return [(int(row[0]), tuple(row[1:])) for row in connection.execute(query)]


def conflicting_rows(
    connection: Connection,
    table: Table,
    final_name: str,
    schema: Schema,
    key: Sequence[str],
    cursor: str | None,
    cutoff: object,
    limit: int,
) -> list[tuple[int, tuple[Any, ...]]]:
    """New rows whose key is already in the raw table, outside the window being replaced
    (anywhere in it when `cursor` is None: an append replaces nothing)."""
    final = table_for(final_name, schema)
    same = [table.c[name] == final.c[name] for name in key]
    match = and_(*same) if cursor is None else and_(*same, final.c[cursor] < cutoff)
    query = (
        select(table.c[ROW_COLUMN], *(table.c[name] for name in key))
        .select_from(table.join(final, match))
        .order_by(table.c[ROW_COLUMN])
        .limit(limit)
    )
    return [(int(row[0]), tuple(row[1:])) for row in connection.execute(query)]


def take_rows(
    connection: Connection, table: Table, numbers: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """Remove rows from the temporary table by row number; return their values."""
    wanted = sorted(set(numbers))
    taken: dict[int, dict[str, Any]] = {}
    for chunk in in_lists(wanted):
        condition = table.c[ROW_COLUMN].in_(chunk)
        for row in connection.execute(select(table).where(condition)).mappings():
            values = dict(row)
            taken[int(values.pop(ROW_COLUMN))] = values
        connection.execute(delete(table).where(condition))
    return taken
