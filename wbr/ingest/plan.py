"""How a source is loaded: whole, a window of it, or rows appended to its table.

Apart from the loading itself (`wbr.ingest.load`), which types batches with pandas:
a CSV file that DuckDB reads itself is planned here without importing pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from wbr.errors import LoadError
from wbr.ingest.report import FULL, INCREMENTAL
from wbr.registry.sources import ColumnType, SourceBase
from wbr.store import raw

CURSOR_TYPES = (ColumnType.DATE, ColumnType.DATETIME, ColumnType.INTEGER, ColumnType.FLOAT)


@dataclass(frozen=True)
class Plan:
    final_name: str
    mode: str
    existing: dict[str, ColumnType] | None  # the raw table's columns before the load
    cursor: str | None
    cutoff: Any  # first cursor value of the window replaced (None: everything)
    appended: bool = False  # rows only added to the table (mode INCREMENTAL, no cutoff)
    keep: frozenset[str] | None = None  # the source's columns the table holds; None: all
    # Columns the registry reads that the table lacks: a full reload brings them in.
    missing: tuple[str, ...] = ()

    def kept(self, columns: Sequence[str]) -> list[str]:
        """The columns of `columns` (a source's, in its order) that the table gets.

        A full load keeps the ones the registry reads; rows added to an existing table
        keep its columns too, so that a metric removed from the registry costs no reload.
        """
        if self.keep is None:
            return list(columns)
        held = set(self.existing or ()) if self.mode == INCREMENTAL else set()
        return [column for column in columns if column in self.keep or column in held]


def append_plan(plan: Plan) -> Plan:
    """`plan` turned into an append to its existing table."""
    assert plan.existing is not None
    return replace(plan, mode=INCREMENTAL, cutoff=None, appended=True)


class NotAnAppend(Exception):
    """The appended rows might be typed differently from a whole read: read it whole."""


def plan_load(
    connection: Connection,
    name: str,
    source: SourceBase,
    full: bool,
    keep: frozenset[str] | None = None,
) -> Plan:
    """How to load the source: whole, or a window (or, later, an append) of it.

    `keep` is the columns the table is to hold (`Registry.columns_read`). When the table
    lacks one of them (a metric on a new column), the load is a full reload.
    """
    final_name = raw.raw_table_name(source.table_name(name))
    existing = raw.table_schema(connection, final_name)
    cursor = source.cursor
    missing: tuple[str, ...] = ()
    if keep is not None and existing is not None:
        # Names as the store keeps them (PostgreSQL cuts them at 63 bytes), so that a
        # long name does not look missing on every load.
        limit = connection.dialect.max_identifier_length or 10_000
        missing = tuple(sorted(name for name in keep if name[:limit] not in existing))
    if full or missing or cursor is None or existing is None:
        return Plan(final_name, FULL, existing, cursor, None, keep=keep, missing=missing)
    kind = existing.get(cursor)
    if kind not in CURSOR_TYPES:
        problem = "is not in" if kind is None else f"is {kind} in"
        raise LoadError(
            f"source {name!r}: the incremental cursor {cursor!r} {problem} {final_name}; "
            "it must be a date, datetime or number column. Fix `incremental.cursor`, "
            f"or run `wbr ingest --full {name}` to rebuild the table"
        )
    watermark = raw.max_value(connection, final_name, existing, cursor)
    if watermark is None:
        return Plan(final_name, FULL, existing, cursor, None, keep=keep)
    assert source.incremental is not None  # a cursor implies `incremental:`
    lookback = source.incremental.lookback
    if isinstance(watermark, date):  # datetime is a date too
        cutoff: Any = watermark - timedelta(days=lookback)
    else:
        cutoff = watermark - lookback
    return Plan(final_name, INCREMENTAL, existing, cursor, cutoff, keep=keep)
