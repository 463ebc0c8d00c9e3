"""Where the store lives and how to connect to it.

The default store is one SQLite file beside the project's metrics.yaml, so a
first run needs no server. Any SQLAlchemy URL (PostgreSQL, a warehouse) can
replace it through `WBR_DATABASE_URL` or the project's configuration.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool, Pool, StaticPool

from wbr.store.dialect import is_duckdb

DEFAULT_STORE_RELATIVE_PATH = Path(".wbr/wbr.db")
DEFAULT_RAW_STORE_RELATIVE_PATH = Path(".wbr/raw.duckdb")
DATABASE_URL_ENV = "WBR_DATABASE_URL"
# Raw tables may live in a store of their own: an analytical one (DuckDB) scans
# and aggregates raw rows 10-50x faster than SQLite, while app state stays in
# the transactional store (see docs/performance.md, "The store choice").
RAW_DATABASE_URL_ENV = "WBR_RAW_DATABASE_URL"
# DuckDB spills to disk past this, so a build's memory does not grow with the rows.
DUCKDB_MEMORY_LIMIT = "512MB"

# How long a SQLite connection waits for another process's write lock before
# failing with "database is locked": long enough for a web request to outlast a
# load committing, short enough that a stuck writer is reported.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# DuckDB lets one process at a time open its file; another one waits this long.
DUCKDB_LOCK_TIMEOUT_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000
DUCKDB_LOCK_RETRY_SECONDS = 0.1

# Drivers users need not spell: psycopg 3 is the PostgreSQL driver we ship and
# test, and "postgres://" is the scheme many hosting providers hand out.
_DRIVER_ALIASES = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "spark": "spark+connect",
}
# Raw tables in Apache Spark, through Spark Connect (wbr/store/spark, docs/spark.md);
# registered by name so that `pyspark` is imported only when such a URL is used.
registry.register("spark.connect", "wbr.store.spark.dialect", "SparkConnectDialect")


def resolve_database_url(project_dir: Path, configured: str | None = None) -> str:
    """The store URL: `WBR_DATABASE_URL`, else `configured`, else the SQLite default.

    The environment wins so that one deployment can point a checked-in project
    at its own database without editing files.
    """
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_env:
        return from_env
    if configured and configured.strip():
        return configured.strip()
    db_path = (project_dir / DEFAULT_STORE_RELATIVE_PATH).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db_path}"


def uses_default_store(configured: str | None = None) -> bool:
    """Whether the main store is the embedded default (no URL given anywhere)."""
    from_env = os.environ.get(DATABASE_URL_ENV, "").strip()
    return not from_env and not (configured and configured.strip())


def resolve_raw_database_url(
    project_dir: Path, configured: str | None = None, *, main_is_default: bool = False
) -> str | None:
    """The raw tables' store URL, or None when they live in the main store.

    `WBR_RAW_DATABASE_URL` wins over `configured`, as for the main store. With
    neither, the embedded default pairs the SQLite app store with a DuckDB file
    for raw tables beside it; a store the user named (PostgreSQL, say) holds both.
    """
    from_env = os.environ.get(RAW_DATABASE_URL_ENV, "").strip()
    if from_env:
        return from_env
    if configured and configured.strip():
        return configured.strip()
    if not main_is_default:
        return None
    path = (project_dir / DEFAULT_RAW_STORE_RELATIVE_PATH).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"duckdb:///{path}"


def normalize_url(url: str | URL) -> URL:
    """Parse `url` and pick our default driver where the user named none."""
    parsed = make_url(url)
    driver = _DRIVER_ALIASES.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def create_store_engine(url: str | URL, *, lock_timeout_seconds: float | None = None) -> Engine:
    """An engine for the store, with SQLite tuned for one writer and many readers.

    `lock_timeout_seconds`: how long a DuckDB connection waits while another process
    holds the file (default DUCKDB_LOCK_TIMEOUT_SECONDS); a page view waits less.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "duckdb":
        return _duckdb_engine(parsed, lock_timeout_seconds)
    engine = create_engine(parsed)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


_duckdb_reserved: frozenset[str] | None = None  # DuckDB's reserved words, once read


def _reserved_words(dbapi_connection: Any) -> frozenset[str]:
    """The words DuckDB's parser does not take as a plain name, read once per process
    from a connection the engine opens anyway (a DuckDB of its own cost 0.036 s)."""
    global _duckdb_reserved
    if _duckdb_reserved is None:
        found = dbapi_connection.execute(
            "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved'"
        ).fetchall()
        _duckdb_reserved = frozenset(str(row[0]).lower() for row in found)
    return _duckdb_reserved


def _duckdb_engine(
    url: URL, lock_timeout_seconds: float | None, poolclass: type[Pool] = NullPool
) -> Engine:
    """DuckDB: one process may hold the file open for writing, so connections are
    not pooled (the file is free as soon as a command's work is done) and opening
    it waits, as SQLite's busy timeout does, while another process holds it."""
    engine = create_engine(url, poolclass=poolclass)

    @event.listens_for(engine, "do_connect")
    def _connect_when_free(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        wait = DUCKDB_LOCK_TIMEOUT_SECONDS if lock_timeout_seconds is None else lock_timeout_seconds
        deadline = time.monotonic() + wait
        while True:
            try:
                # The dialect's own connect (it wraps the connection for SQLAlchemy);
                # it consumes its arguments, so each attempt gets a fresh copy.
                return dialect.connect(*cargs, **copy.deepcopy(cparams))
            except Exception as error:  # duckdb.IOException; duckdb is optional here
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(DUCKDB_LOCK_RETRY_SECONDS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # A setting, not connection config: DuckDB refuses a second connection to
        # the same file with a different config (a `store: true` SQL source opens one).
        dbapi_connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        # The dialect quotes PostgreSQL's reserved words; DuckDB reserves more ("by",
        # "at", "asof", "semi", ...), and a raw column so named broke every load. Set on
        # connecting, before any statement of the engine is compiled.
        preparer = engine.dialect.identifier_preparer
        preparer.reserved_words = preparer.reserved_words | _reserved_words(dbapi_connection)

    return engine


@dataclass(frozen=True)
class HeldStore:
    """The raw store's engine for the steps of one refresh (see `held_open`)."""

    engine: Engine
    owned: bool  # an engine held_open made (DuckDB), not the caller's own

    def release(self) -> None:
        """Close the held connection now; the next step opens the file again. Nothing
        for the caller's own engine: disposing it would drop an in-memory store."""
        if self.owned:
            self.engine.dispose()


@contextmanager
def held_open(engine: Engine) -> Iterator[HeldStore]:
    """`engine`; for a DuckDB file, an engine that keeps one connection open until the
    block ends, so that the steps of one refresh (its loads, then the computation) open
    the file once instead of once each: 0.02-0.04 s to open, and a checkpoint to close.

    The file stays held between the steps, which a refresh holds it for anyway; a deck
    page that needs the raw rows meanwhile waits or shows N/A, as during either step.
    DuckDB keeps the memory a connection used until it closes: after a load of whole
    files (a first build), `release()` closes it, so the computation's peak does not add
    to the load's (30 MB at 300 columns); the next step opens it again.
    """
    if not is_duckdb(engine):
        yield HeldStore(engine, owned=False)
        return
    held = _duckdb_engine(engine.url, None, poolclass=StaticPool)
    try:
        yield HeldStore(held, owned=True)
    finally:
        held.dispose()


# An execution option: `connection.execution_options(**WRITE_AT_ONCE)` before `begin()`
# makes SQLite's transaction take the write lock when it starts. Two transactions that
# both read and then write (two processes migrating a new store) otherwise deadlock,
# and SQLite fails one at once with "database is locked" instead of waiting.
SQLITE_BEGIN = "wbr_sqlite_begin"
WRITE_AT_ONCE = {SQLITE_BEGIN: "IMMEDIATE"}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Python's sqlite3 (before 3.12's `autocommit`) does not BEGIN before DDL,
        # so CREATE/DROP/ALTER would commit on their own and a failed reload
        # could not roll back. We turn its handling off and BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _use_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock at once (see `WRITE_AT_ONCE`).
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _use_wal(cursor: Any) -> None:
    """WAL journaling, which lets the web app read while a load writes.

    Switching a new database to WAL needs it to itself, and SQLite does not wait
    for that: while another process that opened it at the same moment holds it,
    the switch fails at once with "database is locked". The mode stays in the
    file, so the switch is tried until it or another process has made it."""
    import sqlite3

    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise  # a read-only file, a full disk: nothing to wait for
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


_PASSWORD_IN_URL = re.compile(r"(//[^:/@]*:)[^@]*@")


def describe_url(url: str | URL) -> str:
    """The URL with any password replaced by `***`, safe for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        # Not a URL SQLAlchemy understands; still never echo a secret.
        return _PASSWORD_IN_URL.sub(r"\1***@", str(url))
