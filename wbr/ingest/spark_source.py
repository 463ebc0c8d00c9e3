"""`wbr ingest` for a `spark` source: point the raw table at rows that stay in Spark.

No row moves. The raw table `raw_<table>` becomes a view in Spark over the
source's catalog table or Parquet files, with the date column cast to DATE
(the compute layer groups by it), and the load history records the newest
date and the row count, as for any load. With `incremental: {lookback: N}`
the run says that only days from the previous newest date minus N days may
have changed, so `wbr compute` rereads just those days; without it every
ingest is a change to the whole table.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, desc, select
from sqlalchemy.exc import SQLAlchemyError

from wbr.errors import LoadError
from wbr.ingest.report import FULL, INCREMENTAL, LoadReport
from wbr.ingest.runs import SUCCEEDED, fail_run, finish_run, now, start_run
from wbr.registry.sources import SparkSource
from wbr.store import raw
from wbr.store.dialect import is_spark, quote_identifier
from wbr.store.engine import describe_url
from wbr.store.schema import load_runs


def register_spark_source(
    engine: Engine,
    name: str,
    source: SparkSource,
    base_dir: Path,
    raw_store: Engine,
    full: bool = False,
) -> LoadReport:
    """(Re)create `raw_<table>` as a view in Spark and record the run."""
    table = raw.raw_table_name(source.table_name(name))
    if not is_spark(raw_store):
        raise LoadError(
            f"source {name!r} is of kind `spark`, but the raw store is "
            f"{describe_url(raw_store.url)}; set WBR_RAW_DATABASE_URL to the Spark Connect "
            "server (spark+connect://HOST:15002), see docs/spark.md"
        )
    started_at = now()
    run_id = start_run(engine, name, table, started_at)
    try:
        with raw_store.connect() as connection:
            _create_view(connection, name, source, base_dir, table)
            quoted = quote_identifier(connection, table)
            day = quote_identifier(connection, source.date_column)
            newest, rows = connection.exec_driver_sql(
                f"SELECT max({day}), count(*) FROM {quoted}"
            ).one()
    except (LoadError, SQLAlchemyError) as exc:
        message = f"source {name!r} ({source.describe()}): {_reason(exc)}"
        fail_run(engine, run_id, message)
        raise LoadError(message) from None
    mode, window_start = _window(engine, name, source, full)
    watermark = newest.isoformat() if isinstance(newest, date) else None
    with engine.begin() as connection:
        finish_run(
            connection,
            run_id,
            {
                "status": SUCCEEDED,
                "rows_loaded": int(rows),
                "rows_read": int(rows),
                "rows_rejected": 0,
                "mode": mode,
                "window_start": window_start,
                "watermark": watermark,
            },
        )
    return LoadReport(
        source=name,
        table=table,
        rows=int(rows),
        started_at=started_at,
        finished_at=now(),
        mode=mode,
        rows_read=int(rows),
        watermark=watermark,
        window_start=window_start,
    )


def spark_relation(connection: Connection, source: SparkSource, base_dir: Path) -> str:
    """The source's rows as Spark SQL names them: a catalog table or parquet.`path`."""
    if source.spark_table is not None:
        parts = source.spark_table.split(".")
        return ".".join(quote_identifier(connection, part) for part in parts)
    assert source.path is not None
    path = Path(source.path)
    location = source.path if "://" in source.path else str((base_dir / path).resolve())
    if "`" in location:
        raise LoadError(f"the path {location!r} holds a backtick, which Spark SQL cannot quote")
    return f"parquet.`{location}`"


def _create_view(
    connection: Connection, name: str, source: SparkSource, base_dir: Path, table: str
) -> None:
    relation = spark_relation(connection, source, base_dir)
    columns = list(connection.exec_driver_sql(f"SELECT * FROM {relation} LIMIT 0").keys())
    if source.date_column not in columns:
        raise LoadError(
            f"{relation} has no column `{source.date_column}` (the source's `date_column`); "
            f"its columns are: {', '.join(columns)}"
        )
    selects = []
    for column in columns:
        quoted = quote_identifier(connection, column)
        selects.append(
            f"CAST({quoted} AS DATE) AS {quoted}" if column == source.date_column else quoted
        )
    connection.exec_driver_sql(
        f"CREATE OR REPLACE VIEW {quote_identifier(connection, table)} AS "
        f"SELECT {', '.join(selects)} FROM {relation}"
    )


def _window(engine: Engine, name: str, source: SparkSource, full: bool) -> tuple[str, str | None]:
    """Full, or incremental from the previous run's newest date minus the lookback."""
    if full or source.incremental is None:
        return FULL, None
    with engine.connect() as connection:
        previous = connection.execute(
            select(load_runs.c.watermark)
            .where(load_runs.c.source == name, load_runs.c.status == SUCCEEDED)
            .order_by(desc(load_runs.c.id))
            .limit(1)
        ).scalar()
    if not previous:
        return FULL, None
    start = date.fromisoformat(str(previous)[:10]) - timedelta(days=source.incremental.lookback)
    return INCREMENTAL, start.isoformat()


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0]
