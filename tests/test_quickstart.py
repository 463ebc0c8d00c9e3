"""The README's first command works: `wbr demo` builds the store and serves the deck.

Runs the real command in a subprocess on a copy of the demo registry (so the data and
the store land in a temporary folder), waits for the address it prints, and reads
the served page and the Dash layout over HTTP.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, attempts: int = 120) -> None:
    """The address is printed just before the server binds: poll, a bounded number of times."""
    for _ in range(attempts):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def served_demo(tmp_path: Path) -> Iterator[str]:
    shutil.copy(ROOT / "metrics.yaml", tmp_path / "metrics.yaml")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "WBR_DATABASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "wbr.cli", "demo", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    printed: list[str] = []
    try:
        for line in process.stdout:
            printed.append(line)
            if "Serving the WBR deck at" in line:
                break
        else:
            pytest.fail("wbr demo ended without serving:\n" + "".join(printed))
        address = line.split(" at ", 1)[1].strip()
        wait_until_listening(port)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
    assert (tmp_path / ".wbr" / "wbr.db").exists()
    assert (tmp_path / ".wbr" / "seasonal-fits.npz").exists()  # kept for the next refresh
    assert (tmp_path / ".wbr" / "scorer-states.npz").exists()  # it goes on from there
    assert (tmp_path / "demo" / "data" / "orders.csv").exists()


def test_wbr_demo_serves_the_deck_at_the_printed_address(served_demo: str) -> None:
    assert served_demo.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(served_demo, timeout=30) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "<title>Acme Retail Weekly Business Review</title>" in page
    with urllib.request.urlopen(served_demo + "/_dash-layout", timeout=60) as response:
        layout = json.dumps(json.load(response))
    for text in ("Controllable inputs", "In-stock rate", "Priya Raman (Supply Chain)", "Revenue"):
        assert text in layout


def test_wbr_demo_outside_a_project_says_so_and_writes_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WBR_")}
    done = subprocess.run(
        [sys.executable, "-m", "wbr.cli", "demo", "--no-serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert f"no registry file at {tmp_path / 'metrics.yaml'}" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no demo data left behind in a stranger's folder
