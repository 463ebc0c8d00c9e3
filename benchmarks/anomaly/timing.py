"""Time detection over many metrics: the pure API, and `detect_project` on a SQLite store."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from synthetic import synthetic_metrics

from wbr.anomalies import SeriesContext, detect_project, detect_series
from wbr.registry.models import Registry
from wbr.store import create_store_engine
from wbr.store.schema import metadata, metric_values

DAYS_PER_WEEK = 7


def time_series_api(count: int) -> tuple[float, int, int]:
    """Seconds to score `count` synthetic metrics with detect_series; weeks; flags."""
    cases = synthetic_metrics(count, seed=1)
    started = time.perf_counter()
    flags = sum(
        len(detect_series(case.values, context=SeriesContext(metric=case.name, unit=case.unit)))
        for case in cases
    )
    return time.perf_counter() - started, len(cases[0].values), flags


def _registry(names: list[str], units: list[str]) -> Registry:
    metric: dict[str, Any] = {
        "description": "A synthetic metric for the timing benchmark.",
        "kind": "output",
        "owner": "Benchmark",
        "source": "synthetic",
        "aggregation": {"type": "sum", "column": "value"},
    }
    return Registry.model_validate(
        {
            "sources": {
                "synthetic": {"kind": "csv", "path": "synthetic.csv", "date_column": "day"}
            },
            "metrics": [
                {**metric, "name": name, "label": name, "unit": unit}
                for name, unit in zip(names, units, strict=True)
            ],
            "deck": {"sections": [{"title": "All", "metrics": names}]},
        }
    )


def time_project(count: int) -> tuple[float, float, int]:
    """Seconds for detect_project over `count` metrics (first run, then a rerun); flags."""
    cases = synthetic_metrics(count, seed=1)
    names = [case.name for case in cases]
    now = datetime.now(UTC)
    rows = [
        {
            "metric": case.name,
            "grain": "week",
            "period_start": end.date() - timedelta(days=DAYS_PER_WEEK - 1),
            "period_end": end.date(),
            "value": float(value),
            "numerator": float(value),
            "denominator": None,
            "days_present": DAYS_PER_WEEK,
            "days_expected": DAYS_PER_WEEK,
            "complete": True,
            "computed_at": now,
        }
        for case in cases
        for end, value in zip(pd.DatetimeIndex(case.values.index), case.values, strict=True)
    ]
    with tempfile.TemporaryDirectory() as folder:
        engine = create_store_engine(f"sqlite:///{Path(folder) / 'store.db'}")
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(metric_values), rows)
        registry = _registry(names, [case.unit for case in cases])
        started = time.perf_counter()
        report = detect_project(engine, registry)
        first = time.perf_counter() - started
        started = time.perf_counter()
        detect_project(engine, registry)
        second = time.perf_counter() - started
        engine.dispose()
    return first, second, len(report.flags)
