"""Load one source into its raw table; readers see the change in one step.

The plan (`wbr.ingest.plan`): a full reload when asked (`--full`), when the source has no
`incremental:` or when its table is new or empty; otherwise an incremental load
of the window from the stored watermark minus the lookback. Batches are typed
and checked as they arrive and written straight to a staging table (or, for
incremental and keyed loads, a temporary one); the swap, or the window's delete
and insert, happen at the end, in one transaction. Nothing readers see changes
until that commit. On DuckDB the staging or temporary table is committed every
DUCKDB_ROWS_PER_COMMIT rows on the way (DuckDB holds a transaction's rows in
memory); readers never look at it. The run's record is written in the same last
transaction when the raw tables share the app store, and right after it when they
live in a store of their own (see `wbr.ingest.run.load_source`).

An *append* (`Plan.appended`: a CSV file that only grew, `wbr.ingest.file_marks`)
is an incremental load that replaces nothing: the new rows are typed with the raw
table's types, checked, and added; its window starts at their earliest date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, func, select

from connectors.base import Batch
from wbr.errors import LoadError
from wbr.ingest import keys, store_steps
from wbr.ingest.convert import RowProblem, Typed, convert, infer_schema
from wbr.ingest.plan import NotAnAppend, Plan
from wbr.ingest.problems import Located, PlacedBatch, message, reject_record, row_as_text
from wbr.ingest.report import FULL, INCREMENTAL
from wbr.registry.sources import ColumnType, OnError, SourceBase
from wbr.store import raw

_NO_ROWS = pd.DataFrame()


# What pandas may read as a number or a boolean when a whole batch of a column is such
# values (thousands separators included): a first character that can start a number.
_NUMBER_START = r"[+\-.0-9]"
_BOOLEAN_TEXTS = ("true", "false")


class SourceLoad:
    """One load in progress: feed it batches with `add`, then `finish` it."""

    def __init__(
        self, connection: Connection, name: str, source: SourceBase, plan: Plan, run_id: int
    ) -> None:
        self.connection = connection
        self.name = name
        self.source = source
        self.plan = plan
        self.run_id = run_id
        self.header: list[str] | None = None  # the source's columns, as the first batch has them
        self.columns: list[str] | None = None  # the ones the table holds
        self.schema: dict[str, ColumnType] = {}
        self.table: Table | None = None
        self.temporary = plan.mode == INCREMENTAL or bool(source.key)
        self.placed: list[PlacedBatch] = []
        self.origin_rows: dict[str | None, int] = {}
        self.rows_read = 0
        self.rows_written = 0
        self.rejects: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self._chunked = raw.commits_in_chunks(connection)
        self._committed = 0  # rows written when the side table was last committed

    def add(self, batch: Batch) -> None:
        whole = batch.frame.rename(columns=str)
        if self.header is None:
            self._start(list(whole.columns), whole, batch)
        assert self.header is not None and self.columns is not None and self.table is not None
        if set(whole.columns) != set(self.header):
            raise LoadError(self._columns_differ(batch, list(whole.columns)))
        frame = whole[self.columns]
        if self.plan.appended:
            self._check_append_types(frame)
        placed = PlacedBatch(batch, self.rows_read, self.origin_rows.get(batch.origin, 0))
        if self.source.key:  # to place duplicate keys found later; without the rows
            self.placed.append(replace(placed, batch=replace(batch, frame=_NO_ROWS)))
        self.rows_read += len(frame)
        self.origin_rows[batch.origin] = placed.origin_start + len(frame)

        typed = convert(frame, self.schema, self.source.date_column, self.source.date_format)
        typed = self._checked(typed)
        if typed.problems:  # a row quarantined for a bad value is kept with every column
            self._reject(placed, whole, typed.problems)
        numbers = placed.load_start + typed.positions + 1 if self.temporary else None
        self.rows_written += raw.insert_frame(
            self.connection, self.table, typed.frame, self.schema, numbers
        )
        if self._chunked and self.rows_written - self._committed >= raw.DUCKDB_ROWS_PER_COMMIT:
            raw.commit_chunk(self.connection)
            self._committed = self.rows_written

    def _start(self, columns: list[str], frame: pd.DataFrame, batch: Batch) -> None:
        source = self.source
        where = f"source {self.name!r}" + (f", {batch.origin}" if batch.origin else "")
        store_steps.check_columns(where, columns, source, self.plan)
        self.header = columns
        kept = self.plan.kept(columns)
        existing = self.plan.existing
        if self.plan.mode == INCREMENTAL:
            assert existing is not None
            store_steps.check_same_schema(where, self.name, existing, kept, source)
            self.schema = existing
        else:
            self.schema = infer_schema(frame[kept], source.columns, source.date_column)
            if existing is not None:
                self.warnings += store_steps.schema_changes(
                    self.plan.final_name, existing, self.schema
                )
        self.columns = list(self.schema)
        if self.temporary:
            self.table = raw.create_temporary(self.connection, self.plan.final_name, self.schema)
        else:
            self.table = raw.create_staging(self.connection, self.plan.final_name, self.schema)

    def _check_append_types(self, frame: pd.DataFrame) -> None:
        """pandas types a column per batch: an undeclared text column whose batch holds
        only numbers is read as numbers ("7.0" stored as "7"). The appended rows are not
        batched as a whole read batches them, so such a value could be stored differently
        from a full reload: leave any text that could start a number to that reload (as
        `wbr.ingest.duckdb_csv` does for the whole file)."""
        for column, kind in self.schema.items():
            if kind is not ColumnType.TEXT or column in self.source.columns:
                continue  # a column declared `text` is read as text in every batch
            series = frame[column]
            if series.isna().all():
                continue  # missing in any batch (pandas types an empty batch as floats)
            if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
                raise NotAnAppend(column)
            values = series.dropna().astype(str)
            numeric = pd.to_numeric(values, errors="coerce").notna()
            starts = values.str.match(_NUMBER_START)
            boolean = values.str.lower().isin(_BOOLEAN_TEXTS)
            if (numeric | starts | boolean).any():
                raise NotAnAppend(column)

    def discard(self) -> None:
        """Drop what an abandoned append wrote (its temporary table), in the transaction."""
        if self.table is not None:
            self.table.drop(self.connection)
            self.table = None

    def _checked(self, typed: Typed) -> Typed:
        """Rows with an empty key, or before the window, are not loaded."""
        frame = typed.frame
        drop = np.zeros(len(frame), dtype=bool)
        problems = list(typed.problems)
        for column in self.source.key:
            empty = frame[column].isna().to_numpy() & ~drop
            for index in np.flatnonzero(empty):
                problems.append(
                    RowProblem(
                        int(typed.positions[index]), column, None, f"key column {column!r} is empty"
                    )
                )
            drop |= empty
        cursor, cutoff = self.plan.cursor, self.plan.cutoff
        if cutoff is not None and cursor is not None:
            values = frame[cursor]
            limit = pd.Timestamp(cutoff) if isinstance(cutoff, date) else cutoff
            # Older rows are already loaded and outside the window: not an error.
            drop |= (values < limit).fillna(False).to_numpy(dtype=bool)
        if not drop.any():
            return Typed(frame, typed.positions, problems)
        keep = ~drop
        problems.sort(key=lambda problem: problem.position)
        return Typed(frame[keep].reset_index(drop=True), typed.positions[keep], problems)

    def _reject(self, placed: PlacedBatch, frame: pd.DataFrame, problems: list[RowProblem]) -> None:
        located = placed.locate(problems)
        if self.source.on_error is OnError.STOP:
            raise LoadError(message(self.name, located[0]))
        for found in located:
            raw_values = row_as_text(frame, found.problem.position)
            self.rejects.append(reject_record(self.run_id, self.name, found, raw_values))
        self._check_reject_limit(located[0])

    def _check_reject_limit(self, first: Located) -> None:
        limit = self.source.max_rejected
        if len(self.rejects) > limit:
            raise LoadError(
                f"source {self.name!r}: more than {limit} rows rejected (`max_rejected`), so the "
                "source looks broken rather than a few rows bad; nothing was loaded. The first: "
                + message(self.name, first, quarantine_hint=False)
            )

    def _columns_differ(self, batch: Batch, columns: list[str]) -> str:
        assert self.header is not None
        missing = ", ".join(sorted(set(self.header) - set(columns))) or "none"
        extra = ", ".join(sorted(set(columns) - set(self.header))) or "none"
        where = f", {batch.origin}" if batch.origin else ""
        return (
            f"source {self.name!r}{where}: a batch has different columns from the first "
            f"(missing: {missing}; unexpected: {extra})"
        )

    def finish(self) -> dict[str, Any]:
        """Swap the rows in; return what to record in the load run."""
        source, plan = self.source, self.plan
        if plan.appended:
            return self._finish_append()
        if self.table is None and plan.mode == FULL:
            raise LoadError(
                f"source {self.name!r} delivered no rows; {plan.final_name} is unchanged"
            )
        if self.table is None or (
            plan.mode == INCREMENTAL and not (self.rows_written or self.rejects)
        ):
            # More likely an outage than a restatement that deleted every row of the window.
            self.warnings.append(
                f"the source returned no rows from {plan.cutoff} on; kept the rows already loaded"
            )
            if self.table is not None:
                self.table.drop(self.connection)
            return self._outcome(deleted=0)
        if source.key:
            self._check_keys()
        deleted = store_steps.swap(self.connection, self.table, plan, source, self.schema)
        if self.rejects:
            name = raw.rejected_table_name(source.table_name(self.name))
            raw.write_rejects(self.connection, name, self.rejects)
        return self._outcome(deleted)

    def _finish_append(self) -> dict[str, Any]:
        """Add the new rows; the window starts at their earliest date (with none, at the
        table's newest day: nothing older changed, as `wbr.ingest.duckdb_writes.append`)."""
        if self.table is not None and self.source.key:
            self._check_keys()
        first_day = None
        if self.table is not None:
            day = self.table.c[self.source.date_column]
            first_day = self.connection.execute(select(func.min(day))).scalar()
            store_steps.swap(self.connection, self.table, self.plan, self.source, self.schema)
        if first_day is None:
            first_day = raw.max_value(
                self.connection, self.plan.final_name, self.schema, self.source.date_column
            )
        if self.rejects:
            name = raw.rejected_table_name(self.source.table_name(self.name))
            raw.write_rejects(self.connection, name, self.rejects)
        return {**self._outcome(deleted=0), "window_start": _text(first_day)}

    def _check_keys(self) -> None:
        assert self.table is not None
        found = keys.key_problems(self.connection, self.table, self.plan, self.source)
        if not found:
            return
        located = [self._place(number, problem) for number, problem in found]
        if self.source.on_error is OnError.STOP:
            raise LoadError(message(self.name, located[0]))
        taken = keys.take_rows(self.connection, self.table, [number for number, _ in found])
        for (number, _), place in zip(found, located, strict=True):
            values = {
                key: None if value is None else str(value)
                for key, value in taken.get(number, {}).items()
            }
            self.rejects.append(reject_record(self.run_id, self.name, place, values))
        self.rows_written -= len(taken)
        self._check_reject_limit(located[0])

    def _place(self, number: int, problem: str) -> Located:
        """The batch and position of the load's row `number` (1-based)."""
        index = max(i for i, placed in enumerate(self.placed) if placed.load_start < number)
        placed = self.placed[index]
        row = RowProblem(number - placed.load_start - 1, None, None, problem)
        return placed.locate([row])[0]

    def _outcome(self, deleted: int) -> dict[str, Any]:
        return {
            "mode": self.plan.mode,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_written,
            "rows_rejected": len(self.rejects),
            "rows_deleted": deleted,
            "window_start": _text(self.plan.cutoff),
            "warnings": "\n".join(self.warnings) or None,
        }


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
