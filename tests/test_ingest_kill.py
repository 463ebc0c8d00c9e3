"""Atomic and idempotent, for every kind of connector: a load killed mid-way (kill -9)
leaves the store exactly as it was, the next load works, and loading twice adds nothing."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ingest_support import (
    ApiState,
    local_api,
    mariadb_url,
    rows,
    runs,
    start_child,
    wait_until_paused,
    write_project,
)
from sqlalchemy import Engine, create_engine, inspect, text

from wbr.ingest import ingest
from wbr.ingest.runs import shown_status
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, migrate
from wbr.store.engine import normalize_url

__all__ = ["mariadb_url"]  # a fixture used by name below

URL_ENV = "WBR_TEST_KILL_DB_URL"
TOKEN_ENV = "WBR_TEST_KILL_TOKEN"
FIRST_DAY = date(2024, 1, 1)


def _records(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"day": (FIRST_DAY + timedelta(days=n // 3)).isoformat(), "id": n + 1, "amount": n * 1.5}
        for n in range(start, start + count)
    ]


@dataclass
class Kind:
    """A source of one kind: `write(records)` replaces what the source holds."""

    source: dict[str, Any]
    write: Callable[[list[dict[str, Any]]], None]


def _csv(folder: Path) -> Kind:
    def write(records: list[dict[str, Any]]) -> None:
        pd.DataFrame(records).to_csv(folder / "orders.csv", index=False)

    return Kind({"kind": "csv", "path": "orders.csv"}, write)


def _parquet(folder: Path) -> Kind:
    pytest.importorskip("pyarrow", reason="the Parquet connector needs pyarrow (wbr[parquet])")

    def write(records: list[dict[str, Any]]) -> None:
        pd.DataFrame(records).to_parquet(folder / "orders.parquet", index=False)

    return Kind({"kind": "parquet", "path": "orders.parquet"}, write)


def _sql(url: str, monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Kind:
    monkeypatch.setenv(URL_ENV, url)

    def write(records: list[dict[str, Any]]) -> None:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS orders"))
            connection.execute(
                text("CREATE TABLE orders (day DATE, id INTEGER, amount DOUBLE PRECISION)")
            )
            connection.execute(text("INSERT INTO orders VALUES (:day, :id, :amount)"), records)

    return Kind({"kind": "sql", "url_env": URL_ENV, "source_table": "orders"}, write)


@pytest.fixture(
    params=[
        "csv",
        "parquet",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "mariadb",
        "http",
    ]
)
def kind(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Kind]:
    name = request.param
    if name == "csv":
        yield _csv(tmp_path)
    elif name == "parquet":
        yield _parquet(tmp_path)
    elif name in ("postgres", "mariadb"):
        url = request.getfixturevalue(
            "postgres_schema_url" if name == "postgres" else "mariadb_url"
        )
        engine = create_engine(normalize_url(url))
        try:
            yield _sql(url, monkeypatch, engine)
        finally:
            engine.dispose()
    else:
        state = ApiState([])
        monkeypatch.setenv(TOKEN_ENV, state.token)
        with local_api(state) as base:
            source = {
                "kind": "http",
                "url": f"{base}/pages",
                "token_env": TOKEN_ENV,
                "paging": {"style": "page", "page_size": 5},
            }

            def write(records: list[dict[str, Any]]) -> None:
                state.records = records

            yield Kind(source, write)


@pytest.mark.parametrize("incremental", [False, True], ids=["full", "incremental"])
def test_kill_mid_load_leaves_the_store_as_it_was(
    kind: Kind, incremental: bool, tmp_path: Path
) -> None:
    source = {**kind.source, "date_column": "day", "batch_rows": 5}
    if incremental:
        source["incremental"] = {"lookback": 1}
    registry_file = write_project(tmp_path, {"orders": source})
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    store = create_store_engine(store_url)
    migrate(store)
    registry = load_registry(registry_file)
    try:
        kind.write(_records(30))
        ingest(store, registry, tmp_path)
        before = rows(store, "raw_orders")
        assert len(before) == 30

        kind.write(_records(30) + _records(30, start=30))
        child = start_child(registry_file, store_url, "orders", 10)
        try:
            wait_until_paused(child)  # 10+ rows written inside the open transaction
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate()
        assert child.returncode == -signal.SIGKILL

        assert rows(store, "raw_orders") == before
        tables = set(inspect(store).get_table_names())
        assert {"raw_orders__staging", "raw_orders__rejected"}.isdisjoint(tables)
        last = runs(store)[-1]
        assert last["status"] == "running"
        assert shown_status(last) == "interrupted"

        (report,) = ingest(store, registry, tmp_path)
        assert report.mode == ("incremental" if incremental else "full")
        after = rows(store, "raw_orders")
        assert len(after) == 60
        assert runs(store)[-2]["status"] == "interrupted"  # marked when the source loaded again

        ingest(store, registry, tmp_path)
        assert rows(store, "raw_orders") == after
    finally:
        store.dispose()


@pytest.mark.postgres
def test_kill_mid_load_into_a_postgresql_store(postgres_schema_url: str, tmp_path: Path) -> None:
    folder = tmp_path
    pd.DataFrame(_records(30)).to_csv(folder / "orders.csv", index=False)
    source = {"kind": "csv", "path": "orders.csv", "date_column": "day", "batch_rows": 5}
    registry_file = write_project(folder, {"orders": source})
    store = create_store_engine(postgres_schema_url)
    migrate(store)
    try:
        ingest(store, load_registry(registry_file), folder)
        before = rows(store, "raw_orders")
        pd.DataFrame(_records(60)).to_csv(folder / "orders.csv", index=False)
        child = start_child(registry_file, postgres_schema_url, "orders", 10)
        try:
            wait_until_paused(child)
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate()
        assert rows(store, "raw_orders") == before
        assert "raw_orders__staging" not in inspect(store).get_table_names()
        ingest(store, load_registry(registry_file), folder)
        assert len(rows(store, "raw_orders")) == 60
    finally:
        store.dispose()
