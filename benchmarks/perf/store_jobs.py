"""The jobs of the store comparison (stores.py), each run in a process of its own.

- `load`: the orders CSV into `raw_orders` by the store's fastest path
  (SQLite: executemany of pandas chunks, as wbr does; PostgreSQL: COPY of the
  file; DuckDB: read_csv inside the database), then an index on the date.
- `analytics`: a weekly GROUP BY with five sums and a count distinct, written
  by hand; then wbr's own compute SQL through SQLAlchemy (the fused daily
  GROUP BY of every metric, count distinct and percentiles per period).
- `writer` / `reader`: many single-row commits to annotation and flag tables
  while another process reads them, as owners annotate while leaders read.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from floor import DIALECTS

from wbr.store import create_store_engine

CSV_CHUNK_ROWS = 200_000
ORDERS = sa.Table(
    "raw_orders",
    sa.MetaData(),
    sa.Column("order_id", sa.BigInteger),
    sa.Column("order_date", sa.Date),
    sa.Column("customer_id", sa.BigInteger),
    sa.Column("amount", sa.Float),
    sa.Column("units", sa.BigInteger),
    sa.Column("discount", sa.Float),
    sa.Column("delivery_days", sa.Float),
    sa.Column("is_return", sa.BigInteger),
    sa.Column("is_prime", sa.BigInteger),
    sa.Column("region", sa.Text),
    sa.Column("category", sa.Text),
    sa.Column("channel", sa.Text),
)
APP = sa.MetaData()
# An autoincrement key through a Sequence: DuckDB has no SERIAL (wbr's own tables use one).
ANNOTATIONS = sa.Table(
    "bench_annotations",
    APP,
    sa.Column("id", sa.Integer, sa.Sequence("bench_annotations_id"), primary_key=True),
    sa.Column("metric", sa.String(200), nullable=False),
    sa.Column("week_ending", sa.Date, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
FLAGS = sa.Table(
    "bench_flags",
    APP,
    sa.Column("metric", sa.String(200), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
FLAGGED_METRICS = 50


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def load(url: str, csv_path: Path) -> dict[str, Any]:
    engine = create_store_engine(url)
    start = time.perf_counter()
    with engine.begin() as conn:
        ORDERS.drop(conn, checkfirst=True)
        ORDERS.create(conn)
        kind = conn.dialect.name
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if kind == "duckdb":
            path = str(csv_path).replace("'", "''")
            conn.exec_driver_sql(f"INSERT INTO raw_orders SELECT * FROM read_csv('{path}')")
        elif kind == "postgresql":
            copy = "COPY raw_orders FROM STDIN WITH (FORMAT csv, HEADER true)"
            with (
                raw.cursor() as cursor,  # type: ignore[attr-defined]
                csv_path.open("rb") as handle,
                cursor.copy(copy) as stream,
            ):
                while block := handle.read(1 << 20):
                    stream.write(block)
        else:
            marks = ", ".join("?" * len(ORDERS.columns))
            cursor = raw.cursor()
            for chunk in pd.read_csv(csv_path, chunksize=CSV_CHUNK_ROWS):
                rows = chunk.itertuples(index=False, name=None)
                cursor.executemany(f"INSERT INTO raw_orders VALUES ({marks})", list(rows))
            cursor.close()
        loaded = time.perf_counter() - start
        sa.Index("ix_raw_orders_date", ORDERS.c.order_date).create(conn)
    total = time.perf_counter() - start
    engine.dispose()
    return {"load_seconds": round(loaded, 2), "with_index_seconds": round(total, 2)}


def generic_insert_rate(url: str, csv_path: Path, rows: int = 20_000) -> dict[str, Any]:
    """Rows/s of a plain SQLAlchemy executemany (the path wbr uses on other databases)."""
    engine = create_store_engine(url)
    frame = pd.read_csv(csv_path, nrows=rows, parse_dates=["order_date"])
    frame["order_date"] = frame["order_date"].dt.date
    records = frame.to_dict("records")
    target = ORDERS.to_metadata(sa.MetaData(), name="raw_orders_generic")
    with engine.begin() as conn:
        target.drop(conn, checkfirst=True)
        target.create(conn)
        seconds, _ = timed(lambda: conn.execute(target.insert(), records))
        target.drop(conn)
    engine.dispose()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def _best_of_two(work: Callable[[], Any]) -> float:
    return round(min(timed(work)[0] for _ in range(2)), 3)


def _wbr_sql(conn: sa.Connection, registry_path: Path) -> dict[str, Any]:
    """wbr's compute SQL on this store, through SQLAlchemy, as wbr runs it."""
    from wbr import calendar as cal
    from wbr.compute import daily, holistic, percentiles
    from wbr.registry.loader import load_registry

    registry = load_registry(registry_path)
    readers = [m for m in registry.metrics if m.reads_source]
    periods = sorted(
        {cal.week(d) for d in pd.date_range("2023-01-07", "2025-12-27", freq="7D").date}
        | {cal.month(y, m) for y in (2023, 2024, 2025) for m in range(1, 13)}
    )
    found: dict[str, Any] = {}
    jobs: dict[str, Callable[[], Any]] = {
        "wbr daily GROUP BY (all metrics)": lambda: daily.daily_series(
            conn, "raw_orders", "order_date", readers
        ),
        "wbr count_distinct (weeks+months)": lambda: holistic.count_distinct(
            conn, "raw_orders", "order_date", registry.metric("customers"), periods
        ),
        "wbr median (weeks+months)": lambda: percentiles.percentiles(
            conn, "raw_orders", "order_date", registry.metric("median_order_value"), periods
        ),
    }
    for name, job in jobs.items():
        try:
            found[name] = round(timed(job)[0], 3)
        except Exception as error:
            conn.rollback()
            found[name] = f"error: {type(error).__name__}: {str(error).splitlines()[0][:200]}"
            if name.startswith("wbr daily"):
                # Is it only the reflection (check_columns) that fails? Try without it.
                original = daily.check_columns
                daily.check_columns = lambda *args, **kwargs: None
                try:
                    found[name + ", reflection skipped"] = round(timed(job)[0], 3)
                except Exception as again:
                    found[name + ", reflection skipped"] = f"error: {again}".splitlines()[0][:200]
                finally:
                    daily.check_columns = original
    return found


def analytics(url: str, registry_path: Path) -> dict[str, Any]:
    engine = create_store_engine(url)
    dialect = DIALECTS[engine.dialect.name]
    week = dialect.week.format(d="order_date")
    weekly = sa.text(
        f"SELECT {week} AS wk, SUM(amount), SUM(units), SUM(discount), SUM(is_return), "
        "SUM(is_prime), COUNT(DISTINCT customer_id) FROM raw_orders GROUP BY 1"
    )
    sums_only = sa.text(
        f"SELECT {week} AS wk, SUM(amount), SUM(units), SUM(discount), SUM(is_return), "
        "SUM(is_prime) FROM raw_orders GROUP BY 1"
    )
    result: dict[str, Any] = {}
    with engine.connect() as conn:
        result["weekly 5 sums"] = _best_of_two(lambda: conn.execute(sums_only).all())
        result["weekly 5 sums + count distinct"] = _best_of_two(lambda: conn.execute(weekly).all())
        result.update(_wbr_sql(conn, registry_path))
    engine.dispose()
    return result


def writer(url: str, writes: int, out: Any, go: Any) -> None:
    """`writes` single-row transactions: new annotations and flag status changes."""
    latencies, errors = [], []
    engine = create_store_engine(url)
    go.wait()
    start = time.perf_counter()
    for i in range(writes):
        began = time.perf_counter()
        try:
            with engine.begin() as conn:
                if i % 2 == 0:
                    conn.execute(
                        ANNOTATIONS.insert().values(
                            metric=f"metric_{i % FLAGGED_METRICS}",
                            week_ending=pd.Timestamp("2025-12-27").date(),
                            author="owner@example.com",
                            body=f"Root cause for week {i}: promotion ended early.",
                            created_at=pd.Timestamp.now().to_pydatetime(),
                        )
                    )
                else:
                    conn.execute(
                        FLAGS.update()
                        .where(FLAGS.c.metric == f"metric_{i % FLAGGED_METRICS}")
                        .values(status="explained", updated_at=pd.Timestamp.now().to_pydatetime())
                    )
        except Exception as error:
            errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
        latencies.append(time.perf_counter() - began)
    seconds = time.perf_counter() - start
    engine.dispose()
    out.put({"role": "writer", "seconds": seconds, "latencies": latencies, "errors": errors})


def reader(url: str, out: Any, go: Any, stop: Any) -> None:
    """Read the latest annotations and open flags in a loop until told to stop."""
    latencies, errors = [], []
    try:
        engine = create_store_engine(url)
        query = (
            sa.select(ANNOTATIONS.c.body)
            .where(ANNOTATIONS.c.metric == "metric_7")
            .order_by(ANNOTATIONS.c.id.desc())
            .limit(20)
        )
        count = sa.select(sa.func.count()).select_from(FLAGS).where(FLAGS.c.status == "open")
        with engine.connect() as conn:
            conn.execute(count).scalar()
        go.wait()
        while not stop.is_set():
            began = time.perf_counter()
            try:
                with engine.connect() as conn:
                    conn.execute(query).all()
                    conn.execute(count).scalar()
            except Exception as error:
                errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
                time.sleep(0.01)
            latencies.append(time.perf_counter() - began)
        engine.dispose()
    except Exception as error:  # e.g. DuckDB: another process holds the file
        errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
        go.wait()
    out.put({"role": "reader", "latencies": latencies, "errors": errors})


def summary(latencies: list[float]) -> dict[str, float | int | None]:
    if not latencies:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None, "over_1s": 0}
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "over_1s": sum(1 for latency in ordered if latency > 1.0),
    }
