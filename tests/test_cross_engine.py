"""The same metrics.yaml computed on DuckDB, PostgreSQL and Apache Spark stores the
same values: the bundled demo (every aggregation class, filters, targets) and the
nine scenarios of the reference app's conformance suite.

Spark is real: a standalone master, two worker processes and a Spark Connect
server (the `spark_url` fixture, once per session). The rows stay in Spark as
Parquet files (written from the DuckDB run's raw tables, as a lake would hold
them) behind `kind: spark` sources; only the aggregates come back.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from cross_engine_support import (
    Key,
    Row,
    deck_charts,
    differences,
    run_duckdb,
    run_pipeline,
    same_data,
    spark_project,
)

from wbr.demo.generate import generate_demo_data
from wbr.demo.story import END_DATE
from wbr.importers.wbr_app import import_wbr_app
from wbr.registry.loader import load_registry
from wbr.store.schema import load_runs

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).parent / "conformance" / "wbr_app"
OLDER_WEEK = END_DATE - timedelta(weeks=6)
SPLIT_DAY = "2026-10-01"  # the incremental test's first load ends the day before
SCENARIO_NAMES = sorted(
    (folder.name for folder in SCENARIOS.glob("scenario_*")), key=lambda n: int(n.split("_")[1])
)


def _three_engines(registry_file: Path, workdir: Path, postgres_url: str, spark_url: str) -> None:
    parquet = workdir / "lake"
    on_duckdb = run_duckdb(registry_file, workdir / "duckdb", parquet)
    on_postgres = run_pipeline(registry_file, postgres_url, postgres_url)
    spark_file = spark_project(registry_file, parquet, workdir / "spark")
    on_spark = run_pipeline(spark_file, f"sqlite:///{workdir / 'spark' / 'app.db'}", spark_url)
    assert on_duckdb, "nothing was computed"
    assert differences(on_duckdb, on_postgres) == []
    assert differences(on_duckdb, on_spark) == []


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate_demo_data(folder / "demo" / "data")
    shutil.copyfile(REPO_ROOT / "metrics.yaml", folder / "metrics.yaml")
    return folder / "metrics.yaml"


@pytest.fixture(scope="module")
def demo_on_duckdb(
    demo_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[Key, Row], Path]:
    """The demo's values on DuckDB, and the folder of its raw tables as Parquet."""
    workdir = tmp_path_factory.mktemp("demo_duckdb")
    return run_duckdb(demo_project, workdir, workdir / "lake"), workdir / "lake"


def test_the_demo_is_the_same_on_duckdb_postgresql_and_spark(
    demo_project: Path,
    demo_on_duckdb: tuple[dict[Key, Row], Path],
    tmp_path: Path,
    postgres_schema_url: str,
    spark_url: str,
) -> None:
    on_duckdb, lake = demo_on_duckdb
    on_postgres = run_pipeline(demo_project, postgres_schema_url, postgres_schema_url)
    spark_file = spark_project(demo_project, lake, tmp_path / "spark")
    spark_app = f"sqlite:///{tmp_path / 'app.db'}"
    on_spark = run_pipeline(spark_file, spark_app, spark_url)
    assert len(on_duckdb) > 10_000  # 50-odd metrics over three years of periods
    assert differences(on_duckdb, on_postgres) == []
    assert differences(on_duckdb, on_spark) == []
    # An older week's deck: its to-date medians are computed on demand from raw rows.
    duckdb_dir = lake.parent
    charts = deck_charts(
        demo_project,
        f"sqlite:///{duckdb_dir / 'app.db'}",
        f"duckdb:///{duckdb_dir / 'raw.duckdb'}",
        OLDER_WEEK,
    )
    assert same_data(charts, deck_charts(spark_file, spark_app, spark_url, OLDER_WEEK))


def test_an_incremental_refresh_on_spark_equals_a_full_computation(
    demo_project: Path,
    demo_on_duckdb: tuple[dict[Key, Row], Path],
    tmp_path: Path,
    spark_url: str,
) -> None:
    """New days land in the lake as new files; `wbr ingest` records the window from the
    previous newest date (lookback 0) and `wbr compute` rereads only those days."""
    on_duckdb, lake = demo_on_duckdb
    registry = load_registry(demo_project)
    later = tmp_path / "later"
    for name, source in registry.sources.items():
        (tmp_path / "lake" / name).mkdir(parents=True)
        (later / name).mkdir(parents=True)
        everything = lake / name / "part-0.parquet"
        column = source.date_column
        for target, condition in (
            (tmp_path / "lake" / name / "part-0.parquet", f"{column} < DATE '{SPLIT_DAY}'"),
            (later / name / "part-1.parquet", f"{column} >= DATE '{SPLIT_DAY}'"),
        ):
            duckdb.sql(
                f"COPY (SELECT * FROM '{everything}' WHERE {condition}) TO '{target}' "
                "(FORMAT parquet)"
            )
    spark_file = spark_project(demo_project, tmp_path / "lake", tmp_path / "spark", True)
    app_url = f"sqlite:///{tmp_path / 'app.db'}"
    run_pipeline(spark_file, app_url, spark_url)
    for name in registry.sources:
        shutil.move(later / name / "part-1.parquet", tmp_path / "lake" / name / "part-1.parquet")
    after = run_pipeline(spark_file, app_url, spark_url)
    engine = sa.create_engine(app_url)
    with engine.connect() as connection:
        modes = connection.execute(
            sa.select(load_runs.c.mode, load_runs.c.window_start).order_by(load_runs.c.id)
        ).all()
    engine.dispose()
    sources = len(registry.sources)
    assert [mode for mode, _ in modes] == ["full"] * sources + ["incremental"] * sources
    assert all(start is not None and start < SPLIT_DAY for _, start in modes[sources:])
    # A full computation stores medians for the latest week's to-date periods only
    # (older ones are computed on demand); a refresh keeps the previous latest week's,
    # which are still right. Everything else is exactly what a full computation stores.
    kept = set(after) - set(on_duckdb)
    assert all(grain in ("mtd", "qtd", "ytd") for _, grain, _, _ in kept), sorted(kept)
    assert differences(on_duckdb, {key: after[key] for key in after if key not in kept}) == []


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
def test_conformance_scenarios_are_the_same_on_every_engine(
    scenario: str, tmp_path: Path, postgres_schema_url: str, spark_url: str
) -> None:
    folder = SCENARIOS / scenario
    data = tmp_path / "data" / "original.csv"
    data.parent.mkdir(parents=True)
    shutil.copyfile(folder / "original.csv", data)
    registry_file = tmp_path / "metrics.yaml"
    result = import_wbr_app(folder / "config.yaml", data, registry_file)
    assert not [p for p in result.problems if p.level == "error"], result.problems
    _three_engines(registry_file, tmp_path, postgres_schema_url, spark_url)
