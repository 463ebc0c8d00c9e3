"""The checks and store steps of a load that look at whole columns and tables.

Schema drift (a column added to or dropped from the source) stops an
incremental load — the raw table cannot hold both shapes — and is reported as
a warning of a full reload, which rebuilds the table in the new shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Table

from wbr.errors import LoadError
from wbr.ingest.report import INCREMENTAL
from wbr.registry.sources import ColumnType, SourceBase
from wbr.store import raw

if TYPE_CHECKING:
    from wbr.ingest.plan import Plan


def check_columns(where: str, columns: Sequence[str], source: SourceBase, plan: Plan) -> None:
    """Every column the source's declaration or its metrics name must be in the source."""
    cursor = plan.cursor
    present = set(columns)
    listing = ", ".join(columns)
    if source.date_column not in present:
        raise LoadError(
            f"{where}: date column {source.date_column!r} not found; the columns are: {listing}"
        )
    named = [
        ("`columns:`", list(source.columns)),
        ("`key:`", list(source.key)),
        ("`incremental.cursor`", [cursor] if cursor else []),
    ]
    if plan.keep is not None:
        named.append(("the metrics that read this source", sorted(plan.keep)))
    for what, names in named:
        missing = [name for name in names if name not in present]
        if missing:
            raise LoadError(
                f"{where}: column(s) {', '.join(missing)} named in {what} are missing from the "
                f"source; the columns are: {listing}"
            )
    duplicates = sorted({name for name in columns if list(columns).count(name) > 1})
    if duplicates:
        raise LoadError(f"{where}: columns appear more than once: {', '.join(duplicates)}")


def check_same_schema(
    where: str,
    name: str,
    existing: dict[str, ColumnType],
    columns: Sequence[str],
    source: SourceBase,
) -> None:
    """An incremental load must deliver the raw table's columns, with its declared types."""
    added = [column for column in columns if column not in existing]
    dropped = [column for column in existing if column not in set(columns)]
    retyped = [
        f"{column} ({existing[column]} in the table, declared {kind})"
        for column, kind in source.columns.items()
        if column in existing and existing[column] is not kind
    ]
    if not (added or dropped or retyped):
        return
    changes = []
    if added:
        changes.append(f"new column(s): {', '.join(added)}")
    if dropped:
        changes.append(f"dropped column(s): {', '.join(dropped)}")
    if retyped:
        changes.append(f"changed type(s): {', '.join(retyped)}")
    raise LoadError(
        f"{where}: the source's columns changed since the last load ({'; '.join(changes)}). "
        f"Check the metrics that read them, then run `wbr ingest --full {name}` to rebuild "
        "the table in the new shape"
    )


def schema_changes(
    table: str, before: dict[str, ColumnType], after: dict[str, ColumnType]
) -> list[str]:
    """Warnings for a full reload that changes the raw table's shape."""
    notes = []
    added = [column for column in after if column not in before]
    dropped = [column for column in before if column not in after]
    retyped = [
        f"{column} {before[column]} → {after[column]}"
        for column in after
        if column in before and before[column] is not after[column]
    ]
    if added:
        notes.append(f"{table}: new column(s) {', '.join(added)}")
    if dropped:
        notes.append(f"{table}: dropped column(s) {', '.join(dropped)}")
    if retyped:
        notes.append(f"{table}: column type(s) changed: {', '.join(retyped)}")
    return notes


def swap(
    connection: Connection,
    table: Table,
    plan: Plan,
    source: SourceBase,
    schema: dict[str, ColumnType],
) -> int:
    """Put the loaded rows in place; return how many rows of the old window were deleted."""
    final = plan.final_name
    if plan.appended:  # rows only added: nothing of the table is replaced
        raw.copy_rows(connection, table, final, schema)
        table.drop(connection)
        return 0
    if plan.mode == INCREMENTAL:
        assert plan.cursor is not None
        deleted = raw.delete_window(connection, final, schema, plan.cursor, plan.cutoff)
        raw.copy_rows(connection, table, final, schema)
        table.drop(connection)
        return deleted
    if source.key:  # loaded into a temporary table, to find duplicate keys with row numbers
        staging = raw.create_staging(connection, final, schema)
        raw.copy_rows(connection, table, staging.name, schema)
        table.drop(connection)
        table = staging
    raw.swap_in(connection, table, final, source.date_column, source.key)
    return 0
