"""The refresh job: ingest every source, compute what changed, flag anomalies.

Each step keeps the store as it was when it fails (one transaction per load and per
computation), so a failed refresh leaves the last good deck serving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from wbr.workspace import Workspace

if TYPE_CHECKING:
    from wbr.compute.run import ComputeReport
    from wbr.ingest.report import LoadReport


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh loaded and produced, as `wbr status` and the run record show it."""

    loaded: dict[str, int] = field(default_factory=dict)  # source → rows gained
    metrics: int = 0
    values_written: int = 0
    flags_open: int = 0  # open flags in the deck's week
    week_ending: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded,
            "metrics": self.metrics,
            "values_written": self.values_written,
            "flags_open": self.flags_open,
            "week_ending": self.week_ending.isoformat() if self.week_ending else None,
        }

    def describe(self) -> str:
        rows = sum(self.loaded.values())
        return (
            f"loaded {rows:,} rows from {len(self.loaded)} sources; {self.values_written:,} "
            f"values; week ending {self.week_ending} with {self.flags_open} open flags"
        )


def describe_summary(summary: dict[str, Any]) -> str:
    """One line from a stored summary (the JSON of `RefreshSummary.as_dict`)."""
    if not summary:
        return ""
    loaded = summary.get("loaded") or {}
    return (
        f"loaded {sum(loaded.values()):,} rows from {len(loaded)} sources; "
        f"{summary.get('values_written', 0):,} values; week ending "
        f"{summary.get('week_ending')} with {summary.get('flags_open', 0)} open flags"
    )


def load_and_compute(
    workspace: Workspace, after_load: Callable[[], object] | None = None
) -> tuple[list[LoadReport], ComputeReport]:
    """Ingest every source, then compute what changed, on one raw connection (DuckDB's
    file is opened once: `held_open`). `after_load` is called between the two steps."""
    from wbr.compute.run import compute
    from wbr.ingest import ingest
    from wbr.ingest.report import FULL
    from wbr.store.engine import held_open

    with held_open(workspace.raw_engine) as held:
        raw = held.engine
        reports = ingest(workspace.engine, workspace.registry, workspace.base_dir, raw_engine=raw)
        if any(report.mode == FULL for report in reports):
            held.release()  # whole files were read: their memory goes with the connection
        if after_load is not None:
            after_load()
        computed = compute(workspace.engine, workspace.registry, raw_engine=raw)
    return reports, computed


def run_refresh(workspace: Workspace) -> RefreshSummary:
    """Ingest, compute, detect; raises the step's own error when one fails."""
    from wbr.anomalies import FlagStatus, detect_project
    from wbr.anomalies.fit_cache import project_file

    reports, computed = load_and_compute(workspace)
    fits = project_file(workspace.registry_file)
    detected = detect_project(workspace.engine, workspace.registry, workspace.raw_engine, fits)
    return RefreshSummary(
        loaded={report.source: report.rows for report in reports},
        metrics=computed.metrics,
        values_written=computed.rows_written,
        flags_open=sum(
            flag.week_ending == computed.latest_week_ending and flag.status is FlagStatus.OPEN
            for flag in detected.flags
        ),
        week_ending=computed.latest_week_ending,
    )
