"""Load declared sources into their raw tables, recording every run.

Each source is loaded in its own transaction (see `wbr.store.raw`): a failure
leaves that source's previous table untouched, records the run as failed with
its message in `load_runs`, and stops with a `LoadError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from connectors.base import ConnectorError, LoadReport
from connectors.registry import connector_for
from wbr.errors import ConfigError, LoadError
from wbr.registry.models import Registry, Source
from wbr.store.raw import raw_table_name, replace_raw_table
from wbr.store.schema import load_runs

RowCounter = Callable[[int], None]


def ingest(
    engine: Engine,
    registry: Registry,
    base_dir: Path,
    sources: list[str] | None = None,
    progress: bool = False,
) -> list[LoadReport]:
    """Load `sources` (default: all, in declaration order); stop at the first failure."""
    names = list(registry.sources) if sources is None else list(sources)
    unknown = [name for name in names if name not in registry.sources]
    if unknown:
        known = ", ".join(registry.sources) or "none"
        raise ConfigError(f"unknown source(s): {', '.join(unknown)}. Declared sources: {known}")

    reports: list[LoadReport] = []
    with _progress_display(progress) as display:
        for name in names:
            line = _SourceProgress(display, name)
            reports.append(
                _load_source(engine, name, registry.sources[name], base_dir, line.add_rows)
            )
            line.done()
    return reports


def _load_source(
    engine: Engine, name: str, source: Source, base_dir: Path, count_rows: RowCounter
) -> LoadReport:
    table = raw_table_name(source.table_name(name))
    started_at = _now()
    with engine.begin() as connection:
        result = connection.execute(
            insert(load_runs).values(
                source=name, table_name=table, started_at=started_at, status="running"
            )
        )
        primary_key = result.inserted_primary_key
    if primary_key is None:  # only a dialect that cannot report new ids
        raise LoadError(f"source {name!r}: the store did not return the new load run's id")
    run_id = int(primary_key[0])

    try:
        connector = connector_for(name, source, base_dir)
        frames = _counted(connector.extract(), count_rows)
        rows = replace_raw_table(engine, source.table_name(name), frames, source.date_column)
    except (ConnectorError, LoadError, SQLAlchemyError) as exc:
        message = _describe_failure(name, table, exc)
        _finish_run(engine, run_id, status="failed", error=message)
        raise LoadError(message) from exc
    except BaseException as exc:
        # Interrupted (Ctrl-C) or a bug: the run must not stay "running" forever.
        _finish_run(engine, run_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        raise

    finished_at = _now()
    _finish_run(engine, run_id, status="succeeded", rows=rows, finished_at=finished_at)
    return LoadReport(
        source=name, table=table, rows=rows, started_at=started_at, finished_at=finished_at
    )


def _describe_failure(name: str, table: str, exc: Exception) -> str:
    if isinstance(exc, ConnectorError):
        return str(exc)  # already names the source, file and line
    if isinstance(exc, DBAPIError):
        # The driver's own message; SQLAlchemy's adds the SQL and a batch of parameters.
        return f"source {name!r}, table {table!r}: database error: {exc.orig}".strip()
    return f"source {name!r}, table {table!r}: {exc}"


def _finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    rows: int | None = None,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> None:
    values = {
        "status": status,
        "rows_loaded": rows,
        "error": error,
        "finished_at": finished_at or _now(),
    }
    try:
        with engine.begin() as connection:
            connection.execute(update(load_runs).where(load_runs.c.id == run_id).values(values))
    except SQLAlchemyError:
        if status == "succeeded":
            raise
        # Recording a failure must not hide the failure itself (e.g. database down).


def _now() -> datetime:
    return datetime.now(UTC)


def _counted(frames: Iterable[pd.DataFrame], count_rows: RowCounter) -> Iterator[pd.DataFrame]:
    for frame in frames:
        count_rows(len(frame))
        yield frame


@contextlib.contextmanager
def _progress_display(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    # stderr, so that anything a command prints on stdout stays machine-readable.
    progress = Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        yield progress


class _SourceProgress:
    """One line of the progress display: rows counted so far, a tick when done."""

    def __init__(self, display: Progress | None, name: str) -> None:
        self._display = display
        self._task = display.add_task(name, total=None) if display is not None else None

    def add_rows(self, rows: int) -> None:
        if self._display is not None and self._task is not None:
            self._display.update(self._task, advance=rows)

    def done(self) -> None:
        if self._display is not None and self._task is not None:
            completed = self._display.tasks[self._task].completed
            self._display.update(self._task, total=completed)
