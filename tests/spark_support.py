"""A real Spark for the tests: a standalone master, two workers and a Spark Connect
server started from the installed `pyspark`, once per test session.

Without pyspark or Java the Spark tests skip, unless WBR_REQUIRE_SPARK is set
(as in CI), where a Spark that cannot start fails them.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REQUIRE_SPARK_ENV = "WBR_REQUIRE_SPARK"
WORKERS = 2


def spark_unavailable_reason() -> str | None:
    from wbr.store.spark.local_cluster import java_available

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not java_available():
        return "no Java on PATH (Spark needs Java 17: apt-get install openjdk-17-jre-headless)"
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get(REQUIRE_SPARK_ENV):
        pytest.fail(f"{REQUIRE_SPARK_ENV} is set, but {reason}")
    pytest.skip(reason)


def start_for_tests(workdir: Path) -> object:
    """The running cluster (a LocalSpark); the caller stops it."""
    from wbr.store.spark.local_cluster import SparkStartError, start_local_spark

    reason = spark_unavailable_reason()
    if reason:
        skip_or_fail(reason)
    try:
        return start_local_spark(workdir, WORKERS)
    except SparkStartError as error:
        skip_or_fail(f"Spark did not start: {error}")
        raise
