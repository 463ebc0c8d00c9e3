"""Daily aggregates pushed down to the store: one GROUP BY per raw table.

Every base metric on a table becomes one or two SQL aggregates (a SUM and a
COUNT of non-null values) in the same query, so a table is scanned once per
computation however many metrics read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wbr.errors import ComputeError
from wbr.registry.models import CountAggregation, MeanAggregation, Metric, SumAggregation


@dataclass(frozen=True, slots=True)
class DailySeries:
    """A base metric's per-day SUM and COUNT over a contiguous range of days.

    `counts[i]` is the number of non-null values (or rows, for `count` without
    a column) on day i; a day with a count of zero has no data.
    """

    first_day: date
    sums: np.ndarray
    counts: np.ndarray

    @property
    def present(self) -> np.ndarray:
        return np.asarray(self.counts > 0)


@dataclass(frozen=True, slots=True)
class _Measure:
    metric: str
    column: str | None  # None: COUNT(*)
    wants_sum: bool


def _measure(metric: Metric) -> _Measure:
    agg = metric.aggregation
    if isinstance(agg, SumAggregation | MeanAggregation):
        return _Measure(metric.name, agg.column, wants_sum=True)
    if isinstance(agg, CountAggregation):
        return _Measure(metric.name, agg.column, wants_sum=False)
    raise ComputeError(f"metric `{metric.name}` is not computed from a source column")


def _check_columns(conn: Connection, table: str, needed: set[str], metrics: list[Metric]) -> None:
    inspector = sa.inspect(conn)
    if not inspector.has_table(table):
        raise ComputeError(
            f"raw table `{table}` is not in the store (needed by {metrics[0].name!r}); "
            "run `wbr ingest` first"
        )
    present = {column["name"] for column in inspector.get_columns(table)}
    missing = sorted(needed - present)
    if missing:
        raise ComputeError(
            f"raw table `{table}` has no column(s) {', '.join(missing)}; "
            f"its columns are: {', '.join(sorted(present))}"
        )


def daily_series(
    conn: Connection, table: str, date_column: str, metrics: list[Metric]
) -> dict[str, DailySeries]:
    """Per-day SUM and COUNT for every metric in `metrics`, all read from `table`."""
    measures = [_measure(metric) for metric in metrics]
    needed = {date_column} | {m.column for m in measures if m.column is not None}
    _check_columns(conn, table, needed, metrics)
    day = sa.column(date_column, sa.Date)
    selects: list[sa.ColumnElement[Any]] = [day.label("day")]
    for index, measure in enumerate(measures):
        column: sa.ColumnClause[Any] | None = (
            sa.column(measure.column) if measure.column is not None else None
        )
        count = sa.func.count(column) if column is not None else sa.func.count()
        selects.append(count.label(f"n{index}"))
        if measure.wants_sum and column is not None:
            selects.append(sa.func.sum(column).label(f"s{index}"))
    query = (
        sa.select(*selects)
        .select_from(sa.table(table))
        .where(day.is_not(None))
        .group_by(day)
        .order_by(day)
    )
    frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return {}
    frame["day"] = pd.to_datetime(frame["day"])
    days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    frame = frame.set_index("day").reindex(days)
    first_day = days[0].date()
    result = {}
    for index, measure in enumerate(measures):
        counts = frame[f"n{index}"].fillna(0).to_numpy(dtype=np.int64)
        if f"s{index}" in frame:
            sums = frame[f"s{index}"].astype(float).fillna(0.0).to_numpy(dtype=np.float64)
        else:
            sums = counts.astype(np.float64)
        result[measure.metric] = DailySeries(first_day, sums, counts)
    return result
