"""Shared fixtures: a store on every supported database.

`store_url` runs a test once on SQLite (a file in tmp_path) and once on
PostgreSQL. Each PostgreSQL test gets a fresh, uniquely named schema, selected
through `search_path`, and dropped afterwards, so tests never see each other's
tables and can run again and again against the same server.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from wbr.store import create_store_engine, describe_url, migrate
from wbr.store.engine import normalize_url

POSTGRES_URL_ENV = "WBR_TEST_POSTGRES_URL"
# In CI an unreachable server fails the run instead of skipping the PostgreSQL tests.
REQUIRE_POSTGRES_ENV = "WBR_REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_SECONDS = 5


def _postgres_base_url() -> URL:
    return normalize_url(os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL)


@functools.cache
def _postgres_unreachable_reason() -> str | None:
    """Why PostgreSQL tests cannot run, or None; asked once per test session."""
    url = _postgres_base_url()
    engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        return (
            f"PostgreSQL at {describe_url(url)} is unreachable ({exc.orig}); set {POSTGRES_URL_ENV}"
        )
    finally:
        engine.dispose()
    return None


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema."""
    reason = _postgres_unreachable_reason()
    if reason and os.environ.get(REQUIRE_POSTGRES_ENV):
        pytest.fail(f"{REQUIRE_POSTGRES_ENV} is set, but {reason}")
    if reason:
        pytest.skip(reason)
    base = _postgres_base_url()
    schema = f"wbr_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # Fail rather than hang if a test leaked a connection holding a lock.
            connection.execute(text("SET lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    """A migrated store, disposed after the test so its schema can be dropped."""
    engine = create_store_engine(store_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["duckdb", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def raw_sql_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind the raw tables' SQL runs on (Spark has its own
    tests), for a test that creates its table and queries it."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_schema_url")
    else:
        url = f"{request.param}:///{tmp_path / 'raw.db'}"
    made = create_store_engine(url)
    yield made
    made.dispose()


@pytest.fixture(scope="session")
def spark_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect URL (`spark+connect://...`) of a local standalone cluster,
    started once for the session and stopped after it (tests/spark_support.py)."""
    from spark_support import start_for_tests

    from wbr.store.spark.local_cluster import LocalSpark

    cluster = start_for_tests(tmp_path_factory.mktemp("spark"))
    assert isinstance(cluster, LocalSpark)
    try:
        yield cluster.url
    finally:
        cluster.stop()
