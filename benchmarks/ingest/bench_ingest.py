"""Benchmark: load N generated order rows from CSV and from PostgreSQL into the default store.

Each measurement runs in a fresh child process, which reports rows per second and
its own peak resident memory (ru_maxrss), so sizes can be compared: memory stays
flat as rows grow because every source is streamed in bounded batches.

    .venv/bin/python benchmarks/ingest/bench_ingest.py                 # 5 M rows (and 1 M)
    .venv/bin/python benchmarks/ingest/bench_ingest.py --rows 200000   # a quick run

Needs PostgreSQL at WBR_BENCH_POSTGRES_URL (default: the test server on
127.0.0.1:5432, database `test`) for the PostgreSQL source; skipped when absent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from wbr.ingest import ingest
from wbr.registry.models import Deck, Registry, Section
from wbr.registry.sources import CsvSource, SqlSource
from wbr.store import create_store_engine, migrate

DEFAULT_ROWS = 5_000_000
POSTGRES_URL = os.environ.get(
    "WBR_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GENERATE_CHUNK = 500_000
DAYS = 3 * 365
REGIONS = np.array(["north", "south", "east", "west", "online"])


def generate_csv(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` orders over three years: date, order id, customer, region, units, amount."""
    rng = np.random.default_rng(seed)
    first = np.datetime64("2023-01-01")
    with path.open("w", encoding="utf-8") as handle:
        handle.write("order_date,order_id,customer_id,region,units,amount\n")
        for start in range(0, rows, GENERATE_CHUNK):
            size = min(GENERATE_CHUNK, rows - start)
            frame = pd.DataFrame(
                {
                    "order_date": first + np.sort(rng.integers(0, DAYS, size)),
                    "order_id": np.arange(start + 1, start + size + 1),
                    "customer_id": rng.integers(1, 500_000, size),
                    "region": REGIONS[rng.integers(0, len(REGIONS), size)],
                    "units": rng.integers(1, 6, size),
                    "amount": np.round(rng.gamma(2.0, 20.0, size), 2),
                }
            )
            frame.to_csv(handle, header=False, index=False)


def load_postgres(csv_path: Path, schema: str) -> None:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        connection.execute(
            text(
                f'CREATE TABLE "{schema}".orders (order_date DATE, order_id BIGINT, '
                "customer_id BIGINT, region TEXT, units INTEGER, amount DOUBLE PRECISION)"
            )
        )
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with (
            cursor.copy(f'COPY "{schema}".orders FROM STDIN WITH (FORMAT csv, HEADER)') as copy,
            csv_path.open("rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
    engine.dispose()


def drop_postgres(schema: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


def child(kind: str, source_arg: str, work: Path, insert: str, store_kind: str) -> dict[str, Any]:
    """One load into a fresh store (SQLite, or a PostgreSQL schema); runs in its own process."""
    if insert == "core":  # the insert path before this benchmark: Core executemany of dicts
        import datetime

        from sqlalchemy import Date
        from sqlalchemy import insert as core_insert

        import wbr.store.raw

        def core_bulk_insert(connection: Any, table: Any, rows: Any) -> None:
            names = [column.name for column in table.columns]
            dates = [name for name in names if isinstance(table.c[name].type, Date)]
            batch = [dict(zip(names, row, strict=True)) for row in rows]
            for row in batch:  # the old path handed Core date objects
                for name in dates:
                    row[name] = row[name] and datetime.date.fromisoformat(row[name])
            if batch:
                connection.execute(core_insert(table), batch)

        wbr.store.raw.bulk_insert = core_bulk_insert  # type: ignore[assignment]
    store = work / f"store-{uuid.uuid4().hex[:8]}.db"
    store_schema = f"wbr_bench_store_{uuid.uuid4().hex[:12]}"
    if store_kind == "postgres":
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{store_schema}"'))
        admin.dispose()
        engine = create_store_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{store_schema}")
    else:
        engine = create_store_engine(f"sqlite:///{store}")
    migrate(engine)
    if kind == "csv":
        source: Any = CsvSource(
            kind="csv", path=source_arg, date_column="order_date", table="orders"
        )
    else:
        source = SqlSource(
            kind="sql",
            url=source_arg,
            source_table="orders",
            date_column="order_date",
            table="orders",
        )
    registry = Registry(
        sources={"orders": source},
        metrics=(),
        deck=Deck(sections=(Section(title="All", metrics=("x",)),)),
    )
    started = time.perf_counter()
    (report,) = ingest(engine, registry, work)
    seconds = time.perf_counter() - started
    engine.dispose()
    if store_kind == "postgres":
        drop_postgres(store_schema)
    else:
        store.unlink()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": report.rows, "seconds": seconds, "peak_rss_mib": peak_kib / 1024}


def measure(
    kind: str, source_arg: str, work: Path, insert: str = "fast", store: str = "sqlite"
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, source_arg, str(work), insert, store]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--no-before", action="store_true", help="skip the old insert path")
    parser.add_argument(
        "--postgres-store",
        action="store_true",
        help="also load the CSV into a PostgreSQL store (COPY), at the smaller size",
    )
    args = parser.parse_args()
    if args.child:
        kind, source_arg, work, insert, store = args.child
        print(json.dumps(child(kind, source_arg, Path(work), insert, store)))
        return

    sizes = sorted({max(args.rows // 5, 1), args.rows})
    results = []
    with tempfile.TemporaryDirectory(prefix="wbr-bench-") as folder:
        work = Path(folder)
        with_postgres = postgres_available()
        for rows in sizes:
            csv_path = work / f"orders-{rows}.csv"
            generate_csv(csv_path, rows)
            size_mb = csv_path.stat().st_size / 1e6
            cases = [("CSV", "csv", str(csv_path), "fast", "sqlite")]
            if rows == sizes[0] and not args.no_before:
                cases.append(("CSV, old insert path", "csv", str(csv_path), "core", "sqlite"))
            if rows == sizes[0] and args.postgres_store and postgres_available():
                cases.append(("CSV → PostgreSQL store", "csv", str(csv_path), "fast", "postgres"))
                if not args.no_before:
                    old = ("CSV → PostgreSQL store, old insert path", "csv", str(csv_path))
                    cases.append((*old, "core", "postgres"))
            schema = f"wbr_bench_{uuid.uuid4().hex[:12]}"
            if with_postgres:
                load_postgres(csv_path, schema)
                url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
                cases.append(("PostgreSQL", "sql", url, "fast", "sqlite"))
            try:
                for label, kind, source_arg, insert, store in cases:
                    found = measure(kind, source_arg, work, insert, store)
                    results.append((label, rows, size_mb, found))
                    print(
                        f"{label:<40} {rows:>10,} rows  {found['seconds']:7.1f} s  "
                        f"{found['rows'] / found['seconds']:>10,.0f} rows/s  "
                        f"peak RSS {found['peak_rss_mib']:6.0f} MiB",
                        flush=True,
                    )
            finally:
                if with_postgres:
                    drop_postgres(schema)
            csv_path.unlink()
    print("\n| source | rows | CSV size | seconds | rows/s | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, rows, size_mb, found in results:
        print(
            f"| {label} | {rows:,} | {size_mb:.0f} MB | {found['seconds']:.1f} | "
            f"{found['rows'] / found['seconds']:,.0f} | {found['peak_rss_mib']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
