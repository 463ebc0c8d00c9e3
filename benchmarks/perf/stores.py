"""Measure the candidate stores for both jobs a wbr store does.

    .venv/bin/python benchmarks/perf/stores.py --rows 1000000 \\
        --out benchmarks/perf/results/stores-1000000.json

For SQLite (wbr's engine settings: WAL, busy timeout), DuckDB (duckdb-engine
through SQLAlchemy) and PostgreSQL (a schema of its own, dropped after):
  analytics     load N raw rows, a weekly GROUP BY (sums, a count distinct), and
                wbr's own compute SQL on that store
  transactions  --writes single-row commits (annotations, flag changes) while
                another process reads them in a loop: writes/s, read latency, errors
  during a load the same writes while a third process loads the N rows in one
                transaction, as `wbr ingest` does; for SQLite also with the app
                tables in a second file (raw data and app state in separate stores)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import store_jobs as jobs
from generate import write_orders, write_registry
from report import machine, peak_rss_mb
from run import DEFAULT_DATA_DIR, POSTGRES_URL, Store

CONTEXT = mp.get_context("spawn")  # fresh interpreters: no state shared by fork


def _call(queue: Any, function: Any, args: tuple[Any, ...]) -> None:
    try:
        result = {"ok": True, **function(*args)}
    except Exception as error:
        result = {"ok": False, "error": f"{type(error).__name__}: {str(error).splitlines()[0]}"}
    result["peak_rss_mb"] = peak_rss_mb()
    queue.put(result)


def in_child(function: Any, *args: Any) -> dict[str, Any]:
    """`function(*args)` in a fresh process; its result with the process's peak RSS."""
    queue = CONTEXT.Queue()
    process = CONTEXT.Process(target=_call, args=(queue, function, args))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def create_app_tables(url: str) -> None:
    from sqlalchemy import insert

    from wbr.store import create_store_engine

    engine = create_store_engine(url)
    with engine.begin() as conn:
        jobs.APP.drop_all(conn)
        jobs.APP.create_all(conn)
        now = datetime.now().replace(microsecond=0)
        rows = [
            {"metric": f"metric_{i}", "status": "open", "updated_at": now}
            for i in range(jobs.FLAGGED_METRICS)
        ]
        conn.execute(insert(jobs.FLAGS), rows)
    engine.dispose()


def contended_writes(
    app_url: str, writes: int, *, read: bool, load: tuple[str, Path] | None = None
) -> dict[str, Any]:
    """Writes (and reads, or a bulk load) at once, each in its own process."""
    create_app_tables(app_url)
    out, go, stop = CONTEXT.Queue(), CONTEXT.Event(), CONTEXT.Event()
    processes = [CONTEXT.Process(target=jobs.writer, args=(app_url, writes, out, go))]
    if read:
        processes.append(CONTEXT.Process(target=jobs.reader, args=(app_url, out, go, stop)))
    for process in processes:
        process.start()
    loader, loaded = None, CONTEXT.Queue()
    if load is not None:
        loader = CONTEXT.Process(target=_call, args=(loaded, jobs.load, load))
        loader.start()
        time.sleep(1.0)  # let the load take its write lock first
    time.sleep(1.0)  # let the processes connect (and fail to, where they cannot)
    go.set()
    results = [out.get()]  # the writer finishes first
    stop.set()
    if read:
        results.append(out.get())
    for process in processes:
        process.join()
    found: dict[str, Any] = {}
    if loader is not None:
        found["load"] = loaded.get()
        loader.join()
    for result in results:
        role = result["role"]
        found[f"{role}_count"] = len(result["latencies"])
        found.update({f"{role}_{k}": v for k, v in jobs.summary(result["latencies"]).items()})
        found[f"{role}_errors"] = len(result["errors"])
        found[f"{role}_error_examples"] = sorted(set(result["errors"]))[:3]
        if role == "writer":
            ok = len(result["latencies"]) - len(result["errors"])
            found["writes_per_second"] = round(ok / result["seconds"], 1)
    return found


def measure(kind: str, folder: Path, csv_path: Path, args: argparse.Namespace) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("store*"):
        stale.unlink()
    result: dict[str, Any] = {}
    with Store(kind, folder) as store:
        url = store.url
        print(f"{kind}: load …", flush=True)
        result["load"] = in_child(jobs.load, url, csv_path)
        print(f"{kind}: analytics …", flush=True)
        result["analytics"] = in_child(jobs.analytics, url, csv_path.parent / "metrics.yaml")
        print(f"{kind}: generic SQLAlchemy insert …", flush=True)
        result["generic_insert"] = in_child(jobs.generic_insert_rate, url, csv_path)
        print(f"{kind}: writes while reading …", flush=True)
        result["writes_while_reading"] = contended_writes(url, args.writes, read=True)
        print(f"{kind}: writes during a load …", flush=True)
        result["writes_during_load"] = contended_writes(
            url, args.load_writes, read=False, load=(url, csv_path)
        )
        if kind == "sqlite":
            app_url = f"sqlite:///{folder / 'store-app.db'}"
            print(f"{kind}: writes during a load, app state in a second file …", flush=True)
            result["writes_during_load_separate_file"] = contended_writes(
                app_url, args.load_writes, read=False, load=(url, csv_path)
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="\n".join(__doc__.split("\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stores", nargs="+", default=["sqlite", "duckdb", "postgres"])
    parser.add_argument("--writes", type=int, default=2000, help="single-row commits")
    parser.add_argument("--load-writes", type=int, default=200, help="commits during a load")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=Path("stores.json"))
    args = parser.parse_args()
    base = args.data_dir / f"rows{args.rows}-seed{args.seed}"
    csv_path = base / "orders.csv"
    if not csv_path.exists():
        write_orders(csv_path, args.rows, args.seed)
    write_registry(base, 300)
    results = {"machine": machine(), "command": " ".join(sys.argv), "rows": args.rows}
    results["postgres"] = POSTGRES_URL
    for kind in args.stores:
        folder = args.data_dir / f"stores-{kind}-{uuid.uuid4().hex[:6]}"
        results[kind] = measure(kind, folder, csv_path, args)
        print(json.dumps(results[kind], indent=1), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
