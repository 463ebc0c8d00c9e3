"""The deck app under gunicorn with several workers, beside the scheduler process.

On the embedded store (SQLite + DuckDB files) and on PostgreSQL: the workers serve
the deck, and serving never runs a job; only `wbr scheduler` records runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from small_project import WEEK_ENDING, write_project

from wbr.schedule import runs
from wbr.workspace import open_workspace

ROOT = Path(__file__).parent.parent
WORKERS = 3
REQUESTS = 12
START_POLLS, POLL_SECONDS = 300, 0.2  # gunicorn's workers answer within a minute
FIRE_NOW = "2024-03-18T06:05:00+00:00"  # 5 minutes after the small project's Monday refresh


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _project(folder: Path) -> Path:
    registry = write_project(folder)
    yaml = YAML(typ="safe")
    data: Any = yaml.load(registry.read_text())
    data["schedule"] = {"timezone": "UTC", "refresh": "0 6 * * mon"}
    data["access"] = {"anonymous_read": True}  # pages open without signing in
    with registry.open("w") as out:
        yaml.dump(data, out)
    return registry


def _env(registry: Path, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "WBR_REGISTRY": str(registry),
    }
    env.pop("WBR_DATABASE_URL", None)
    if database_url is not None:
        env["WBR_DATABASE_URL"] = database_url
    return env


def _wbr(registry: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wbr.cli", *args],
        cwd=registry.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


@pytest.fixture
def gunicorn(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path, Any]]:
    database_url = (
        request.getfixturevalue("postgres_schema_url") if request.param == "postgres" else None
    )
    registry = _project(tmp_path)
    env = _env(registry, database_url)
    done = _wbr(registry, env, "refresh")  # also migrates the store, before the workers open it
    assert done.returncode == 0, done.stderr
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "--workers", str(WORKERS),
            "--bind", f"127.0.0.1:{port}", "--timeout", "120", "dashboards.wsgi:server",
        ],
        cwd=registry.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(START_POLLS):
            try:
                _get(f"{base}/")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                time.sleep(POLL_SECONDS)
        yield base, registry, (server, env)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


@pytest.mark.parametrize(
    "gunicorn",
    [
        pytest.param("embedded", id="embedded"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
    indirect=True,
)
def test_gunicorn_workers_serve_the_deck_and_never_run_jobs(gunicorn: Any) -> None:
    base, registry, (server, env) = gunicorn
    assert len(_children(server.pid)) == WORKERS
    scheduled = _wbr(registry, env, "scheduler", "--once", "--now", FIRE_NOW)
    assert scheduled.returncode == 0, scheduled.stderr
    assert "refreshed for 2024-03-18 06:00" in scheduled.stdout
    for _ in range(REQUESTS):  # spread over the workers by the kernel's accept queue
        status, page = _get(f"{base}/_dash-layout")
        assert status == 200
        assert "Click-through rate" in page or "ctr" in page
        assert f"week ending {WEEK_ENDING:%a} {WEEK_ENDING.day}" in page
        assert "Data as of" in page and "next refresh Mon " in page  # Mondays 06:00
    workspace = open_workspace(registry, env.get("WBR_DATABASE_URL"))
    try:
        recorded = runs.recent_runs(workspace.engine)
    finally:
        workspace.dispose()
    # The manual refresh and the scheduler's: twelve page views added no run.
    assert sorted(run.trigger for run in recorded) == ["manual", "schedule"]
