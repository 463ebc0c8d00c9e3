"""Measure wbr's per-period SQL for medians and distinct counts against proposed replacements.

    .venv/bin/python benchmarks/perf/alternatives.py --folder /tmp/wbr-perf/work-sqlite-1000000 \\
        --url sqlite:////tmp/wbr-perf/work-sqlite-1000000/store.db

On a store that run.py built, for one median metric and one count-distinct
metric over the periods wbr's compute asks for:
  wbr now       wbr.compute.holistic (a BETWEEN join to a VALUES list of periods)
  day→period    the same SQL with an equality join to a temporary day→period table
  numpy         one SELECT of (day, value), then the quantiles in numpy
  GROUP BY      weeks and months by one GROUP BY each (COUNT DISTINCT), every
                count-distinct metric of the registry fused into that one query
Each alternative's values are compared with wbr's. Not part of wbr: evidence for a fix.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from wbr import calendar as cal
from wbr.calendar import Grain, Period
from wbr.compute import holistic, percentiles
from wbr.compute.filters import all_of
from wbr.compute.schedule import needed_periods, precomputed_percentiles
from wbr.registry.loader import load_registry
from wbr.registry.models import Metric
from wbr.store import create_store_engine

TABLE, DAY = "raw_orders", "order_date"


def timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return round(time.perf_counter() - start, 3), result


def day_period_table(conn: sa.Connection, periods: list[Period]) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS day_period")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE day_period (day DATE, pid INTEGER)")
    rows = [
        {"day": p.start + timedelta(days=k), "pid": i}
        for i, p in enumerate(periods)
        for k in range((p.end - p.start).days + 1)
    ]
    target = sa.table("day_period", sa.column("day", sa.Date), sa.column("pid", sa.Integer))
    conn.execute(sa.insert(target), rows)
    conn.exec_driver_sql("CREATE INDEX ix_day_period ON day_period (day)")


def where(metric: Metric, column: str) -> tuple[str, dict[str, Any]]:
    condition = all_of(metric.aggregation.filters)
    parts, params = [f"{column} IS NOT NULL"], {}
    if condition is not None:
        compiled = condition.compile()
        parts.append(str(compiled))
        params = compiled.params
    return " AND ".join(parts), params


def ranked_by_day_table(conn: sa.Connection, metric: Metric, q: float, n: int) -> np.ndarray:
    column = metric.aggregation.column
    condition, params = where(metric, column)
    sql = (
        f"WITH r AS (SELECT dp.pid, {column} AS x, ROW_NUMBER() OVER (PARTITION BY dp.pid "
        f"ORDER BY {column}) AS rn, COUNT(*) OVER (PARTITION BY dp.pid) AS n FROM {TABLE} "
        f"JOIN day_period dp ON {TABLE}.{DAY} = dp.day WHERE {condition}) SELECT pid, x, rn, n "
        "FROM r WHERE rn BETWEEN CAST((n - 1) * :q AS INTEGER) + 1 "
        "AND CAST((n - 1) * :q AS INTEGER) + 2"
    )
    around: dict[int, dict[int, float]] = {}
    sizes: dict[int, int] = {}
    for pid, x, rank, size in conn.execute(sa.text(sql), {**params, "q": q}):
        around.setdefault(pid, {})[rank] = x
        sizes[pid] = size
    values = np.full(n, np.nan)
    for pid, ranks in around.items():
        exact = (sizes[pid] - 1) * q
        low = int(exact)
        values[pid] = ranks[low + 1] + (exact - low) * (
            ranks.get(low + 2, ranks[low + 1]) - ranks[low + 1]
        )
    return values


def numpy_quantiles(
    conn: sa.Connection, metric: Metric, q: float, periods: list[Period]
) -> np.ndarray:
    column = metric.aggregation.column
    condition, params = where(metric, column)
    rows = conn.execute(
        sa.text(f"SELECT {DAY}, {column} FROM {TABLE} WHERE {condition}"), params
    ).all()
    days = np.array([str(r[0])[:10] for r in rows], dtype="datetime64[D]").astype(np.int64)
    values = np.array([r[1] for r in rows], dtype=np.float64)
    order = np.lexsort((values, days))  # by day, then value
    days, values = days[order], values[order]
    epoch = date(1970, 1, 1).toordinal()
    found = np.full(len(periods), np.nan)
    for i, period in enumerate(periods):
        lo = np.searchsorted(days, period.start.toordinal() - epoch)
        hi = np.searchsorted(days, period.end.toordinal() - epoch, side="right")
        if hi > lo:
            found[i] = np.quantile(values[lo:hi], q)  # linear, like percentile_cont
    return found


def fused_distinct(conn: sa.Connection, metrics: list[Metric], n: int) -> dict[str, np.ndarray]:
    selects, params = [], {}
    for i, metric in enumerate(metrics):
        condition = all_of(metric.aggregation.filters)
        column = metric.aggregation.column
        if condition is None:
            selects.append(f"COUNT(DISTINCT {column}) AS c{i}")
            continue
        compiled = condition.compile()
        text = str(compiled)
        for key, value in compiled.params.items():
            text = text.replace(f":{key}", f":{key}_{i}")
            params[f"{key}_{i}"] = value
        selects.append(f"COUNT(DISTINCT CASE WHEN {text} THEN {column} END) AS c{i}")
    sql = (
        f"SELECT dp.pid, {', '.join(selects)} FROM {TABLE} JOIN day_period dp "
        f"ON {TABLE}.{DAY} = dp.day GROUP BY dp.pid"
    )
    found = {m.name: np.full(n, np.nan) for m in metrics}
    for row in conn.execute(sa.text(sql), params):
        for i, metric in enumerate(metrics):
            found[metric.name][row[0]] = row[i + 1]
    return found


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-9, equal_nan=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--median", default="median_order_value_region_eu")
    parser.add_argument("--distinct", default="customers_region_eu")
    args = parser.parse_args()
    registry = load_registry(args.folder / "metrics.yaml")
    engine = create_store_engine(args.url)
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        first, last = conn.execute(sa.text(f"SELECT MIN({DAY}), MAX({DAY}) FROM {TABLE}")).one()
        first, last = date.fromisoformat(str(first)[:10]), date.fromisoformat(str(last)[:10])
        periods = needed_periods(first, last, registry)
        latest = cal.latest_week_ending(last, registry.project.week_ends_on.iso_index)
        mask = precomputed_percentiles(periods, latest, registry.project.fiscal_year_end_month)
        chosen = [p for p, keep in zip(periods, mask, strict=True) if keep]
        median = registry.metric(args.median)
        out["median_periods"] = len(chosen)
        out["wbr now"], base = timed(
            lambda: percentiles.percentiles(conn, TABLE, DAY, median, chosen)
        )
        out["day→period table build"], _ = timed(lambda: day_period_table(conn, chosen))
        out["day→period join"], alt = timed(
            lambda: ranked_by_day_table(conn, median, 0.5, len(chosen))
        )
        out["day→period agrees"] = same(base, alt)
        out["numpy"], alt = timed(lambda: numpy_quantiles(conn, median, 0.5, chosen))
        out["numpy agrees"] = same(base, alt)
        distinct = registry.metric(args.distinct)
        out["distinct_periods (all)"] = len(periods)
        out["wbr count_distinct, all periods"], _ = timed(
            lambda: holistic.count_distinct(conn, TABLE, DAY, distinct, periods)
        )
        grains = [p for p in periods if p.grain in (Grain.WEEK, Grain.MONTH)]
        out["weeks+months"] = len(grains)
        out["wbr count_distinct, weeks+months"], base = timed(
            lambda: holistic.count_distinct(conn, TABLE, DAY, distinct, grains)
        )
        day_period_table(conn, grains)
        every = [m for m in registry.metrics if m.aggregation.type == "count_distinct"]
        out["fused GROUP BY metrics"] = len(every)
        out["fused GROUP BY, weeks+months"], fused = timed(
            lambda: fused_distinct(conn, every, len(grains))
        )
        out["fused agrees"] = same(base, fused[distinct.name])
    engine.dispose()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
