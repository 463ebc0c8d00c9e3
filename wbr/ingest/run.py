"""Load declared sources into their raw tables, recording every run.

Each source is loaded in its own transaction (`wbr.ingest.load`): a failure
leaves that source's previous table untouched, records the run as failed with
its message in `load_runs`, and stops with a `LoadError`. Secrets named by the
source never reach a message or the load history.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from connectors.base import Batch, Connector, ConnectorError
from connectors.csv_file import CsvConnector
from connectors.registry import connector_for
from wbr.errors import ConfigError, LoadError
from wbr.ingest import duckdb_csv, duckdb_parquet, file_marks, table_facts
from wbr.ingest.plan import NotAnAppend, Plan, append_plan, plan_load
from wbr.ingest.report import LoadReport
from wbr.ingest.runs import FAILED, INTERRUPTED, SUCCEEDED, fail_run, finish_run, now, start_run
from wbr.ingest.secrets import redact
from wbr.registry.models import Registry
from wbr.registry.sources import SourceBase, SparkSource, SqlSource
from wbr.store import raw
from wbr.store.dialect import is_spark, lock_table_loads

if TYPE_CHECKING:
    import pandas as pd


class LoadObserver(Protocol):
    """Told about each source's progress (the CLI's progress bars are one)."""

    def started(self, source: str) -> None: ...

    def advanced(self, source: str, rows: int, done: float | None) -> None:
        """`rows` more rows are written to the store; `done` is the fraction read, if known."""
        ...

    def finished(self, source: str, report: LoadReport | None) -> None: ...


def ingest(
    engine: Engine,
    registry: Registry,
    base_dir: Path,
    sources: Sequence[str] | None = None,
    progress: bool = False,
    *,
    full: bool = False,
    observer: LoadObserver | None = None,
    raw_engine: Engine | None = None,
) -> list[LoadReport]:
    """Load `sources` (default: all, in declaration order); stop at the first failure.

    `full` reloads every source whole, ignoring watermarks. `progress` shows a
    progress bar per source on stderr. `raw_engine` is the raw tables' store
    when it is not `engine` (which keeps the load history).
    """
    names = list(registry.sources) if sources is None else list(sources)
    unknown = [name for name in names if name not in registry.sources]
    if unknown:
        known = ", ".join(registry.sources) or "none"
        raise ConfigError(f"unknown source(s): {', '.join(unknown)}. Declared sources: {known}")
    if progress and observer is None:
        from wbr.ingest.progress import progress_bars

        with progress_bars() as bars:
            return _load_all(engine, registry, base_dir, names, full, bars, raw_engine)
    return _load_all(engine, registry, base_dir, names, full, observer, raw_engine)


def _load_all(
    engine: Engine,
    registry: Registry,
    base_dir: Path,
    names: list[str],
    full: bool,
    observer: LoadObserver | None,
    raw_engine: Engine | None,
) -> list[LoadReport]:
    reports = []
    for name in names:
        if observer is not None:
            observer.started(name)
        report = None
        try:
            report = load_source(
                engine,
                name,
                registry.sources[name],
                base_dir,
                full,
                observer,
                raw_engine,
                keep=registry.columns_read(name),
            )
        finally:
            if observer is not None:
                observer.finished(name, report)
        reports.append(report)
    return reports


def load_source(
    engine: Engine,
    name: str,
    source: SourceBase,
    base_dir: Path,
    full: bool = False,
    observer: LoadObserver | None = None,
    raw_engine: Engine | None = None,
    *,
    keep: frozenset[str] | None = None,
) -> LoadReport:
    """Load one source in one transaction; record the run either way.

    `keep` is the columns the raw table holds (`Registry.columns_read`; None: all).

    With the raw tables in a store of their own, the data commits first and the
    run's record after it: a crash between the two leaves the run `running`
    (shown as `interrupted`), which a computation treats as a change to the
    whole table, so no committed row is ever overlooked.
    """
    raw_store = raw_engine if raw_engine is not None else engine
    if isinstance(source, SparkSource):  # its rows stay in Spark: nothing to extract
        from wbr.ingest.spark_source import register_spark_source

        return register_spark_source(engine, name, source, base_dir, raw_store, full)
    if is_spark(raw_store):
        raise LoadError(
            f"source {name!r} is of kind `{source.kind}`, but the raw store is Spark, which "
            "wbr reads where the rows are and never loads: write the rows to Parquet in "
            "Spark and declare the source `kind: spark` (docs/spark.md)"
        )
    table = raw.raw_table_name(source.table_name(name))
    raw.check_identifier_length(raw_store, table + raw.STAGING_SUFFIX)
    started_at = now()
    run_id = start_run(engine, name, table, started_at)
    secrets = source.secret_env_names()
    try:
        connector = connector_for(name, _with_store_url(source, raw_store), base_dir)
        with raw_store.begin() as connection:
            lock_table_loads(connection, table)
            plan = plan_load(connection, name, source, full, keep)
            outcome = duckdb_csv.load(connection, name, source, base_dir, plan, full)
            if outcome is None:
                outcome = duckdb_parquet.load(connection, name, source, base_dir, plan)
            if outcome is None:
                outcome = _load_rows(
                    connection, name, source, plan, run_id, connector, observer, full
                )
            elif observer is not None:
                observer.advanced(name, outcome["rows_read"], 1.0)
            column = source.cursor or source.date_column
            schema = raw.table_schema(connection, table) or {}
            newest = raw.max_value(connection, table, schema, column) if column in schema else None
            watermark = None if newest is None else _iso(newest)
            values = {key: value for key, value in outcome.items() if key != "rows_deleted"}
            # Measured before the commit, so the facts are the committed table's.
            facts = table_facts.measure(connection, table, source.date_column)
            finished = {
                **values,
                **table_facts.as_run_values(facts),
                "status": SUCCEEDED,
                "watermark": watermark,
            }
            if raw_store is engine:
                finish_run(connection, run_id, finished)
    except (ConnectorError, LoadError, SQLAlchemyError) as exc:
        message = redact(_describe_failure(name, table, exc), secrets)
        _drop_staging(raw_store, table)
        fail_run(engine, run_id, message)
        raise LoadError(message) from None
    except BaseException as exc:
        # Ctrl-C or a bug: the run must not stay "running" forever.
        status = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else FAILED
        _drop_staging(raw_store, table)
        fail_run(engine, run_id, redact(f"{type(exc).__name__}: {exc}", secrets), status)
        raise
    if raw_store is not engine:
        _record_after_commit(engine, run_id, finished, name)
    warnings = tuple(outcome["warnings"].split("\n")) if outcome["warnings"] else ()
    return LoadReport(
        source=name,
        table=table,
        rows=outcome["rows_loaded"],
        started_at=started_at,
        finished_at=now(),
        mode=outcome["mode"],
        rows_read=outcome["rows_read"],
        rows_rejected=outcome["rows_rejected"],
        watermark=watermark,
        window_start=outcome["window_start"],
        warnings=warnings,
    )


def _load_rows(
    connection: Connection,
    name: str,
    source: SourceBase,
    plan: Plan,
    run_id: int,
    connector: Connector,
    observer: LoadObserver | None,
    full: bool,
) -> dict[str, Any]:
    """The row-by-row path: the connector's batches typed and checked in pandas.

    A CSV source of one file is marked after every load (`wbr.ingest.file_marks`, as
    DuckDB's own CSV path marks it), and when the next load finds that the file only
    grew, only its new bytes are read and their rows appended, also for a source with
    `incremental:`.
    The mark is written in the load's transaction, so a failed load keeps the old one.
    """
    from wbr.ingest.load import SourceLoad  # pandas: only on this path (see duckdb_csv)

    path = _marked_file(connection, connector)
    mark = None if path is None else file_marks.measure(path, source)
    whole: Iterator[pd.DataFrame | Batch] | None = None
    if path is not None and mark is not None:
        assert isinstance(connector, CsvConnector)
        # Read no further than the size measured: rows an exporter writes meanwhile are
        # the next load's, which would otherwise append them a second time.
        whole = connector.extract_range(path, 0, mark.size)
        whole_read = full or plan.existing is None or bool(plan.missing)
        previous = None if whole_read else file_marks.read_mark(connection, name)
        offset = file_marks.appended_from(previous, mark, path)
        if offset is not None:
            appended = _append_rows(
                connection,
                name,
                source,
                append_plan(plan),
                run_id,
                observer,
                connector.extract_range(path, offset, mark.size),
            )
            if appended is not None:
                file_marks.write_mark(connection, name, mark)
                return appended
    load = SourceLoad(connection, name, source, plan, run_id)
    for item in whole if whole is not None else connector.extract(plan.cutoff):
        batch = item if isinstance(item, Batch) else Batch(item)
        load.add(batch)
        if observer is not None:
            observer.advanced(name, len(batch.frame), batch.done)
    outcome = load.finish()
    # A one-file CSV is marked in this load's transaction, as the DuckDB path marks it;
    # any other source has none (a stale mark would append rows this load has read).
    file_marks.write_mark(connection, name, mark)
    return outcome


def _marked_file(connection: Connection, connector: Connector) -> Path | None:
    """The one CSV file whose appends the batch path can read alone, if any.

    On DuckDB too: this path loads a file there when DuckDB's own reader leaves it (a
    value it might read differently, a keyed source), and a file that only grew then
    has its new rows appended, or a bad one reported by its line, as on any other
    store, instead of the whole file read again and its columns typed anew."""
    if not isinstance(connector, CsvConnector):
        return None
    files = connector.files()
    return files[0] if len(files) == 1 else None


def _append_rows(
    connection: Connection,
    name: str,
    source: SourceBase,
    plan: Plan,
    run_id: int,
    observer: LoadObserver | None,
    batches: Generator[Batch],
) -> dict[str, Any] | None:
    """Append the file's new rows; None when they must be read with the whole file."""
    from wbr.ingest.load import SourceLoad

    load = SourceLoad(connection, name, source, plan, run_id)
    try:
        for batch in batches:
            load.add(batch)
            if observer is not None:
                observer.advanced(name, len(batch.frame), batch.done)
    except NotAnAppend:
        load.discard()  # only its temporary table was written: the full read starts afresh
        return None
    finally:
        batches.close()  # the file, when the reading stopped before its end
    return load.finish()


def _drop_staging(raw_store: Engine, table: str) -> None:
    """A store that commits a load in chunks (DuckDB) may keep a half-filled staging
    table after a failure; the final table is untouched either way."""
    if raw.commits_in_chunks(raw_store):
        # On failure here the next load of this source drops it before it starts.
        with contextlib.suppress(SQLAlchemyError):
            raw.drop_leftover_staging(raw_store, table)


def _record_after_commit(
    engine: Engine, run_id: int, finished: dict[str, object], name: str
) -> None:
    """Record a load whose rows another store has already committed."""
    try:
        with engine.begin() as connection:
            finish_run(connection, run_id, finished)
    except SQLAlchemyError as exc:
        message = (
            f"source {name!r}: the rows are loaded, but recording the load failed "
            f"({exc.orig if isinstance(exc, DBAPIError) else exc}); the next `wbr compute` "
            "rereads the whole table"
        )
        fail_run(engine, run_id, message, INTERRUPTED)
        raise LoadError(message) from None


def _with_store_url(source: SourceBase, engine: Engine) -> SourceBase:
    """A `sql` source with `store: true` reads the store itself: give it the store's URL."""
    if isinstance(source, SqlSource) and source.store:
        url = engine.url.render_as_string(hide_password=False)
        return source.model_copy(update={"url": url, "store": False})
    return source


def _iso(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def _describe_failure(name: str, table: str, exc: Exception) -> str:
    if isinstance(exc, ConnectorError | LoadError):
        return str(exc)  # already names the source, and the file and line where it can
    if isinstance(exc, DBAPIError):
        # The driver's own message; SQLAlchemy's adds the SQL and a batch of parameters.
        return f"source {name!r}, table {table!r}: database error: {exc.orig}".strip()
    return f"source {name!r}, table {table!r}: {exc}"
