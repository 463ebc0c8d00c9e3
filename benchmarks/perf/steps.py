"""One measured step of the benchmark, run in a fresh process by run.py.

    .venv/bin/python benchmarks/perf/steps.py STEP --folder DIR --url URL

A fresh process per step makes the peak RSS that step's own. The step prints one
line `RESULT {json}` with its wall-clock seconds (after imports), its phases, its
peak RSS in MB, and (for the floor and pandas) the values of one week and one
month, so run.py can check that every implementation computes the same numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).parent))

from floor import DIALECTS, FloorQueries, bucket_key, collect
from report import peak_rss_mb

from wbr.registry.loader import load_registry

if TYPE_CHECKING:
    from wbr.workspace import Workspace

Result = dict[str, Any]


class Clock:
    """Named phases of a step, in seconds."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = round(now - self._last, 3)
        self._last = now
        print(f"PHASE {name} {self.phases[name]}", flush=True)  # kept if the step is stopped


def pipeline(args: argparse.Namespace) -> Result:
    """ingest (full on an empty store, incremental after) + compute + the deck's JSON;
    with --detect also anomaly detection after compute, as `wbr refresh` runs it."""
    from wbr.workspace import open_workspace

    _import_pipeline()
    clock = Clock()
    workspace = open_workspace(args.folder / "metrics.yaml", args.url, args.raw_url)
    clock.lap("open")
    outcome = _refresh(workspace, args, clock)
    workspace.dispose()
    return {"phases": clock.phases, **outcome}


def scheduled(args: argparse.Namespace) -> Result:
    """The weekly refresh as `wbr scheduler` runs it: in a process that is already up.

    The scheduler opens its workspace once and keeps it; when it starts it catches up,
    which here is a refresh that finds nothing new (its phases are reported apart),
    and then leaves what is alive out of the garbage collector's walks (`settle_heap`).
    Then this step prints READY and waits for a line on standard input, while the
    runner appends the new week to the source. Only the refresh after that line is
    timed: `seconds` is its wall clock, from the moment the new rows are there.
    """
    from wbr.schedule.service import settle_heap
    from wbr.workspace import open_workspace

    _import_pipeline()
    caught_up = Clock()
    workspace = open_workspace(args.folder / "metrics.yaml", args.url, args.raw_url)
    _refresh(workspace, args, caught_up)
    settle_heap()  # as the scheduler does after its first tick
    print("READY", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    clock = Clock()
    outcome = _refresh(workspace, args, clock)
    seconds = round(time.perf_counter() - start, 3)
    workspace.dispose()
    return {
        "phases": clock.phases,
        "catch_up_phases": caught_up.phases,
        **outcome,
        "seconds": seconds,
    }


def _import_pipeline() -> None:
    """What a build or refresh imports, before any clock starts (as before the split)."""
    from wbr.compute.run import compute  # noqa: F401
    from wbr.deck.build import build_deck  # noqa: F401
    from wbr.export import write_deck_json  # noqa: F401
    from wbr.ingest import ingest  # noqa: F401 (the package imports its modules lazily)


def _refresh(workspace: Workspace, args: argparse.Namespace, clock: Clock) -> Result:
    """One build or refresh on an open workspace: its phases are laps of `clock`."""
    from wbr.deck.build import build_deck
    from wbr.export import write_deck_json
    from wbr.schedule.jobs import load_and_compute

    raw = workspace.raw_engine
    # As `wbr refresh` and the scheduler's job: one raw connection for loads and compute.
    reports, report = load_and_compute(workspace, after_load=lambda: clock.lap("ingest"))
    clock.lap("compute")  # with the raw connection's close (its checkpoint)
    if args.detect:
        from wbr.anomalies import detect_project
        from wbr.anomalies.fit_cache import project_file

        detect_project(
            workspace.engine, workspace.registry, raw, project_file(args.folder / "metrics.yaml")
        )
        clock.lap("detect")
    deck = build_deck(workspace.engine, workspace.registry, raw_engine=raw)
    write_deck_json(deck, args.folder / "deck.json")
    clock.lap("deck")
    return {
        "rows_loaded": sum(r.rows for r in reports),
        "load_modes": [r.mode for r in reports],
        "values_written": report.rows_written,
        "week_ending": deck.week_ending.isoformat(),
    }


def deck(args: argparse.Namespace) -> Result:
    """One week's deck from the stored values, `--repeat` times: the model, then its JSON."""
    from wbr.deck.build import build_deck
    from wbr.export import deck_to_json
    from wbr.workspace import open_workspace

    workspace = open_workspace(args.folder / "metrics.yaml", args.url, args.raw_url)
    models, jsons = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        model = build_deck(workspace.engine, workspace.registry, raw_engine=workspace.raw_engine)
        built = time.perf_counter()
        text = deck_to_json(model)
        models.append(built - start)
        jsons.append(time.perf_counter() - built)
    workspace.dispose()
    totals = [m + j for m, j in zip(models, jsons, strict=True)]
    return {
        "median_seconds": round(statistics.median(totals), 4),
        "first_seconds": round(totals[0], 4),
        "model_median_seconds": round(statistics.median(models), 4),
        "json_median_seconds": round(statistics.median(jsons), 4),
        "json_bytes": len(text),
    }


def _run_floor(
    queries: FloorQueries, execute: Callable[[str], list[tuple[Any, ...]]], args: argparse.Namespace
) -> Result:
    by_class: dict[str, float] = {}
    values: dict[str, dict[str, float | None]] = {}
    wanted = {"week": args.week, "month": args.month}
    by_name = queries.registry.metrics_by_name
    for name, bucket, sql, quantile in queries.all_queries():
        start = time.perf_counter()
        found = collect(execute(sql), bucket, quantile)
        kind = by_name[name].aggregation.type
        by_class[kind] = by_class.get(kind, 0.0) + time.perf_counter() - start
        values.setdefault(name, {})[bucket] = found.get(bucket_key(wanted[bucket], bucket))
    return {"seconds_by_class": {k: round(v, 2) for k, v in by_class.items()}, "values": values}


def floor_sql(args: argparse.Namespace) -> Result:
    """The hand-written queries on the store wbr loaded its raw_orders table into."""
    from sqlalchemy import text

    from wbr.store import create_store_engine

    clock = Clock()
    registry = load_registry(args.folder / "metrics.yaml")
    engine = create_store_engine(args.raw_url or args.url)
    queries = FloorQueries(registry, DIALECTS[engine.dialect.name])
    with engine.connect() as conn:

        def execute(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.execute(text(sql))]

        result = _run_floor(queries, execute, args)
    clock.lap("queries")
    engine.dispose()
    return {"phases": clock.phases, **result}


def _duckdb_from_csv(args: argparse.Namespace, clock: Clock) -> Callable[[str], list[Any]]:
    """An in-memory DuckDB holding the CSV as raw_orders; returns a query runner."""
    import duckdb

    conn = duckdb.connect()
    csv_path = str(args.folder / "orders.csv").replace("'", "''")
    conn.execute(f"CREATE TABLE raw_orders AS SELECT * FROM read_csv('{csv_path}')")
    clock.lap("read_csv")
    return lambda sql: conn.execute(sql).fetchall()


def floor_duckdb_csv(args: argparse.Namespace) -> Result:
    """DuckDB reading the CSV directly (in memory), then the same hand-written queries."""
    clock = Clock()
    registry = load_registry(args.folder / "metrics.yaml")
    execute = _duckdb_from_csv(args, clock)
    queries = FloorQueries(registry, DIALECTS["duckdb"])
    result = _run_floor(queries, execute, args)
    clock.lap("queries")
    return {"phases": clock.phases, **result}


def floor_duckdb_fused(args: argparse.Namespace) -> Result:
    """DuckDB reading the CSV, then every metric of a bucket in one query (fused.py)."""
    from fused import run_fused

    clock = Clock()
    registry = load_registry(args.folder / "metrics.yaml")
    execute = _duckdb_from_csv(args, clock)
    queries = FloorQueries(registry, DIALECTS["duckdb"])
    wanted = {"week": args.week, "month": args.month}
    values = run_fused(queries, execute, wanted)
    clock.lap("queries")
    return {"phases": clock.phases, "values": values}


def plain_pandas(args: argparse.Namespace) -> Result:
    from metricset import DIMENSIONS
    from pandas_impl import PandasWbr, bucket_values, read_orders

    clock = Clock()
    registry = load_registry(args.folder / "metrics.yaml")
    date_column = next(iter(registry.sources.values())).date_column
    frame = read_orders(args.folder / "orders.csv", date_column, list(DIMENSIONS))
    clock.lap("read_csv")
    values = PandasWbr(frame, registry).compute()
    clock.lap("compute")
    return {"phases": clock.phases, "values": bucket_values(values, args.week, args.month)}


STEPS: dict[str, Callable[[argparse.Namespace], Result]] = {
    "pipeline": pipeline,
    "scheduled": scheduled,
    "deck": deck,
    "floor-sql": floor_sql,
    "floor-duckdb-csv": floor_duckdb_csv,
    "floor-duckdb-fused": floor_duckdb_fused,
    "pandas": plain_pandas,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one benchmark step (see run.py).")
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--url", default=None, help="the store's SQLAlchemy URL")
    parser.add_argument("--raw-url", default=None, help="the raw tables' store, if separate")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--detect", type=int, default=0, help="1: pipeline also detects")
    parser.add_argument("--week", default="", help="week-ending date whose values to report")
    parser.add_argument("--month", default="", help="month (YYYY-MM) whose values to report")
    args = parser.parse_args()
    start = time.perf_counter()
    try:
        result: Result = {"ok": True, **STEPS[args.step](args)}
    except Exception as error:
        traceback.print_exc()
        message = f"{type(error).__name__}: {error}".split("\n")[0][:300]
        result = {"ok": False, "error": message}
    # A step that times only a part of its run (`scheduled`) says so in its own `seconds`.
    result.setdefault("seconds", round(time.perf_counter() - start, 3))
    result["peak_rss_mb"] = peak_rss_mb()  # this process's peak, its imports included
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
