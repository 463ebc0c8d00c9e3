"""The store: URL resolution, engine settings, migrations and schema drift."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, select, text

from wbr.store import (
    DATABASE_URL_ENV,
    create_store_engine,
    current_revision,
    describe_url,
    head_revision,
    load_runs,
    metadata,
    metric_values,
    migrate,
    resolve_database_url,
)
from wbr.store.migration import MIGRATIONS_DIR
from wbr.store.schema import is_app_table

MIGRATIONS = MIGRATIONS_DIR / "versions"

APP_TABLES = set(metadata.tables)  # every table schema.py declares


def _drift(engine: Engine, target: MetaData) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: (
                    type_ != "table" or is_app_table(name)
                ),
            },
        )
        return list(compare_metadata(context, target))


def test_fresh_store_has_no_revision(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        assert current_revision(engine) is None
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_migrate_creates_the_app_tables(store_engine: Engine) -> None:
    tables = set(inspect(store_engine).get_table_names())
    assert tables == APP_TABLES | {"alembic_version"}
    # The head is the newest numbered migration file: the chain has no gaps or branches.
    newest = max(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py")).name[:4]
    assert current_revision(store_engine) == head_revision() == newest
    inspector = inspect(store_engine)
    assert inspector.get_pk_constraint("metric_values")["constrained_columns"] == [
        "metric",
        "grain",
        "period_start",
        "period_end",
    ]
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("metric_values")}
    assert indexes == {"ix_metric_values_grain_period_end": ["grain", "period_end"]}


def test_migrate_twice_is_a_noop_and_keeps_data(store_engine: Engine) -> None:
    row = {
        "metric": "orders",
        "grain": "week",
        "period_start": date(2024, 1, 7),
        "period_end": date(2024, 1, 13),
        "value": 42.0,
        "numerator": None,
        "denominator": None,
        "days_present": 7,
        "days_expected": 7,
        "complete": True,
        "computed_at": datetime(2024, 1, 14, 9, 30, tzinfo=UTC),
    }
    with store_engine.begin() as connection:
        connection.execute(metric_values.insert(), [row])

    migrate(store_engine)

    assert current_revision(store_engine) == head_revision()
    with store_engine.connect() as connection:
        stored = connection.execute(select(metric_values)).mappings().one()
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head_revision(),)]
    assert stored["period_end"] == date(2024, 1, 13)
    assert stored["value"] == 42.0
    assert stored["complete"] is True


def test_migrated_schema_has_no_drift_from_schema_py(store_engine: Engine) -> None:
    assert _drift(store_engine, metadata) == []


def test_drift_check_does_notice_a_difference(store_engine: Engine) -> None:
    """Guards the test above: a changed model must show up as drift."""
    changed = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(changed)
    Table("extra", changed, Column("id", Integer, primary_key=True))
    diffs = _drift(store_engine, changed)
    assert [diff[0] for diff in diffs] == ["add_table"]
    assert diffs[0][1].name == "extra"


def test_raw_tables_are_not_drift(store_engine: Engine) -> None:
    with store_engine.begin() as connection:
        connection.execute(text("CREATE TABLE raw_orders (day DATE)"))
    assert _drift(store_engine, metadata) == []


def test_load_runs_ids_autoincrement(store_engine: Engine) -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    base = {"source": "s", "table_name": "raw_s", "started_at": now, "status": "running"}
    with store_engine.begin() as connection:
        first = connection.execute(load_runs.insert().values(base)).inserted_primary_key
        second = connection.execute(load_runs.insert().values(base)).inserted_primary_key
    assert first is not None and second is not None
    assert second[0] == first[0] + 1


def test_failed_transaction_rolls_back_ddl(store_engine: Engine) -> None:
    """Atomic reloads rely on transactional DDL, which sqlite3 disables by default."""
    with pytest.raises(RuntimeError), store_engine.begin() as connection:
        connection.execute(text("CREATE TABLE raw_scratch (id INTEGER)"))
        raise RuntimeError("boom")
    assert "raw_scratch" not in inspect(store_engine).get_table_names()


def test_sqlite_is_tuned_for_concurrent_readers(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_postgresql_url_uses_psycopg_3() -> None:
    # create_engine does not connect, so no server is needed here.
    for url in ("postgresql://u:p@db.example/wbr", "postgres://u:p@db.example/wbr"):
        engine = create_store_engine(url)
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
        engine.dispose()


def test_url_precedence_env_then_configured_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    default = resolve_database_url(tmp_path)
    assert default == f"sqlite:///{tmp_path.resolve()}/.wbr/wbr.db"
    assert (tmp_path / ".wbr").is_dir()

    configured = "postgresql://configured@db/wbr"
    assert resolve_database_url(tmp_path, configured) == configured

    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://from-env@db/wbr")
    assert resolve_database_url(tmp_path, configured) == "postgresql://from-env@db/wbr"
    assert resolve_database_url(tmp_path) == "postgresql://from-env@db/wbr"


def test_default_url_does_not_create_folders_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    resolve_database_url(tmp_path, "sqlite:///elsewhere.db")
    assert not (tmp_path / ".wbr").exists()


def test_describe_url_hides_the_password() -> None:
    described = describe_url("postgresql+psycopg://wbr:s3cret@db.example:5432/wbr")
    assert "s3cret" not in described
    assert described == "postgresql+psycopg://wbr:***@db.example:5432/wbr"
    assert describe_url("sqlite:///x/wbr.db") == "sqlite:///x/wbr.db"
    assert "s3cret" not in describe_url("not a url://wbr:s3cret@host")


MIGRATE_IN_A_CHILD = """
import sys, time
from wbr.store import create_store_engine, migrate
import alembic.command  # imported before the start, so that the children meet there
engine = create_store_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
migrate(engine)
engine.dispose()
"""


@pytest.mark.parametrize(
    "store_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_processes_migrating_a_fresh_store_at_once_all_succeed(
    tmp_path: Path, store_kind: str, request: pytest.FixtureRequest
) -> None:
    """The scheduler, the web app and a `wbr status` started together on a new project
    each migrate the store: none may fail because another holds it."""
    import subprocess
    import sys
    import time

    for attempt in range(3):
        if store_kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'store{attempt}.db'}"
        else:
            url = request.getfixturevalue("postgres_schema_url")
        start = time.time() + 2.5  # every child has started and imported by then
        children = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_IN_A_CHILD, url, str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for child in children:
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
        engine = create_store_engine(url)
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
        if store_kind == "postgres":
            break  # one schema per test: the advisory lock is what is tested


class _RefusingCursor:
    """A cursor whose WAL switch fails with `error`, counting the attempts."""

    def __init__(self, error: str) -> None:
        self.error, self.attempts = error, 0

    def execute(self, statement: str) -> _RefusingCursor:
        if statement == "PRAGMA journal_mode=WAL":
            import sqlite3

            self.attempts += 1
            raise sqlite3.OperationalError(self.error)
        self.mode = "wal" if self.attempts >= 3 else "delete"  # another process switched it
        return self

    def fetchone(self) -> tuple[str]:
        return (self.mode,)


def test_the_wal_switch_waits_only_for_a_lock() -> None:
    import sqlite3

    from wbr.store.engine import _use_wal

    locked = _RefusingCursor("database is locked")
    _use_wal(locked)  # returns once the file is in WAL mode, switched by another process
    assert locked.attempts == 3
    read_only = _RefusingCursor("attempt to write a readonly database")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        _use_wal(read_only)
    assert read_only.attempts == 1  # raised at once, not retried for the busy timeout
