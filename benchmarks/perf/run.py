"""Benchmark wbr at scale against the floor and plain pandas, one fresh process per step.

    .venv/bin/python benchmarks/perf/run.py --rows 1000000 5000000 --metrics 300 \\
        --store default --out benchmarks/perf/results/default.json

For each size: generate the data (cached in --data-dir), then measure
  wbr build     ingest the CSV into an empty store + compute + the deck's JSON
  wbr deck      the deck for one week from the stored values (median of --repeat)
  floor (SQL)   one hand-written GROUP BY per metric and bucket on the store that
                holds the raw rows (the DuckDB file with --store default)
  floor (DuckDB CSV)  the same queries on DuckDB after read_csv of the file
  floor (DuckDB fused) DuckDB after read_csv, every metric of a bucket in one query
  pandas        read the CSV, the same weekly and monthly values in plain pandas
  wbr refresh   one new week appended to the CSV; ingest (incremental) + compute + JSON
  wbr refresh 2 the same for the week after (with --detect: every seasonal fit kept)
  wbr scheduler the week after that, refreshed as `wbr scheduler` does: by a process
                that is already running (it caught up first), timed from the append
and check that the floor and pandas agree with wbr's stored values for one week
and one month. With --detect, build and refresh also flag anomalies after compute,
as the weekly job `wbr refresh` does (the reference app detects nothing). Prints
seconds, peak RSS and ratios; writes everything to --out.
See docs/performance.md for the results and how to read them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from generate import LAST_DAY, append_week, write_orders, write_registry
from report import compile_bytecode, machine, print_size

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
DEFAULT_DATA_DIR = Path(os.environ.get("TMPDIR", "/tmp")) / "wbr-perf"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHECK_WEEK = LAST_DAY.isoformat()  # the last complete week before the refresh
CHECK_MONTH = "2025-11"  # the last complete month
RELATIVE_TOLERANCE = 1e-6  # sums added in another order differ in the last digits


class Store:
    """Where one run's store lives; PostgreSQL gets a schema of its own, dropped after."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        self.schema = f"wbr_perf_{uuid.uuid4().hex[:12]}"
        self.raw_url: str | None = None  # None: the raw tables are in `url` too
        if kind == "default":  # what wbr uses when given no URL, where it puts it
            # In .wbr/, as wbr has it: what it keeps there between runs (the registry's
            # parse, the seasonal fits) is part of what a user's refresh costs.
            (folder / ".wbr").mkdir(exist_ok=True)
            self.url = f"sqlite:///{folder / '.wbr' / 'wbr.db'}"
            self.raw_url = f"duckdb:///{folder / '.wbr' / 'raw.duckdb'}"
        elif kind == "sqlite":
            self.url = f"sqlite:///{folder / 'store.db'}"
        elif kind == "duckdb":  # stores.py's candidate: wbr's app schema cannot live there
            self.url = f"duckdb:///{folder / 'store.duckdb'}"
        else:
            self.url = f"{POSTGRES_URL}?options=-csearch_path%3D{self.schema}"

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(statement))
        engine.dispose()

    def __enter__(self) -> Store:
        if self.kind == "postgres":
            self._admin(f'CREATE SCHEMA "{self.schema}"')
        return self

    def __exit__(self, *_: object) -> None:
        if self.kind == "postgres":
            self._admin(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def dataset(data_dir: Path, rows: int, metrics: int, seed: int) -> tuple[Path, float | None]:
    """The generated orders.csv and metrics.yaml for this size (made once, then reused)."""
    base = data_dir / f"rows{rows}-seed{seed}"
    csv_path = base / "orders.csv"
    took = None
    if not csv_path.exists():
        print(f"generating {rows:,} rows into {base} …", flush=True)
        start = time.perf_counter()
        write_orders(csv_path, rows, seed)
        took = round(time.perf_counter() - start, 1)
    write_registry(base, metrics)
    return base, took


def fresh_folder(base: Path, work: Path) -> Path:
    """A project folder with its own copy of the CSV (the refresh appends to it)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(base / "orders.csv", work / "orders.csv")
    shutil.copy(base / "metrics.yaml", work / "metrics.yaml")
    return work


def phases(out: str) -> dict[str, float]:
    """The `PHASE name seconds` lines a step printed."""
    found = {}
    for line in out.splitlines():
        if line.startswith("PHASE "):
            _, name, seconds = line.split()
            found[name] = float(seconds)
    return found


class RssWatcher:
    """Samples a process's RSS twice a second: a peak even for a step that is stopped."""

    def __init__(self, pid: int) -> None:
        import psutil

        self._process = psutil.Process(pid)
        self._peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.5):
            try:
                self._peak = max(self._peak, self._process.memory_info().rss)
            except Exception:  # the process has ended
                return

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return round(self._peak / 2**20, 1)


def children_cpu_seconds() -> float:
    """User + system CPU seconds of every child process this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(
    step: str,
    folder: Path,
    store: Store | None,
    timeout: float,
    when_ready: Callable[[], object] | None = None,
    **extra: Any,
) -> dict:
    """Run one step in a fresh Python process; its RESULT line, or why it failed.

    `when_ready` is called once the step prints READY (the `scheduled` step, after its
    catch-up), and the step goes on when it returns."""
    command = [sys.executable, str(HERE / "steps.py"), step, "--folder", str(folder)]
    if store is not None:
        command += ["--url", store.url]
        command += ["--raw-url", store.raw_url] if store.raw_url else []
    for key, value in extra.items():
        command += [f"--{key}", str(value)]
    print(f"  {step} …", end=" ", flush=True)
    start = time.perf_counter()
    cpu_before = children_cpu_seconds()
    with tempfile.TemporaryFile("w+") as errors:  # a file: a full pipe cannot stall the step
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
        watcher = RssWatcher(process.pid)
        # Stopped like a step that overran if it never gets to READY within the timeout.
        alarm = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        alarm.start()
        try:
            before = _until_ready(process, when_ready) if when_ready is not None else ""
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)  # not left waiting for a line forever
            raise
        finally:
            alarm.cancel()
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
            print(f"stopped after {timeout:.0f} s", flush=True)
            seen = watcher.stop()
            return {
                "ok": False,
                "error": f"stopped after {timeout:.0f} s",
                "seconds": timeout,
                "peak_rss_mb": seen,  # the largest RSS sampled before it was stopped
                "phases": phases(before + out),  # the phases it finished
            }
        watcher.stop()
        errors.seek(0)
        err = errors.read()
    lines = [line for line in (before + out).splitlines() if line.startswith("RESULT ")]
    if not lines:
        tail = (err.strip().splitlines() or ["no output"])[-1]
        result: dict[str, Any] = {"ok": False, "error": tail, "seconds": None}
    else:
        result = json.loads(lines[-1][len("RESULT ") :])
    result["process_seconds"] = round(time.perf_counter() - start, 3)
    # What the step's process used of the cores (user + system): on a shared machine
    # the figure that moves least with other work, unlike the wall clock.
    result["cpu_seconds"] = round(children_cpu_seconds() - cpu_before, 3)
    if result.get("ok"):
        print(
            f"{result['seconds']:.2f} s, {result['cpu_seconds']:.2f} s CPU, "
            f"{result['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    else:
        print(f"failed: {result['error']}", flush=True)
    return result


def _until_ready(process: subprocess.Popen[str], when_ready: Callable[[], object]) -> str:
    """The step's output up to its READY line; then `when_ready()`, then a line to go on."""
    assert process.stdout is not None and process.stdin is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.strip() == "READY":
            when_ready()
            process.stdin.write("go\n")
            process.stdin.flush()
            break
    return "".join(seen)


def stored_values(url: str) -> dict[str, dict[str, float | None]]:
    """wbr's stored values for the check week and month."""
    from sqlalchemy import and_, or_, select

    from wbr.store import create_store_engine, metric_values

    c = metric_values.c
    month_start = date.fromisoformat(CHECK_MONTH + "-01")
    query = select(c.metric, c.grain, c.value).where(
        or_(
            and_(c.grain == "week", c.period_end == LAST_DAY),
            and_(c.grain == "month", c.period_start == month_start),
        )
    )
    engine = create_store_engine(url)
    found: dict[str, dict[str, float | None]] = {}
    with engine.connect() as connection:
        for metric, grain, value in connection.execute(query):
            found.setdefault(metric, {})[grain] = value
    engine.dispose()
    return found


def agreement(wbr: dict[str, dict[str, float | None]], other: dict) -> dict[str, Any]:
    """How many metrics have the same week and month values in both."""
    differ = []
    for metric, values in wbr.items():
        for bucket in ("week", "month"):
            mine, theirs = values.get(bucket), other.get(metric, {}).get(bucket)
            if theirs is None and mine == 0:
                theirs = 0.0  # no row passed the filters: GROUP BY has no group, wbr says 0
            same = (mine is None and theirs is None) or (
                mine is not None
                and theirs is not None
                and math.isclose(mine, theirs, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)
            )
            if not same:
                differ.append(f"{metric} {bucket}: wbr {mine}, other {theirs}")
    return {"metrics": len(wbr), "values_differing": len(differ), "examples": differ[:5]}


def run_size(rows: int, args: argparse.Namespace) -> dict[str, Any]:
    base, generated = dataset(args.data_dir, rows, args.metrics, args.seed)
    folder = fresh_folder(base, args.data_dir / f"work-{args.store}-{rows}")
    timeout = args.step_timeout
    check = {"week": CHECK_WEEK, "month": CHECK_MONTH}
    steps: dict[str, Any] = {}
    print(f"{rows:,} rows × {args.metrics} metrics on {args.store}", flush=True)
    with Store(args.store, folder) as store:
        # With --detect both pipelines also flag anomalies, as the weekly job `wbr refresh`
        # does; without, they match the reference app, which detects nothing.
        detect = {"detect": 1} if args.detect else {}
        steps["wbr build"] = run_step("pipeline", folder, store, timeout, **detect)
        built = steps["wbr build"].get("ok", False)
        if built:
            steps["wbr deck"] = run_step("deck", folder, store, timeout, repeat=args.repeat)
        if not (args.skip_floor or args.skip_sql_floor) and built:
            steps["floor (SQL)"] = run_step("floor-sql", folder, store, timeout, **check)
        if not args.skip_floor:
            duck = run_step("floor-duckdb-csv", folder, None, timeout, **check)
            steps["floor (DuckDB CSV)"] = duck
            fused = run_step("floor-duckdb-fused", folder, None, timeout, **check)
            steps["floor (DuckDB fused)"] = fused
        if not args.skip_pandas:
            steps["pandas"] = run_step("pandas", folder, None, timeout, **check)
        if built:
            wbr_values = stored_values(store.url)
            for result in steps.values():
                if "values" in result:
                    result["agreement"] = agreement(wbr_values, result.pop("values"))
            _, appended = append_week(folder / "orders.csv", rows, args.seed)
            steps["wbr refresh"] = run_step("pipeline", folder, store, timeout, **detect)
            steps["wbr refresh"]["rows_appended"] = appended
            # The week after as well: the benchmark's first new week completes the data's
            # third year, so every seasonal metric starts a new block and is fitted anew
            # (once a year); the week after shows the other weeks of the year.
            _, appended = append_week(folder / "orders.csv", rows, args.seed + 1)
            steps["wbr refresh 2"] = run_step("pipeline", folder, store, timeout, **detect)
            steps["wbr refresh 2"]["rows_appended"] = appended
            # The week after that as the running scheduler refreshes it: no process start.
            added: list[int] = []
            steps["wbr scheduler"] = run_step(
                "scheduled",
                folder,
                store,
                timeout,
                when_ready=lambda: added.append(
                    append_week(folder / "orders.csv", rows, args.seed + 2)[1]
                ),
                **detect,
            )
            steps["wbr scheduler"]["rows_appended"] = sum(added)
    for result in steps.values():
        result.pop("values", None)
    return {"rows": rows, "metrics": args.metrics, "generate_seconds": generated, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="\n".join(__doc__.split("\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--metrics", type=int, default=300)
    parser.add_argument(
        "--store",
        choices=["default", "sqlite", "postgres"],
        default="default",
        help="default: SQLite app store + DuckDB raw tables, as wbr ships; "
        "sqlite/postgres: one store for both",
    )
    parser.add_argument("--skip-floor", action="store_true", help="skip every floor")
    parser.add_argument(
        "--skip-sql-floor", action="store_true", help="skip the floor on the store (slow on SQLite)"
    )
    parser.add_argument("--skip-pandas", action="store_true", help="skip plain pandas")
    parser.add_argument(
        "--detect",
        action="store_true",
        help="build and refresh also detect anomalies, as `wbr refresh` does",
    )
    parser.add_argument("--repeat", type=int, default=7, help="deck builds; the median counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--step-timeout", type=float, default=3600, help="seconds before a step is stopped"
    )
    parser.add_argument("--out", type=Path, default=Path("results.json"))
    args = parser.parse_args()
    compile_bytecode()  # as an installed wbr has it (see report.py)
    results = {"machine": machine(), "command": " ".join(sys.argv), "sizes": []}
    for rows in args.rows:
        size = run_size(rows, args)
        results["sizes"].append(size)
        print_size(size, args.store)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")  # after each size
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
