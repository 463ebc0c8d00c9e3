"""kill -9 of `wbr compute`, `wbr detect` and `wbr refresh` at random points: the store
is as it was before the command or as it is after it, never in between, and the next
run finishes the job (the ingest ones: test_ingest_kill.py).

One project on the embedded store (SQLite app store, DuckDB raw store) is prepared
with work to do; for each kill point a copy of it runs the real command in a child
process, which is killed with SIGKILL: at a random moment of its lifetime, or as soon
as its run is recorded in the store (mid-work). A reference copy runs to the end and
gives the "after" state. Times and flags' run ids are not part of a state.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import small_project as shop
from web_support import OUTAGE_WEEK

SEED = 14
RANDOM_KILLS = 2  # at a random moment of the child's life
# Tables and the columns that make up a state (not times, not run ids).
STATE = {
    "metric_values": "metric, grain, period_start, period_end, value, days_present, complete",
    "anomaly_flags": "metric, week_ending, detector, status, actual, expected, severity",
}
# The run table each command records its work in: the child is mid-work once its row is.
RUN_TABLE = {"compute": "compute_runs", "detect": "detection_runs", "refresh": "scheduled_runs"}
CUT_DAYS = 21  # the "before" data stops three weeks earlier


def _write_data(folder: Path, cut: bool) -> None:
    traffic = shop.traffic_frame()
    traffic.loc[traffic["day"].isin(OUTAGE_WEEK), "clicks"] = 6  # a real flag to find
    orders = shop.orders_frame()
    if cut:
        last = shop.LAST_DAY - timedelta(days=CUT_DAYS)
        traffic = traffic[traffic["day"] <= last]
        orders = orders[orders["order_date"] <= last]
    (folder / "data").mkdir(parents=True, exist_ok=True)
    traffic.to_csv(folder / "data" / "traffic.csv", index=False)
    orders.to_csv(folder / "data" / "orders.csv", index=False)


def _wbr(folder: Path, command: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WBR_")}
    return subprocess.Popen(
        [sys.executable, "-m", "wbr.cli", command, "--registry", str(folder / "metrics.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _run(folder: Path, command: str) -> float:
    started = time.monotonic()
    child = _wbr(folder, command)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, f"wbr {command}: {out}\n{err}"
    return time.monotonic() - started


def state(folder: Path) -> dict[str, Any]:
    """What the command changes: metric values, flags and the raw rows."""
    found: dict[str, Any] = {}
    with sqlite3.connect(folder / ".wbr" / "wbr.db") as app:
        for table, columns in STATE.items():
            found[table] = sorted(app.execute(f"SELECT {columns} FROM {table}").fetchall())
    raw = duckdb.connect(str(folder / ".wbr" / "raw.duckdb"))
    try:
        for (table,) in raw.execute("SELECT table_name FROM information_schema.tables").fetchall():
            if table.startswith("raw_") and "__" not in table:
                found[table] = sorted(map(repr, raw.execute(f'SELECT * FROM "{table}"').fetchall()))
    finally:
        raw.close()
    return found


def _runs(folder: Path, table: str) -> int:
    with sqlite3.connect(folder / ".wbr" / "wbr.db") as app:
        return int(app.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@dataclass(frozen=True)
class Prepared:
    before: Path  # a project with work for the command to do
    before_state: dict[str, Any]
    after_state: dict[str, Any]
    duration: float  # of the reference run, start to exit


def _prepare(root: Path, command: str) -> Prepared:
    """A project one command away from new values: refreshed on the cut data, then
    given the full data (and, for detect, computed)."""
    before = root / "before"
    shop.write_project(before)
    _write_data(before, cut=True)
    _run(before, "refresh")
    _write_data(before, cut=False)
    if command in ("compute", "detect"):
        _run(before, "ingest")
    if command == "detect":
        _run(before, "compute")
    reference = root / "reference"
    shutil.copytree(before, reference)
    duration = _run(reference, command)
    prepared = Prepared(before, state(before), state(reference), duration)
    assert prepared.before_state != prepared.after_state, "the command must have work to do"
    return prepared


def _kill_points(duration: float) -> Iterator[tuple[str, float | None]]:
    """(name, seconds after start) or (name, None): kill once the run is recorded."""
    rng = random.Random(SEED)
    yield "as its run is recorded", None
    for n in range(RANDOM_KILLS):
        # Mostly past the imports, which take the first part of a command's life.
        yield f"random #{n + 1}", rng.uniform(0.3, 1.0) * duration


def _kill(child: subprocess.Popen[str], folder: Path, table: str, at: float | None) -> None:
    if at is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=at)
    else:
        runs_before = _runs(folder, table)
        while child.poll() is None and _runs(folder, table) == runs_before:
            time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.communicate()


@pytest.mark.parametrize("command", ["compute", "detect", "refresh"])
def test_kill_9_leaves_before_or_after_and_the_next_run_finishes(
    command: str, tmp_path: Path
) -> None:
    prepared = _prepare(tmp_path, command)
    outcomes = []
    for name, at in _kill_points(prepared.duration):
        trial = tmp_path / f"trial-{len(outcomes)}"
        shutil.copytree(prepared.before, trial)
        _kill(_wbr(trial, command), trial, RUN_TABLE[command], at)

        killed = state(trial)
        # Each part is before or after as a whole: a refresh commits its load, values and
        # flags one after the other, so a kill between them leaves the earlier ones done.
        for part, rows in killed.items():
            assert rows in (prepared.before_state[part], prepared.after_state[part]), (
                f"wbr {command} killed {name}: {part} is neither before nor after"
            )
        outcome = {
            prepared.before_state == killed: "before",
            prepared.after_state == killed: "after",
        }
        outcomes.append(f"{name}: {outcome.get(True, 'partly done, each part before or after')}")

        _run(trial, command)  # the next run finishes the job
        assert state(trial) == prepared.after_state, f"wbr {command} after a kill {name}"
    print(f"wbr {command}: " + "; ".join(outcomes))
