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
from pathlib import Path

import pytest
from cross_engine_support import differences, run_duckdb, run_pipeline, spark_project

from wbr.demo.generate import generate_demo_data
from wbr.importers.wbr_app import import_wbr_app

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).parent / "conformance" / "wbr_app"
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


def test_the_demo_is_the_same_on_duckdb_postgresql_and_spark(
    demo_project: Path, tmp_path: Path, postgres_schema_url: str, spark_url: str
) -> None:
    _three_engines(demo_project, tmp_path, postgres_schema_url, spark_url)


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
