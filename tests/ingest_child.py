"""Run one ingest in its own process, for the tests that kill a load mid-way.

Usage: python ingest_child.py REGISTRY STORE_URL SOURCE PAUSE_AFTER_ROWS [--full]

With PAUSE_AFTER_ROWS > 0 the load prints PAUSED once at least that many rows
are written to the store (inside the load's open transaction) and then waits to
be killed; with 0 it runs to the end. Not part of wbr: only the tests use it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wbr.ingest import LoadReport, ingest
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, migrate

PAUSED = "PAUSED"


class PauseMidLoad:
    def __init__(self, after_rows: int) -> None:
        self.after_rows = after_rows
        self.rows = 0

    def started(self, source: str) -> None:
        pass

    def advanced(self, source: str, rows: int, done: float | None) -> None:
        self.rows += rows
        if self.after_rows and self.rows >= self.after_rows:
            print(PAUSED, flush=True)
            time.sleep(600)  # the test kills us here

    def finished(self, source: str, report: LoadReport | None) -> None:
        pass


def main(argv: list[str]) -> int:
    registry_file, store_url, source, pause = argv[1:5]
    registry = load_registry(Path(registry_file))
    engine = create_store_engine(store_url)
    migrate(engine)
    reports = ingest(
        engine,
        registry,
        Path(registry_file).parent,
        [source],
        full="--full" in argv,
        observer=PauseMidLoad(int(pause)),
    )
    print(f"loaded {reports[0].rows}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
