"""A plain pandas implementation of the same weekly and monthly numbers.

What a user without wbr would write: read the CSV once, add week (ending
Saturday) and month columns, then for each metric filter the rows and group
them. Filtered frames are reused while consecutive metrics share their filters
(they come in slices: all of one region's metrics, then the next region's).
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from floor import BUCKETS, fold

from wbr.registry.formula import parse_formula
from wbr.registry.models import Metric, Registry

SATURDAY = 5  # pandas' weekday number
OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def read_orders(path: Path, date_column: str, dimensions: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(
        path, dtype=dict.fromkeys(dimensions, "category"), parse_dates=[date_column]
    )
    day = frame[date_column]
    frame["week"] = day + pd.to_timedelta((SATURDAY - day.dt.weekday) % 7, unit="D")
    frame["month"] = day.dt.to_period("M")
    return frame


def mask(frame: pd.DataFrame, filters: tuple[Any, ...]) -> pd.Series | None:
    result: pd.Series | None = None
    for f in filters:
        column = frame[f.column]
        op = f.op.value
        if op in OPS:
            part = OPS[op](column, f.value)
        elif op in ("in", "not_in"):
            part = column.isin(list(f.value))
            part = part if op == "in" else ~part
        else:
            part = column.isna() if op == "is_null" else column.notna()
        result = part if result is None else result & part
    return result


class PandasWbr:
    def __init__(self, frame: pd.DataFrame, registry: Registry) -> None:
        self.frame = frame
        self.registry = registry
        self.date_column = next(iter(registry.sources.values())).date_column
        self._cache: dict[tuple[Any, ...], pd.DataFrame] = {}
        self.values: dict[tuple[str, str], pd.Series] = {}

    def rows(self, filters: tuple[Any, ...]) -> pd.DataFrame:
        key = tuple((f.column, f.op.value, f.value) for f in filters)
        if key not in self._cache:
            if len(self._cache) >= 2:  # keep the current slice and one more: bounded memory
                self._cache.pop(next(iter(self._cache)))
            keep = mask(self.frame, filters)
            self._cache[key] = self.frame if keep is None else self.frame[keep]
        return self._cache[key]

    def series(self, metric: Metric, bucket: str) -> pd.Series:
        agg = metric.aggregation
        kind = agg.type
        by_name = self.registry.metrics_by_name
        if kind == "ratio":
            top = self.values[(agg.numerator, bucket)]
            bottom = self.values[(agg.denominator, bucket)]
            return top / bottom.replace(0, np.nan) * agg.scale
        if kind == "formula":
            return fold(
                parse_formula(agg.expression),
                lambda name: self.values[(by_name[name].name, bucket)],
                lambda a, b: a / b.replace(0, np.nan),
            )
        if kind in ("first", "last"):
            # Every day of the source counts: a day whose rows all fail the filters is 0.
            frame, keep = self.frame, mask(self.frame, agg.filters)
            values = frame[agg.column] if keep is None else frame[agg.column].where(keep, 0)
            daily = values.groupby([frame[bucket], frame[self.date_column]], observed=True).sum()
            by_bucket = daily.groupby(level=0)
            edge = by_bucket.head(1) if kind == "first" else by_bucket.tail(1)
            return edge.droplevel(1)
        rows = self.rows(agg.filters)
        groups = rows.groupby(bucket, observed=True)
        if kind == "count":
            return groups.size() if agg.column is None else groups[agg.column].count()
        column = groups[agg.column]
        if kind == "percentile":
            return column.quantile(agg.percentile / 100)
        method = {"mean": "mean", "count_distinct": "nunique"}.get(kind, kind)
        return getattr(column, method)()

    def compute(self) -> dict[tuple[str, str], pd.Series]:
        for metric in self.registry.metrics:  # parts come before ratios in the registry
            for bucket in BUCKETS:
                self.values[(metric.name, bucket)] = self.series(metric, bucket)
        return self.values


def bucket_values(values: dict[tuple[str, str], pd.Series], week: str, month: str) -> dict:
    """{metric: {"week": v, "month": v}} for one week-ending date and one month (YYYY-MM)."""
    found: dict[str, dict[str, float | None]] = {}
    for (name, bucket), series in values.items():
        key = pd.Timestamp(week) if bucket == "week" else pd.Period(month, "M")
        value = series.get(key)
        found.setdefault(name, {})[bucket] = None if value is None else float(value)
    return found
