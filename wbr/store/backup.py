"""A backup of the app state, and its restore, on any store the app runs on.

The app state is every table the migrations own (`wbr.store.schema`): people,
delegates, notes with every revision, flags, metric values and compute state, load,
detection and scheduled runs, the outbox, the audit log and the app's settings.
Not in it: the raw tables (a copy of the sources, reloaded by `wbr refresh`), and
what belongs to live processes (sign-in sessions, the refresh lock).

The file is gzip-compressed JSON lines: a header naming the schema revision, then
one line per row. Values are written by column type (dates and times as ISO text
in UTC, binary as base64), so a backup of SQLite restores into PostgreSQL and back.
A backup made at an older revision is restored through the migrations: its rows go
into a scratch SQLite store at that revision, which is upgraded to the head, then
copied; the migrations that upgrade a live store are the ones that upgrade a backup.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Final

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    delete,
    func,
    inspect,
    select,
    text,
)

from wbr.errors import WbrError
from wbr.store.dialect import is_postgresql
from wbr.store.engine import create_store_engine
from wbr.store.migration import alembic_config, current_revision, head_revision
from wbr.store.schema import metadata

FORMAT: Final = "wbr-backup"
FORMAT_VERSION: Final = 1
# Live processes' state: restoring it would revive sessions and locks of processes
# that are gone.
NOT_BACKED_UP: Final = frozenset({"web_sessions", "job_locks"})
BATCH_ROWS: Final = 2_000


class BackupError(WbrError):
    """A backup could not be read or restored; the store is unchanged."""


@dataclass(frozen=True)
class BackupSummary:
    revision: str
    rows: dict[str, int]  # table → rows

    def describe(self) -> str:
        shown = ("people", "notes", "note_revisions", "anomaly_flags", "metric_values")
        parts = [f"{self.rows.get(name, 0):,} {name}" for name in shown]
        total = sum(self.rows.values())
        return f"{total:,} rows in {len(self.rows)} tables ({', '.join(parts)})"


def backed_up_tables() -> list[Table]:
    """The app tables in the backup, in the schema's order."""
    return [table for table in metadata.sorted_tables if table.name not in NOT_BACKED_UP]


# -- values ------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite keeps UTC, naive
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column_type: Any) -> Any:
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat
    if isinstance(column_type, Date):
        return date.fromisoformat
    if isinstance(column_type, LargeBinary):
        return base64.b64decode
    if isinstance(column_type, Boolean):
        return bool
    return None


def _decode_rows(table: Table, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    decoders = {column.name: _decoder(column.type) for column in table.columns}
    for row in rows:
        unknown = set(row) - set(decoders)
        if unknown:
            raise BackupError(f"table {table.name} has no column(s) {', '.join(sorted(unknown))}")
        yield {
            name: (decoders[name](value) if value is not None and decoders[name] else value)
            for name, value in row.items()
        }


# -- writing -----------------------------------------------------------------------


def write_backup(engine: Engine, path: Path) -> BackupSummary:
    """Write the app state of `engine`'s store to `path` (replaced only once complete).

    The rows are read in one transaction, so the backup is one consistent moment
    even while the web app writes notes and the scheduler refreshes.
    """
    revision = current_revision(engine)
    if revision is None:
        raise BackupError("the store has no schema yet: there is nothing to back up")
    rows: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        options = (
            {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
        )
        with (
            gzip.open(scratch, "wt", encoding="utf-8") as out,
            engine.connect().execution_options(**options) as connection,
            connection.begin(),
        ):
            present = set(inspect(connection).get_table_names())
            tables = [table for table in backed_up_tables() if table.name in present]
            header = {"format": FORMAT, "version": FORMAT_VERSION, "revision": revision}
            header["created_at"] = datetime.now(UTC).isoformat()
            header["tables"] = [table.name for table in tables]
            out.write(json.dumps(header) + "\n")
            for table in tables:
                rows[table.name] = _dump_table(connection, table, out)
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return BackupSummary(revision, rows)


def as_stored(connection: Connection, table: Table) -> Table:
    """`table` as this store has it. At an older revision: the columns of today's that it
    has, and those a later revision moved away (the daily arrays of `metric_series`
    until 0009), so a backup of it keeps every value and restores through the
    migrations, which move them."""
    present = {column["name"]: column for column in inspect(connection).get_columns(table.name)}
    known = [column for column in table.columns if column.name in present]
    moved = [name for name in present if name not in table.c]
    if len(known) == len(table.columns) and not moved:
        return table
    return Table(
        table.name,
        MetaData(),
        *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in known),
        *(Column(name, present[name]["type"], nullable=True) for name in moved),
    )


def _dump_table(connection: Connection, table: Table, out: IO[str]) -> int:
    stored = as_stored(connection, table)
    columns = list(stored.columns)
    query = select(*columns).order_by(*(stored.primary_key.columns or columns))
    count = 0
    for row in connection.execution_options(yield_per=BATCH_ROWS).execute(query).mappings():
        values = {name: _encode(value) for name, value in row.items()}
        out.write(json.dumps({"t": table.name, "r": values}) + "\n")
        count += 1
    return count


# -- reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Backup:
    path: Path
    revision: str
    tables: list[str]


def _open(path: Path) -> IO[str]:
    try:
        return gzip.open(path, "rt", encoding="utf-8")
    except OSError as error:
        raise BackupError(f"cannot read the backup {path}: {error.strerror}") from error


def read_header(path: Path) -> _Backup:
    try:
        with _open(path) as lines:
            header = json.loads(lines.readline())
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"{path} is not a wbr backup (a gzip file of JSON lines)") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a wbr backup: its first line has no `format: {FORMAT}`")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path} is backup format {header.get('version')}; this wbr reads 1")
    revision, tables = header.get("revision"), header.get("tables")
    if not isinstance(revision, str) or not isinstance(tables, list):
        raise BackupError(f"{path}: the header lacks the schema revision or the tables")
    known = {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
    if revision not in known:
        raise BackupError(
            f"{path} was made at schema revision {revision}, which this wbr does not know "
            "(a newer wbr made it?): restore it with that version, or a newer one"
        )
    return _Backup(path, revision, [str(name) for name in tables])


def _rows(backup: _Backup) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (table, row) of the backup, checked line by line."""
    with _open(backup.path) as lines:
        lines.readline()
        number = 1
        try:
            for number, line in enumerate(lines, start=2):
                item = json.loads(line)
                if not isinstance(item, dict) or item.get("t") not in backup.tables:
                    raise BackupError(
                        f"{backup.path} line {number}: not a row of a backed-up table"
                    )
                if not isinstance(item.get("r"), dict):
                    raise BackupError(f"{backup.path} line {number}: the row is not a mapping")
                yield str(item["t"]), item["r"]
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BackupError(
                f"{backup.path} line {number}: the file is damaged or cut short ({error})"
            ) from error


# -- restoring ---------------------------------------------------------------------


def has_app_state(engine: Engine) -> bool:
    """Whether the store holds anything a restore would replace."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        for table in backed_up_tables():
            if (
                table.name in present
                and connection.execute(select(func.count()).select_from(table)).scalar()
            ):
                return True
    return False


def restore_backup(engine: Engine, path: Path) -> BackupSummary:
    """Replace the app state of `engine`'s store (at the head revision) with the backup's.

    One transaction: a damaged file or a failed insert leaves the store as it was.
    """
    backup = read_header(path)
    head = head_revision()
    if head is None or current_revision(engine) != head:
        raise BackupError("the store's schema is not up to date: open it with this wbr first")
    if backup.revision == head:
        return _replace(engine, _rows(backup), head)
    # An older backup: through the migrations, in a scratch SQLite store.
    with tempfile.TemporaryDirectory(prefix="wbr-restore-") as folder:
        scratch = create_store_engine(f"sqlite:///{Path(folder) / 'upgrade.db'}")
        try:
            with scratch.begin() as connection:
                command.upgrade(alembic_config(connection), backup.revision)
            _replace(scratch, _rows(backup), backup.revision)
            with scratch.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
            return _replace(engine, _rows_of(scratch), head)
        finally:
            scratch.dispose()


def _rows_of(engine: Engine) -> Iterator[tuple[str, dict[str, Any]]]:
    with engine.connect() as connection:
        for table in backed_up_tables():
            for row in connection.execute(select(table)).mappings():
                yield table.name, {name: _encode(value) for name, value in row.items()}


def _replace(
    engine: Engine, rows: Iterable[tuple[str, dict[str, Any]]], revision: str
) -> BackupSummary:
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        present = set(inspect(connection).get_table_names())
        tables = {
            table.name: as_stored(connection, table)
            for table in backed_up_tables()
            if table.name in present
        }
        for table in tables.values():
            connection.execute(delete(table))
        batch: list[dict[str, Any]] = []
        batch_table: str | None = None
        for name, row in rows:
            if name != batch_table or len(batch) >= BATCH_ROWS:
                _insert(connection, tables, batch_table, batch)
                batch, batch_table = [], name
            batch.append(row)
            counts[name] = counts.get(name, 0) + 1
        _insert(connection, tables, batch_table, batch)
        if is_postgresql(connection):
            _reset_sequences(connection, [tables[name] for name in counts])
    return BackupSummary(revision, counts)


def _insert(
    connection: Connection, tables: dict[str, Table], name: str | None, rows: list[dict[str, Any]]
) -> None:
    if name is None or not rows:
        return
    table = tables.get(name)
    if table is None:
        raise BackupError(f"the backup holds rows of {name}, a table this store does not have")
    try:
        connection.execute(table.insert(), list(_decode_rows(table, rows)))
    except (TypeError, ValueError) as error:
        raise BackupError(f"a row of {name} in the backup cannot be restored: {error}") from error


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: the next id of each restored table follows the largest restored one."""
    for table in tables:
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            ),
            {"table": table.name},
        )


__all__: Final = [
    "BackupError",
    "BackupSummary",
    "has_app_state",
    "read_header",
    "restore_backup",
    "write_backup",
]
