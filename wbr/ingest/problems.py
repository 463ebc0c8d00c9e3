"""Bad rows: where they came from, the message that stops a load, the quarantine record.

A row is located by its batch: the file (or page, or query) and its line or
row number there. The message names the source, the place, the column, the
value and a fix; the quarantine record keeps the whole row as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd

from connectors.base import Batch
from wbr.ingest.convert import RowProblem

_DATE_HINT = "Fix the value, or set `date_format:` (a strptime format such as %d/%m/%Y)"
_VALUE_HINT = "Fix the value, or declare the column's type under `columns:`"
_KEY_HINT = "Fix the source, or check that `key:` names the columns that identify a row"
QUARANTINE_HINT = "or set `on_error: quarantine` to set such rows aside and load the rest"


@dataclass(frozen=True)
class Located:
    """A bad row with its place in the source."""

    problem: RowProblem
    origin: str | None
    label: str  # "line" or "row"
    number: int


@dataclass(frozen=True)
class PlacedBatch:
    """A batch as the load saw it: its first row number in this load, and in its origin."""

    batch: Batch
    load_start: int  # rows of this load before the batch
    origin_start: int  # rows of the same origin before the batch (when it has no first_row)

    def locate(self, problems: Sequence[RowProblem]) -> list[Located]:
        positions = [problem.position for problem in problems]
        batch = self.batch
        if batch.locate is not None:
            numbers = batch.locate(positions)
        elif batch.first_row is not None:
            numbers = [batch.first_row + position for position in positions]
        else:
            numbers = [self.origin_start + position + 1 for position in positions]
        return [
            Located(problem, batch.origin, batch.row_label, number)
            for problem, number in zip(problems, numbers, strict=True)
        ]


def message(source: str, found: Located, *, quarantine_hint: bool = True) -> str:
    """What a person reads when a bad row stops a load."""
    where = [f"source {source!r}"]
    if found.origin:
        where.append(found.origin)
    where.append(f"{found.label} {found.number}")
    problem = found.problem
    text = ", ".join(where) + ": "
    if problem.column is not None and problem.value is not None:
        text += f"column {problem.column!r}: value {problem.value!r} {problem.reason}"
    else:
        text += problem.reason
    if "date" in problem.reason:
        hint = _DATE_HINT
    elif problem.reason.startswith(("duplicate key", "key ")):
        hint = _KEY_HINT
    else:
        hint = _VALUE_HINT
    return f"{text}. {hint}" + (f", {QUARANTINE_HINT}" if quarantine_hint else "")


def reject_record(
    run_id: int, source: str, found: Located, raw_values: dict[str, Any]
) -> dict[str, Any]:
    """A row of `raw_<table>__rejected`."""
    problem = found.problem
    return {
        "load_run_id": run_id,
        "source": source,
        "origin": found.origin,
        "row_number": found.number,
        "column_name": problem.column,
        "reason": problem.reason,
        "value": None if problem.value is None else str(problem.value),
        "raw_values": raw_values,
    }


def row_as_text(frame: pd.DataFrame, position: int) -> dict[str, Any]:
    """One row of a batch as delivered, every value as text (None when missing)."""
    row = frame.iloc[position]
    return {str(column): None if _missing(value) else str(value) for column, value in row.items()}


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(cast(Any, value))))
