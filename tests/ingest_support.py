"""Helpers shared by the connector and ingest tests: projects, source databases, children.

Every source database object a test makes has a unique name and is dropped
afterwards. MariaDB tests skip with the reason when the server is unreachable,
and fail instead when WBR_REQUIRE_MARIADB is set (as CI sets it).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from sqlalchemy import Engine, MetaData, Table, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from wbr.registry.loader import load_registry
from wbr.registry.models import Registry
from wbr.store import describe_url, load_runs
from wbr.store.schema import metric_values

MARIADB_URL_ENV = "WBR_TEST_MARIADB_URL"
REQUIRE_MARIADB_ENV = "WBR_REQUIRE_MARIADB"
DEFAULT_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
CHILD = Path(__file__).parent / "ingest_child.py"
PAUSED = "PAUSED"


def metric_declaration(
    name: str, source: str, aggregation: dict[str, Any], label: str | None = None
) -> dict[str, Any]:
    """A metric's declaration with the fields every metric needs."""
    return {
        "name": name,
        "label": label or name.title(),
        "description": f"{label or name} for the tests.",
        "kind": "output",
        "owner": "Test Owner (QA)",
        "source": source,
        "aggregation": aggregation,
    }


def write_project(
    folder: Path,
    sources: dict[str, dict[str, Any]],
    metrics: list[dict[str, Any]] | None = None,
    project: dict[str, Any] | None = None,
) -> Path:
    """A metrics.yaml declaring `sources` and `metrics`, all in one deck section.

    Without `metrics`, one count metric per source, and each source keeps all its
    columns (`keep_columns: all`, unless it says otherwise): a count reads no column,
    and these are the tests of how every column is loaded. The raw table that holds
    only what metrics read is tested in tests/test_ingest_kept_columns.py.
    """
    if metrics is None:
        metrics = [
            metric_declaration(f"{name}_rows", name, {"type": "count"}, label=f"{name} rows")
            for name in sources
        ]
        sources = {
            name: {"keep_columns": "all", **source} if source.get("kind") != "spark" else source
            for name, source in sources.items()
        }
    data: dict[str, Any] = {
        **({"project": project} if project else {}),
        "sources": sources,
        "metrics": metrics,
        "deck": {"sections": [{"title": "All", "metrics": [m["name"] for m in metrics]}]},
    }
    folder.mkdir(parents=True, exist_ok=True)
    registry_file = folder / "metrics.yaml"
    with registry_file.open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(data, handle)
    return registry_file


def project(folder: Path, **sources: dict[str, Any]) -> Registry:
    return load_registry(write_project(folder, sources))


def rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    """Rows of a table, read through a reflected table so dates come back as dates."""
    reflected = Table(table, MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(select(reflected))]
    # Sorted here: databases disagree on where NULLs sort.
    return sorted(found, key=lambda row: [(value is None, value or 0) for value in row])


def metric_value_rows(
    engine: Engine, *, computed_at: bool = False
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Stored metric values by (metric, grain, period start, period end): (value,
    complete), and the time they were computed with `computed_at`."""
    table = metric_values.c
    shown = [table.value, table.complete] + ([table.computed_at] if computed_at else [])
    key = [table.metric, table.grain, table.period_start, table.period_end]
    with engine.connect() as connection:
        found = connection.execute(select(*key, *shown)).all()
    return {tuple(row[:4]): tuple(row[4:]) for row in found}


def runs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(load_runs).order_by(load_runs.c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def _mariadb_base_url() -> str:
    return os.environ.get(MARIADB_URL_ENV) or DEFAULT_MARIADB_URL


@functools.cache
def _mariadb_unreachable_reason() -> str | None:
    engine = create_engine(_mariadb_base_url(), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        return f"MariaDB at {describe_url(_mariadb_base_url())} is unreachable ({exc.orig})"
    finally:
        engine.dispose()
    return None


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A URL of a fresh, uniquely named MariaDB database, dropped afterwards."""
    reason = _mariadb_unreachable_reason()
    if reason and os.environ.get(REQUIRE_MARIADB_ENV):
        pytest.fail(f"{REQUIRE_MARIADB_ENV} is set, but {reason}")
    if reason:
        pytest.skip(reason)
    database = f"wbr_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(_mariadb_base_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{database}`"))
    url = make_url(_mariadb_base_url()).set(database=database)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE `{database}`"))
        admin.dispose()


def start_child(
    registry_file: Path, store_url: str, source: str, pause_after_rows: int, *extra: str
) -> subprocess.Popen[str]:
    """A separate process loading `source`, which stops mid-load after some rows are written."""
    command = [sys.executable, str(CHILD), str(registry_file), store_url, source]
    command += [str(pause_after_rows), *extra]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )


def wait_until_paused(child: subprocess.Popen[str]) -> None:
    """Block until the child says it is mid-load (its transaction open, rows written)."""
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == PAUSED:
            return
    _out, err = child.communicate()
    raise AssertionError(f"the child ended before pausing (exit {child.returncode}): {err}")


def run_child(registry_file: Path, store_url: str, source: str) -> subprocess.CompletedProcess[str]:
    """Load `source` in a separate process to the end."""
    command = [sys.executable, str(CHILD), str(registry_file), store_url, source, "0"]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


class ApiState:
    """What the local JSON API serves, and how it misbehaves; tests change it freely."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.token = "tok-123456"
        self.failures: list[int] = []  # statuses to answer before the next success
        self.requests: list[str] = []
        self.pause_after_pages: int | None = None  # then hang (for the kill tests)
        self.page_size = 2


def _handler(state: ApiState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            if state.failures:
                status = state.failures.pop(0)
                self._send(status, {"error": "try again"}, {"Retry-After": "0"})
                return
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._send(401, {"error": "bad token"})
                return
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            records = [r for r in state.records if r["day"] >= query.get("since", "")]
            pages_served = sum(1 for p in state.requests if p.startswith(url.path))
            if state.pause_after_pages is not None and pages_served > state.pause_after_pages:
                time.sleep(600)
            if url.path == "/cursor":
                start = int(query.get("cursor", "0"))
                page = records[start : start + state.page_size]
                more = start + state.page_size < len(records)
                body = {
                    "data": {"items": page},
                    "next": str(start + state.page_size) if more else None,
                }
                self._send(200, body)
            elif url.path == "/pages":
                number, size = int(query.get("page", "1")), int(query.get("per_page", "2"))
                self._send(200, records[(number - 1) * size : number * size])
            else:
                self._send(404, {"error": "no such endpoint"})

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextlib.contextmanager
def local_api(state: ApiState) -> Iterator[str]:
    """A JSON API on 127.0.0.1 (a free port) serving `state`; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
