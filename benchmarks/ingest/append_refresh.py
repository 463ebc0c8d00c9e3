"""Benchmark: `wbr refresh` of the demo on PostgreSQL after one day is appended.

    .venv/bin/python benchmarks/ingest/append_refresh.py                  # this checkout's wbr
    .venv/bin/python benchmarks/ingest/append_refresh.py --wbr OTHER/.venv/bin/wbr --days 2

Builds the demo (`wbr demo --no-serve`) in a temporary folder with the app and raw
tables in a fresh PostgreSQL schema (WBR_BENCH_POSTGRES_URL, default the test server
on 127.0.0.1:5432, database `test`), then `--days` times: appends the demo's next day
to orders.csv and site_daily.csv (benchmarks/load/run.py's `NewDays`) and times
`wbr refresh` as a whole process, printing its output and each source's last load
run (mode, rows loaded, window start). With `--phases`, `wbr ingest`, `wbr compute`
and `wbr detect` are timed one by one instead. The schema and the folder are removed
after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "load"))

from run import NewDays  # noqa: E402  (benchmarks/load/run.py, on the path just above)

POSTGRES_URL = os.environ.get(
    "WBR_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LAST_RUNS = """
SELECT source, mode, rows_read, rows_loaded, window_start FROM load_runs
WHERE id IN (SELECT max(id) FROM load_runs GROUP BY source) ORDER BY source
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wbr", default=str(Path(sys.executable).parent / "wbr"))
    parser.add_argument("--days", type=int, default=1, help="refreshes, one new day before each")
    parser.add_argument("--phases", action="store_true", help="time ingest, compute, detect")
    args = parser.parse_args()
    schema = f"wbr_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    folder = Path(tempfile.mkdtemp(prefix="wbr-append-refresh-"))
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    env = {**os.environ, "WBR_DATABASE_URL": url}
    try:
        shutil.copy(ROOT / "metrics.yaml", folder / "metrics.yaml")
        started = time.monotonic()
        subprocess.run([args.wbr, "demo", "--no-serve"], cwd=folder, env=env, check=True)
        print(f"demo built in {time.monotonic() - started:.1f} s", flush=True)
        for _ in range(args.days):
            days = NewDays(folder)  # anew each day: it repeats the file's last day
            days.append()
            steps = [["ingest", "--no-progress"], ["compute"], ["detect"]]
            for step in steps if args.phases else [["refresh"]]:
                started = time.monotonic()
                subprocess.run([args.wbr, *step], cwd=folder, env=env, check=True)
                seconds = time.monotonic() - started
                print(f"wbr {step[0]} after appending {days.day}: {seconds:.1f} s", flush=True)
            engine = create_engine(url)
            with engine.connect() as connection:
                for row in connection.execute(text(LAST_RUNS)):
                    print("   ", dict(row._mapping))
            engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
