"""A fused floor on DuckDB: every metric of a bucket in one scan, not one query per metric.

This is the design a columnar engine allows: per bucket (week, month) one
GROUP BY whose select list holds every metric (filters become CASE inside the
aggregate, count distinct and percentiles included), and one more for the
first/last metrics (the day's totals, then the edge day's per bucket). Two
buckets → four scans of the table for all 300 metrics. It is not a wbr
feature; it shows what a DuckDB-backed compute could cost.
"""

from __future__ import annotations

from typing import Any

from floor import BUCKETS, FloorQueries, Sql, bucket_key, condition

from wbr.registry.models import Metric

EDGE = ("first", "last")


def _quantile(metric: Metric) -> Sql:
    agg = metric.aggregation
    q = 0.5 if agg.type == "median" else agg.percentile / 100
    own = condition(agg.filters)
    column = f"CASE WHEN {own} THEN {agg.column} END" if own else agg.column
    return Sql(f"quantile_cont({column}, {q})")


def fused_queries(
    queries: FloorQueries, bucket: str
) -> tuple[list[Metric], str, list[Metric], str]:
    """(metrics, SQL) of the main query and of the first/last query of one bucket."""
    dialect, d, table = queries.dialect, queries.date_column, queries.table
    b = (dialect.week if bucket == "week" else dialect.month).format(d=d)
    main = [m for m in queries.registry.metrics if m.aggregation.type not in EDGE]
    selects = [
        _quantile(m)
        if m.aggregation.type in ("median", "percentile")
        else queries.expression(m, None)
        for m in main
    ]
    columns = ", ".join(f"{s} AS m{i}" for i, s in enumerate(selects))
    main_sql = f"SELECT {b} AS b, {columns} FROM {table} GROUP BY 1"
    edges = [m for m in queries.registry.metrics if m.aggregation.type in EDGE]
    sums = []
    for m in edges:
        own = condition(m.aggregation.filters)
        column = m.aggregation.column
        total = f"SUM(CASE WHEN {own} THEN {column} END)" if own else f"SUM({column})"
        sums.append(f"COALESCE({total}, 0)")  # a day whose rows all fail the filters is 0
    daily = ", ".join(f"{s} AS s{i}" for i, s in enumerate(sums))
    bd = (dialect.week if bucket == "week" else dialect.month).format(d="day")
    picks = ", ".join(
        f"{'arg_min' if m.aggregation.type == 'first' else 'arg_max'}(s{i}, day)"
        for i, m in enumerate(edges)
    )
    edge_sql = (
        f"WITH d AS (SELECT {d} AS day, {daily} FROM {table} GROUP BY 1) "
        f"SELECT {bd} AS b, {picks} FROM d GROUP BY 1"
    )
    return main, main_sql, edges, edge_sql


def run_fused(queries: FloorQueries, execute: Any, wanted: dict[str, str]) -> dict[str, Any]:
    """Run the fused queries; the values of the wanted week and month per metric."""
    values: dict[str, dict[str, float | None]] = {}
    for bucket in BUCKETS:
        main, main_sql, edges, edge_sql = fused_queries(queries, bucket)
        for metrics, sql in ((main, main_sql), (edges, edge_sql)):
            if not metrics:
                continue
            key = bucket_key(wanted[bucket], bucket)
            row = next((r for r in execute(sql) if bucket_key(r[0], bucket) == key), None)
            for i, metric in enumerate(metrics):
                value = None if row is None or row[i + 1] is None else float(row[i + 1])
                values.setdefault(metric.name, {})[bucket] = value
    return values
