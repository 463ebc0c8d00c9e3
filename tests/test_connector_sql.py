"""The SQL connector against the real PostgreSQL and MariaDB servers on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from ingest_support import mariadb_url, project, rows, runs
from sqlalchemy import Engine, create_engine, text

from wbr.errors import ConfigError, LoadError
from wbr.ingest import ingest
from wbr.store.engine import normalize_url

__all__ = ["mariadb_url"]  # a fixture used by name below

URL_ENV = "WBR_TEST_SHOP_DB_URL"


@pytest.fixture(
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mariadb"),
    ]
)
def source_db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty source database (its own schema or database), as an engine."""
    fixture = "postgres_schema_url" if request.param == "postgres" else "mariadb_url"
    url: str = request.getfixturevalue(fixture)
    engine = create_engine(normalize_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


def _orders(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, day DATE NOT NULL, "
                "amount DECIMAL(10, 2), note VARCHAR(40))"
            )
        )
        connection.execute(
            text("INSERT INTO orders VALUES (:id, :day, :amount, :note)"),
            [
                {"id": 1, "day": date(2024, 1, 1), "amount": 10.5, "note": "first"},
                {"id": 2, "day": date(2024, 1, 2), "amount": 20, "note": None},
                {"id": 3, "day": date(2024, 1, 3), "amount": 30, "note": "third"},
            ],
        )


def _source(**extra: object) -> dict[str, object]:
    return {"kind": "sql", "url_env": URL_ENV, "date_column": "day", **extra}


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_table_load_change_and_load_again(
    source_db: Engine, store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _orders(source_db)
    monkeypatch.setenv(URL_ENV, _url(source_db))
    source = _source(source_table="orders", key=["id"], incremental={"lookback": 1})
    registry = project(tmp_path, orders=source)

    (first,) = ingest(store_engine, registry, tmp_path)
    assert (first.mode, first.rows) == ("full", 3)
    assert rows(store_engine, "raw_orders") == [
        (1, date(2024, 1, 1), 10.5, "first"),
        (2, date(2024, 1, 2), 20.0, None),
        (3, date(2024, 1, 3), 30.0, "third"),
    ]

    with source_db.begin() as connection:
        connection.execute(text("UPDATE orders SET amount = 25 WHERE id = 2"))  # restated
        connection.execute(text("UPDATE orders SET amount = 99 WHERE id = 1"))  # too old
        connection.execute(text("INSERT INTO orders VALUES (4, '2024-01-04', 40, 'new')"))
    (second,) = ingest(store_engine, registry, tmp_path)
    assert (second.mode, second.window_start, second.rows_read) == ("incremental", "2024-01-02", 3)
    assert rows(store_engine, "raw_orders") == [
        (1, date(2024, 1, 1), 10.5, "first"),
        (2, date(2024, 1, 2), 25.0, None),
        (3, date(2024, 1, 3), 30.0, "third"),
        (4, date(2024, 1, 4), 40.0, "new"),
    ]
    ingest(store_engine, registry, tmp_path)  # again: nothing new, nothing doubled
    assert len(rows(store_engine, "raw_orders")) == 4


def test_query_source(
    source_db: Engine, store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _orders(source_db)
    monkeypatch.setenv(URL_ENV, _url(source_db))
    query = "SELECT day, SUM(amount) AS revenue, COUNT(*) AS orders FROM orders GROUP BY day"
    registry = project(tmp_path, daily=_source(query=query, incremental={}))
    ingest(store_engine, registry, tmp_path)
    with source_db.begin() as connection:
        connection.execute(text("INSERT INTO orders VALUES (4, '2024-01-03', 5, NULL)"))
    (report,) = ingest(store_engine, registry, tmp_path)
    assert (report.mode, report.rows) == ("incremental", 1)
    assert rows(store_engine, "raw_daily") == [
        (date(2024, 1, 1), 10.5, 1),
        (date(2024, 1, 2), 20.0, 1),
        (date(2024, 1, 3), 35.0, 2),
    ]


def test_missing_url_variable_is_named(
    store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    registry = project(tmp_path, orders=_source(source_table="orders"))
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert f"the environment variable {URL_ENV} is not set" in str(raised.value)


@pytest.mark.postgres
def test_a_password_never_reaches_messages_or_history(
    postgres_schema_url: str, store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cret-Pa55word"
    wrong = normalize_url(postgres_schema_url).set(password=secret, database="wbr_no_such_db")
    monkeypatch.setenv(URL_ENV, wrong.render_as_string(hide_password=False))
    registry = project(tmp_path, orders=_source(source_table="orders"))
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert "wbr_no_such_db" in str(raised.value)
    assert secret not in str(raised.value)
    assert secret not in str(runs(store_engine)[-1]["error"])


def test_a_password_in_yaml_is_refused(tmp_path: Path) -> None:
    source = {"kind": "sql", "url": "postgresql://u:hunter22@db/x", "date_column": "day"}
    source["source_table"] = "orders"
    with pytest.raises(ConfigError) as raised:
        project(tmp_path, orders=source)
    assert "url_env" in str(raised.value)
    assert "hunter22" not in str(raised.value)


def test_one_place_and_one_thing(tmp_path: Path) -> None:
    both = {"kind": "sql", "url": "sqlite:///x.db", "url_env": "X", "date_column": "d"}
    with pytest.raises(ConfigError, match="exactly one of `url`, `url_env` and `store: true`"):
        project(tmp_path, orders={**both, "query": "SELECT 1"})
    neither = {"kind": "sql", "url": "sqlite:///x.db", "date_column": "d"}
    with pytest.raises(ConfigError, match="exactly one of `source_table` and `query`"):
        project(tmp_path, orders=neither)


class _CutTheSource:
    """After the first batch, the source database drops the loading connection."""

    def __init__(self, admin: Engine) -> None:
        self.admin = admin

    def started(self, source: str) -> None:
        pass

    def advanced(self, source: str, rows: int, done: float | None) -> None:
        with self.admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    # The loader's server-side cursor: DECLARE, then FETCH after FETCH.
                    "WHERE pid <> pg_backend_pid() "
                    "AND (query LIKE 'FETCH%' OR query LIKE 'DECLARE%')"
                )
            )

    def finished(self, source: str, report: object) -> None:
        pass


@pytest.mark.postgres
def test_a_lost_source_connection_leaves_the_store_as_it_was(
    postgres_schema_url: str, store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_db = create_engine(normalize_url(postgres_schema_url))
    try:
        _orders(source_db)
        with source_db.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO orders SELECT n, DATE '2024-01-04' + n, n, NULL "
                    "FROM generate_series(4, 40) AS n"
                )
            )
        monkeypatch.setenv(URL_ENV, _url(source_db))
        registry = project(tmp_path, orders=_source(source_table="orders", batch_rows=5))
        ingest(store_engine, registry, tmp_path)
        before = rows(store_engine, "raw_orders")
        with pytest.raises(LoadError) as raised:
            ingest(store_engine, registry, tmp_path, observer=_CutTheSource(source_db))
        assert "reading table 'orders'" in str(raised.value)
        assert rows(store_engine, "raw_orders") == before
        assert runs(store_engine)[-1]["status"] == "failed"
    finally:
        source_db.dispose()
