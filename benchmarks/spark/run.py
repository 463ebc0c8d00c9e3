"""What computing on Spark costs against DuckDB, on the same rows and metrics.yaml.

    .venv/bin/python benchmarks/perf/generate.py --rows 5000000 --metrics 19 --out bench-data/5m
    .venv/bin/python benchmarks/spark/run.py bench-data/5m [--spark-url spark+connect://...]

Takes a folder written by benchmarks/perf/generate.py (orders.csv and its
metrics.yaml) and measures, each in a fresh process state:

1. the rows as Parquet (DuckDB writes them once: the "lake" both engines read);
2. DuckDB: the Parquet copied into a DuckDB raw table (what `wbr ingest` ends
   with), then `wbr compute --full` on it;
3. Spark: `wbr ingest` of a `kind: spark` source over the same Parquet (no row
   moves) and `wbr compute --full` through Spark Connect; with no --spark-url it
   starts a local standalone cluster (master, two 1-core workers) first and
   reports how long that took.

It checks that both engines stored the same values and prints one JSON line
of seconds. Bounded: nothing is held in memory but the stored values.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the cross-engine test's comparison

from cross_engine_support import differences, stored_values  # noqa: E402

from wbr.compute.run import compute  # noqa: E402
from wbr.ingest import ingest  # noqa: E402
from wbr.store.spark.local_cluster import start_local_spark  # noqa: E402
from wbr.workspace import open_workspace  # noqa: E402


def _spark_registry(folder: Path, lake: Path, out: Path) -> Path:
    yaml = YAML()
    document = yaml.load((folder / "metrics.yaml").read_text(encoding="utf-8"))
    for name, source in list(document["sources"].items()):
        document["sources"][name] = {
            "kind": "spark",
            "path": str(lake),
            "date_column": source["date_column"],
        }
    out.mkdir(parents=True, exist_ok=True)
    with (out / "metrics.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    return out / "metrics.yaml"


def _timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    seconds = round(time.perf_counter() - started, 2)
    print(f"{seconds:8.2f} s", file=sys.stderr, flush=True)  # progress on long runs
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="a folder from benchmarks/perf/generate.py")
    parser.add_argument("--spark-url", default=None, help="an existing Spark Connect server")
    args = parser.parse_args()
    folder: Path = args.folder.resolve()
    work = folder / "spark-bench"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    lake = work / "lake" / "orders"
    lake.mkdir(parents=True)
    seconds: dict[str, float] = {}

    memory = duckdb.connect()
    seconds["csv_to_parquet"], _ = _timed(
        lambda: memory.execute(
            f"COPY (SELECT * FROM read_csv('{folder / 'orders.csv'}')) "
            f"TO '{lake / 'part-0.parquet'}' (FORMAT parquet)"
        )
    )
    rows = memory.execute(f"SELECT count(*) FROM '{lake / 'part-0.parquet'}'").fetchone()
    memory.close()

    raw_file = work / "raw.duckdb"
    source = YAML(typ="safe").load((folder / "metrics.yaml").read_text())["sources"]
    (table,) = [f"raw_{spec.get('table') or name}" for name, spec in source.items()]
    with duckdb.connect(str(raw_file)) as connection:
        seconds["duckdb_load"], _ = _timed(
            lambda: connection.execute(
                f"CREATE TABLE {table} AS SELECT * FROM '{lake / 'part-0.parquet'}'"
            )
        )
    duck = open_workspace(
        folder / "metrics.yaml", f"sqlite:///{work / 'duck.db'}", f"duckdb:///{raw_file}"
    )
    try:
        seconds["duckdb_compute"], _ = _timed(
            lambda: compute(duck.engine, duck.registry, full=True, raw_engine=duck.raw_engine)
        )
        on_duckdb = stored_values(duck)
    finally:
        duck.dispose()

    cluster = None
    url = args.spark_url
    if url is None:
        seconds["spark_start"], cluster = _timed(lambda: start_local_spark(work / "spark"))
        url = cluster.url
    try:
        registry_file = _spark_registry(folder, lake, work / "project")
        spark = open_workspace(registry_file, f"sqlite:///{work / 'spark.db'}", url)
        try:
            seconds["spark_ingest"], _ = _timed(
                lambda: ingest(
                    spark.engine, spark.registry, spark.base_dir, raw_engine=spark.raw_engine
                )
            )
            seconds["spark_compute"], _ = _timed(
                lambda: compute(
                    spark.engine, spark.registry, full=True, raw_engine=spark.raw_engine
                )
            )
            seconds["spark_compute_again"], _ = _timed(
                lambda: compute(
                    spark.engine, spark.registry, full=True, raw_engine=spark.raw_engine
                )
            )
            on_spark = stored_values(spark)
        finally:
            spark.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
    mismatches = differences(on_duckdb, on_spark)
    print(
        json.dumps(
            {
                "rows": int(rows[0]) if rows else 0,
                "metrics": _metric_count(folder),
                "values": len(on_duckdb),
                "same_values": not mismatches,
                # The machine is shared: how busy it was says how to read the seconds.
                "load_average_1m": round(os.getloadavg()[0], 1),
                "seconds": seconds,
            }
        )
    )
    if mismatches:
        raise SystemExit("the engines disagree:\n" + "\n".join(mismatches))


def _metric_count(folder: Path) -> int:
    return len(YAML(typ="safe").load((folder / "metrics.yaml").read_text())["metrics"])


if __name__ == "__main__":
    main()
