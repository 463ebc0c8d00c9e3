"""Load test: many viewers on the deck under gunicorn, while `wbr refresh` runs beside it.

    .venv/bin/python benchmarks/load/run.py --think-seconds 2     # both stores, 50 viewers, 60 s
    .venv/bin/python benchmarks/load/run.py --think-seconds 2 --refresh new-day
    .venv/bin/python benchmarks/load/run.py --stores sqlite --seconds 30 --viewers 20

For each store (the embedded default: SQLite app store + DuckDB raw store; PostgreSQL
at WBR_TEST_POSTGRES_URL in a fresh schema, dropped afterwards) it builds the demo
project (`wbr demo --no-serve`), starts gunicorn on a free 127.0.0.1 port with
several workers, starts `wbr refresh` over and over in its own process (on the same
files, or with the next day appended before each so that every refresh commits new
values: `--refresh new-day`), and lets the
viewers (benchmarks/load/viewers.py) open the deck and switch weeks until the time
is up. Before the clock starts, every week's deck is asked for on a few new
connections, so that each worker has built it, as on a server that has run for a
while (`--cold` measures from a fresh server instead). It prints requests per second,
p50/p95/p99 latency per kind of request and overall, and every error, and writes them
to benchmarks/load/results/. Loopback only; every process it starts is stopped when it
ends.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from viewers import Results, Viewer, switch_payload, week_callback

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).parent / "results"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WEEKS_SWITCHED = 12  # viewers page through the latest weeks
START_TIMEOUT_SECONDS = 180
TARGET_P95_MS = 300
KEEP_ALIVE_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _postgres_schema() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from wbr.store.engine import normalize_url

    base = normalize_url(os.environ.get("WBR_TEST_POSTGRES_URL") or DEFAULT_POSTGRES)
    schema = f"wbr_load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _env(store_url: str | None, registry: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WBR_")}
    env["WBR_REGISTRY"] = str(registry)
    env["WBR_DEMO_PASSWORD"] = "load-test-password"
    if store_url:
        env["WBR_DATABASE_URL"] = store_url
    return env


def _weeks(env: dict[str, str], registry: Path) -> list[str]:
    code = (
        "from pathlib import Path; from wbr.workspace import open_workspace; "
        "from dashboards.source import StoreDeckSource; import sys; "
        "w = open_workspace(Path(sys.argv[1])); "
        "print(' '.join(d.isoformat() for d in StoreDeckSource(w.engine, w.registry).weeks()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(registry)], env=env, capture_output=True, text=True
    )
    return out.stdout.split()[-WEEKS_SWITCHED:]


@contextmanager
def _gunicorn(folder: Path, env: dict[str, str], workers: int, threads: int) -> Iterator[str]:
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads)]
    # Keep idle connections open longer than a reader's pause (gunicorn's default is 2 s).
    command += ["--keep-alive", str(KEEP_ALIVE_SECONDS)]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "120", "dashboards.wsgi:server"]
    log = (folder / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=10) as answer:
                    if answer.status == 200:
                        break
            except OSError as error:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_file = folder / "gunicorn.log"
                    raise RuntimeError(f"gunicorn did not start: see {log_file}") from error
                time.sleep(0.5)
        for _ in range(workers * 3):  # every worker has built its app before we measure
            urllib.request.urlopen(base + "/_dash-layout", timeout=60).read()
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _warm(base: str, weeks: list[str], workers: int) -> float:
    """Every week's deck asked for until each worker has likely built it; the seconds taken.

    A server that has run for a while has every week people page through in its
    caches; a fresh one builds them on first use (about 100-300 ms a week and
    worker here). Gunicorn hands each new connection to whichever worker accepts it
    first, so each week is asked for on `3 × workers` new connections.
    """
    started = time.monotonic()
    host, port = base.removeprefix("http://").split(":")
    probe = http.client.HTTPConnection(host, int(port), timeout=60)
    probe.request("GET", "/_dash-dependencies")
    spec = week_callback(json.loads(probe.getresponse().read()))
    probe.close()
    for week in weeks:
        for _ in range(3 * workers):
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            body = switch_payload(spec, week)
            connection.request(
                "POST", "/_dash-update-component", body, {"Content-Type": "application/json"}
            )
            connection.getresponse().read()
            connection.close()
    return time.monotonic() - started


class NewDays:
    """Appends the demo's next day to its daily and order files: a refresh that changes values.

    The new day repeats the last one's rows (new order ids), so every refresh
    loads rows, recomputes the periods they fall in and commits changed values:
    the served decks must be rebuilt, as after a real morning's load.
    """

    def __init__(self, folder: Path) -> None:
        self.data = folder / "demo" / "data"
        self.site_last = _last_lines(self.data / "site_daily.csv", 1)[0]
        self.day = datetime.fromisoformat(self.site_last.split(",")[0]).date()
        stamp = self.original_day = self.day.isoformat()
        self.orders_last = [
            line for line in _last_lines(self.data / "orders.csv", 5000) if f",{stamp}," in line
        ]
        self.next_id = max(int(line.split(",")[0]) for line in self.orders_last) + 1

    def append(self) -> None:
        # The kept lines carry the last day of the original files: that date is replaced.
        self.day += timedelta(days=1)
        old, new = self.original_day, self.day.isoformat()
        with (self.data / "site_daily.csv").open("a") as site:
            site.write(self.site_last.replace(old, new, 1) + "\n")
        with (self.data / "orders.csv").open("a") as orders:
            for line in self.orders_last:
                rest = line.split(",", 1)[1].replace(old, new, 1)
                orders.write(f"{self.next_id},{rest}\n")
                self.next_id += 1


def _last_lines(path: Path, count: int) -> list[str]:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 400 * count))
        return handle.read().decode().splitlines()[1:][-count:]


class Refresher(threading.Thread):
    """`wbr refresh` again and again until the deadline (the last one is waited for)."""

    def __init__(
        self, folder: Path, env: dict[str, str], deadline: float, new_days: NewDays | None
    ) -> None:
        super().__init__(daemon=True, name="refresher")
        self.folder, self.env, self.deadline = folder, env, deadline
        self.new_days = new_days
        self.runs: list[dict[str, Any]] = []

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            if self.new_days is not None:
                self.new_days.append()
            started = time.monotonic()
            done = subprocess.run(
                [str(BIN / "wbr"), "refresh"],
                cwd=self.folder,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            self.runs.append(
                {
                    "seconds": round(time.monotonic() - started, 1),
                    "exit": done.returncode,
                    "error": done.stderr.strip()[-300:] if done.returncode else None,
                }
            )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def _summary(results: Results, seconds: float) -> dict[str, Any]:
    kinds: dict[str, list[float]] = {}
    for sample in results.samples:
        kinds.setdefault(sample.kind, []).append(sample.seconds * 1000)
    everything = [s.seconds * 1000 for s in results.samples]

    def stats(values: list[float]) -> dict[str, float]:
        return {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 1) if values else float("nan"),
            "p95_ms": round(_percentile(values, 0.95), 1),
            "p99_ms": round(_percentile(values, 0.99), 1),
            "max_ms": round(max(values), 1) if values else float("nan"),
        }

    return {
        "seconds": round(seconds, 1),
        "requests_per_second": round(len(everything) / seconds, 1),
        "all": stats(everything),
        "by_kind": {kind: stats(values) for kind, values in sorted(kinds.items())},
        "errors": len(results.errors),
        "first_errors": results.errors[:10],
    }


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"wbr-load-{store}-"))
    try:
        shutil.copy(ROOT / "metrics.yaml", folder / "metrics.yaml")
        registry = folder / "metrics.yaml"
        with _postgres_schema() if store == "postgres" else _nothing() as url:
            env = _env(url, registry)
            print(f"[{store}] building the demo store in {folder} …", flush=True)
            subprocess.run(
                [str(BIN / "wbr"), "demo", "--no-serve"],
                cwd=folder,
                env=env,
                check=True,
                capture_output=True,
            )
            weeks = _weeks(env, registry)
            with _gunicorn(folder, env, args.workers, args.threads) as base:
                warm_up = 0.0 if args.cold else _warm(base, weeks, args.workers)
                print(
                    f"[{store}] {args.viewers} viewers for {args.seconds} s at {base}", flush=True
                )
                started = time.monotonic()
                deadline = started + args.seconds
                new_days = NewDays(folder) if args.refresh == "new-day" else None
                refresher = Refresher(folder, env, deadline, new_days)
                if args.refresh != "none":
                    refresher.start()
                results = Results()
                viewers = [
                    Viewer(base, weeks, deadline, results, seed, args.think_seconds)
                    for seed in range(args.viewers)
                ]
                for viewer in viewers:
                    viewer.start()
                for viewer in viewers:
                    viewer.join()
                elapsed = time.monotonic() - started
                if refresher.is_alive():
                    refresher.join(timeout=600)
        summary = _summary(results, elapsed)
        summary.update(store=store, viewers=args.viewers, workers=args.workers)
        summary.update(threads=args.threads, refreshes=refresher.runs)
        summary.update(think_seconds=args.think_seconds, refresh=args.refresh)
        summary.update(warm_up_seconds=round(warm_up, 1), cold=args.cold)
        return summary
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _print(summary: dict[str, Any]) -> None:
    print(
        f"\n{summary['store']}: {summary['viewers']} viewers, gunicorn {summary['workers']} "
        f"workers x {summary['threads']} threads, think {summary['think_seconds']} s, "
        f"refresh {summary['refresh']}, "
        f"{'cold' if summary['cold'] else 'warmed in ' + str(summary['warm_up_seconds']) + ' s'}, "
        f"{summary['seconds']} s: "
        f"{summary['requests_per_second']} requests/s, {summary['errors']} errors"
    )
    print("| request | count | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = [("all", summary["all"]), *summary["by_kind"].items()]
    for kind, s in rows:
        print(
            f"| {kind} | {s['requests']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} "
            f"| {s['max_ms']} |"
        )
    refreshes = summary["refreshes"]
    ok = sum(1 for r in refreshes if r["exit"] == 0)
    print(f"refreshes meanwhile: {len(refreshes)} ({ok} succeeded): {refreshes}")
    verdict = (
        "met" if summary["all"]["p95_ms"] < TARGET_P95_MS and not summary["errors"] else "MISSED"
    )
    print(f"target p95 < {TARGET_P95_MS} ms with zero errors: {verdict}")
    for error in summary["first_errors"]:
        print(f"  error: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stores", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--refresh",
        choices=["same", "new-day", "none"],
        default="same",
        help="beside the load, `wbr refresh` back to back on the same files (same: it "
        "finds nothing new), with the next day appended before each (new-day: every "
        "refresh commits changed values), or no refresh (none)",
    )
    parser.add_argument("--no-refresh", action="store_true", help="the same as --refresh none")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="measure from a fresh server (default: every week's deck is asked for first, "
        "as on a server that has run for a while)",
    )
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=0.0,
        help="mean pause before each week switch (0: back to back, the server's ceiling)",
    )
    args = parser.parse_args()
    if args.no_refresh:
        args.refresh = "none"
    summaries = []
    for store in args.stores:
        summary = run_store(store, args)
        _print(summary)
        summaries.append(summary)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"load-{stamp}.json").write_text(json.dumps(summaries, indent=2))
    return 0 if all(not s["errors"] for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
