"""`wbr scheduler` as a long-running process: it refreshes on its crontab, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from small_project import write_project

from wbr.schedule import runs
from wbr.workspace import open_workspace

ROOT = Path(__file__).parent.parent
POLLS, POLL_SECONDS = 600, 0.2  # at most two minutes for the first refresh


def test_the_scheduler_refreshes_on_its_crontab_and_stops_on_sigterm(tmp_path: Path) -> None:
    registry = write_project(tmp_path)
    yaml = YAML(typ="safe")
    data: Any = yaml.load(registry.read_text())
    # Every minute: the newest fire time is always within the grace period, so the
    # process refreshes as soon as it starts (the catch-up job runs at once).
    data["schedule"] = {"timezone": "UTC", "refresh": "* * * * *"}
    with registry.open("w") as out:
        yaml.dump(data, out)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "wbr.cli", "scheduler", "--registry", str(registry)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        succeeded: list[runs.RunRecord] = []
        for _ in range(POLLS):
            assert child.poll() is None, child.communicate()
            workspace = open_workspace(registry)
            try:
                recent = runs.recent_runs(workspace.engine)
            finally:
                workspace.dispose()
            succeeded = [run for run in recent if run.status == runs.SUCCEEDED]
            if succeeded:
                break
            time.sleep(POLL_SECONDS)
        assert succeeded and succeeded[0].trigger == "schedule"
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert "scheduler started" in out and "refreshed for" in out


def test_the_scheduler_settles_its_heap_once_after_its_first_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What is alive after the first tick stays out of the garbage collector's walks;
    later ticks leave the frozen set as it is."""
    import gc

    from wbr.schedule import service

    seen: list[object] = []
    settled: list[int] = []
    monkeypatch.setattr(service, "run_due", lambda workspace, clock: f"tick {len(seen)}")
    monkeypatch.setattr(service, "settle_heap", lambda: settled.append(len(seen)))
    tick = service.ticker(object(), object(), seen.append)  # type: ignore[arg-type]
    for _ in range(3):
        tick()
    assert seen == ["tick 0", "tick 1", "tick 2"]
    assert settled == [1]  # once, right after the first tick's report

    monkeypatch.undo()
    frozen = gc.get_freeze_count()
    try:
        service.settle_heap()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
