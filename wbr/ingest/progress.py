"""Progress bars for `wbr ingest`: one line per source, on stderr.

A source that can tell how much of it has been read (files) gets a bar and an
estimate; one that cannot (a query, an API) gets a spinner. Every line shows
the rows written so far and the rate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from wbr.ingest.report import LoadReport

# The bar counts thousandths of the source read, so files of any size share it.
BAR_STEPS = 1_000


class ProgressBars:
    """A `LoadObserver` drawing a rich progress line per source."""

    def __init__(self, display: Progress) -> None:
        self._display = display
        self._tasks: dict[str, TaskID] = {}
        self._rows: dict[str, int] = {}

    def started(self, source: str) -> None:
        self._rows[source] = 0
        self._tasks[source] = self._display.add_task(source, total=None, rows=0)

    def advanced(self, source: str, rows: int, done: float | None) -> None:
        self._rows[source] += rows
        task = self._tasks[source]
        if done is None:
            self._display.update(task, rows=self._rows[source], advance=0)
        else:
            steps = round(min(max(done, 0.0), 1.0) * BAR_STEPS)
            self._display.update(task, total=BAR_STEPS, completed=steps, rows=self._rows[source])

    def finished(self, source: str, report: LoadReport | None) -> None:
        task = self._tasks[source]
        if report is None:
            self._display.update(task, description=f"[red]{source} failed", total=1, completed=0)
        else:
            self._display.update(task, total=BAR_STEPS, completed=BAR_STEPS, rows=report.rows)


@contextlib.contextmanager
def progress_bars() -> Iterator[ProgressBars]:
    # stderr, so that anything a command prints on stdout stays machine-readable.
    display = Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    with display:
        yield ProgressBars(display)
