"""The HTTP connector against a JSON API the tests serve on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ingest_support import ApiState, local_api, project, rows, runs
from sqlalchemy import Engine

from wbr.errors import LoadError
from wbr.ingest import ingest

TOKEN_ENV = "WBR_TEST_API_TOKEN"
RECORDS = [
    {"day": "2024-01-01", "id": 1, "amount": 10.5, "tags": ["a"]},
    {"day": "2024-01-02", "id": 2, "amount": 20},
    {"day": "2024-01-03", "id": 3, "amount": 30},
    {"day": "2024-01-04", "id": 4, "amount": None},
    {"day": "2024-01-05", "id": 5, "amount": 50},
]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ApiState]]:
    state = ApiState([dict(record) for record in RECORDS])
    monkeypatch.setenv(TOKEN_ENV, state.token)
    with local_api(state) as base:
        yield base, state


def _cursor_source(base: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "http",
        "url": f"{base}/cursor",
        "records": "data.items",
        "token_env": TOKEN_ENV,
        "paging": {"style": "cursor", "next_path": "next"},
        "date_column": "day",
        "retries": {"attempts": 4, "backoff_seconds": 0},
        **extra,
    }


def test_cursor_paging_loads_every_page(
    api: tuple[str, ApiState], store_engine: Engine, tmp_path: Path
) -> None:
    base, state = api
    (report,) = ingest(store_engine, project(tmp_path, orders=_cursor_source(base)), tmp_path)
    assert report.rows == 5
    assert len([path for path in state.requests if path.startswith("/cursor")]) == 3
    loaded = rows(store_engine, "raw_orders")
    assert loaded[0] == (date(2024, 1, 1), 1, 10.5, '["a"]')
    assert loaded[3] == (date(2024, 1, 4), 4, None, None)


def test_page_numbers_and_incremental_since(
    api: tuple[str, ApiState], store_engine: Engine, tmp_path: Path
) -> None:
    base, state = api
    source = {
        "kind": "http",
        "url": f"{base}/pages",
        "token_env": TOKEN_ENV,
        "paging": {"style": "page", "page_size": 2},
        "date_column": "day",
        "since_param": "since",
        "incremental": {"lookback": 1},
        "columns": {"tags": "text"},  # only the first record has tags
    }
    registry = project(tmp_path, orders=source)
    ingest(store_engine, registry, tmp_path)
    state.records[4]["amount"] = 55  # restated inside the window
    state.records.append({"day": "2024-01-06", "id": 6, "amount": 60})
    state.requests.clear()
    (report,) = ingest(store_engine, registry, tmp_path)
    assert (report.mode, report.rows) == ("incremental", 3)
    assert all("since=2024-01-04" in path for path in state.requests)
    loaded = rows(store_engine, "raw_orders")
    assert [row[1] for row in loaded] == [1, 2, 3, 4, 5, 6]
    assert loaded[4][2] == 55.0
    ingest(store_engine, registry, tmp_path)
    assert len(rows(store_engine, "raw_orders")) == 6


def test_retries_429_and_5xx_with_backoff(
    api: tuple[str, ApiState], store_engine: Engine, tmp_path: Path
) -> None:
    base, state = api
    state.failures = [429, 503, 500]
    (report,) = ingest(store_engine, project(tmp_path, orders=_cursor_source(base)), tmp_path)
    assert report.rows == 5
    assert len(state.requests) == 3 + 3  # three refusals, then three pages


def test_gives_up_after_the_attempts_and_keeps_the_table(
    api: tuple[str, ApiState], store_engine: Engine, tmp_path: Path
) -> None:
    base, state = api
    registry = project(tmp_path, orders=_cursor_source(base))
    ingest(store_engine, registry, tmp_path)
    state.requests.clear()
    state.failures = [200, 503, 503, 503, 503]  # 200 with an error body: not a list of records
    with pytest.raises(LoadError, match=r"`data.items` is not a list of records"):
        ingest(store_engine, registry, tmp_path)
    state.failures = [503] * 4
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert "gave up after 4 attempts; last: HTTP 503" in str(raised.value)
    assert len(rows(store_engine, "raw_orders")) == 5
    assert [run["status"] for run in runs(store_engine)] == ["succeeded", "failed", "failed"]


def test_client_errors_and_the_token_never_shown(
    api: tuple[str, ApiState], store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, state = api
    monkeypatch.setenv(TOKEN_ENV, "wrong-token-value")
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, project(tmp_path, orders=_cursor_source(base)), tmp_path)
    assert "HTTP 401" in str(raised.value)
    assert "wrong-token-value" not in str(raised.value)
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(LoadError, match=f"the environment variable {TOKEN_ENV} is not set"):
        ingest(store_engine, project(tmp_path, orders=_cursor_source(base)), tmp_path)
    monkeypatch.setenv(TOKEN_ENV, state.token)
    missing = _cursor_source(base, url=f"{base}/nope")
    with pytest.raises(LoadError, match="HTTP 404"):
        ingest(store_engine, project(tmp_path, orders=missing), tmp_path)
