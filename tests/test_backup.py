"""`wbr backup` / `wbr restore`: the app state survives the trip, on either store and
across them, a backup of an older wbr restores through the migrations, and a damaged
file or a store already in use is refused with the store unchanged."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import small_project as shop
from alembic import command
from click.testing import CliRunner
from revision_rows import WEEK, insert_rows, table_contents
from sqlalchemy import Engine
from web_support import FLAGGED, build_store

from wbr.cli import main
from wbr.notes.model import NoteTarget
from wbr.notes.store import delete_note, get_note, save_note
from wbr.store import create_store_engine, migrate
from wbr.store.backup import (
    BackupError,
    backed_up_tables,
    read_header,
    restore_backup,
    write_backup,
)
from wbr.store.migration import alembic_config


def _contents(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    return {table.name: table_contents(engine, table) for table in backed_up_tables()}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A store with computed values, a real flag, people, and notes with a history."""
    engine, _ = build_store(f"sqlite:///{tmp_path_factory.mktemp('backup') / 'store.db'}")
    target = NoteTarget(FLAGGED, shop.WEEK_ENDING, "robust")
    save_note(
        engine, target, status="investigating", text="Looking", author="ana", base_revision=None
    )
    save_note(
        engine, target, status="explained", text="CDN **outage**", author="ana", base_revision=1
    )
    gone = save_note(
        engine,
        NoteTarget("orders", shop.WEEK_ENDING, ""),
        status="explained",
        text="x",
        author="ben",
        base_revision=None,
    )
    delete_note(engine, gone.id, "ben")
    yield engine
    engine.dispose()


def test_backup_and_restore_keep_every_row(source: Engine, store_url: str, tmp_path: Path) -> None:
    backup = tmp_path / "wbr-backup.jsonl.gz"
    written = write_backup(source, backup)
    assert (
        written.rows["note_revisions"] == 4
    )  # a delete is a revision too and written.rows["people"] == 4
    assert written.rows["metric_values"] > 100 and written.rows["anomaly_flags"] >= 1

    target = create_store_engine(store_url)
    try:
        migrate(target)
        restored = restore_backup(target, backup)
        assert restored.rows == {k: v for k, v in written.rows.items() if v}
        assert _contents(target) == _contents(source)
        note = get_note(target, NoteTarget(FLAGGED, shop.WEEK_ENDING, "robust"))
        assert note is not None and [r.text for r in note.history] == ["Looking", "CDN **outage**"]
        # The restored store goes on numbering where the backup stopped.
        fresh = save_note(
            target,
            NoteTarget("revenue", WEEK, ""),
            status="explained",
            text="new",
            author="ben",
            base_revision=None,
        )
        assert fresh.id == 3
        # Restoring again replaces, never duplicates.
        restore_backup(target, backup)
        assert _contents(target) == _contents(source)
    finally:
        target.dispose()


@pytest.mark.parametrize("revision", ["0005", "0003"])
def test_a_backup_of_an_older_schema_restores_through_the_migrations(
    revision: str, store_url: str, tmp_path: Path
) -> None:
    old = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with old.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    insert_rows(old, revision)
    backup = tmp_path / "old.jsonl.gz"
    assert write_backup(old, backup).revision == revision

    target = create_store_engine(store_url)
    try:
        migrate(target)
        restore_backup(target, backup)
        migrate(old)  # the same rows upgraded in place: what the restore must equal
        assert _contents(target) == _contents(old)
    finally:
        target.dispose()
        old.dispose()


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_the_commands_refuse_a_store_in_use_and_a_damaged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WBR_DATABASE_URL", raising=False)
    registry = str(shop.write_project(tmp_path / "project"))
    assert _cli("refresh", "--registry", registry).exit_code == 0
    backup = tmp_path / "b.jsonl.gz"
    made = _cli("backup", str(backup), "--registry", registry)
    assert made.exit_code == 0, made.output
    assert "backed up" in made.output and read_header(backup).revision

    refused = _cli("restore", str(backup), "--registry", registry)
    assert refused.exit_code == 1 and "--replace" in refused.output
    assert _cli("restore", str(backup), "--registry", registry, "--replace").exit_code == 0

    # Cut short in the middle of the rows: refused with the line, the store unchanged.
    whole = gzip.decompress(backup.read_bytes()).decode().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl.gz"
    damaged.write_bytes(gzip.compress("".join(whole[: len(whole) // 2])[:-20].encode()))
    engine = create_store_engine(f"sqlite:///{tmp_path / 'project' / '.wbr' / 'wbr.db'}")
    try:
        before = _contents(engine)
        broken = _cli("restore", str(damaged), "--registry", registry, "--replace")
        assert broken.exit_code == 1 and "line" in broken.output, broken.output
        assert "Traceback" not in broken.output
        assert _contents(engine) == before
    finally:
        engine.dispose()
    for text in (b"", b"not gzip at all", gzip.compress(b'{"format": "other"}\n')):
        damaged.write_bytes(text)
        result = _cli("restore", str(damaged), "--registry", registry, "--replace")
        assert result.exit_code == 1 and "not a wbr backup" in result.output, result.output


def test_a_backup_from_a_newer_wbr_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.jsonl.gz"
    header = b'{"format": "wbr-backup", "version": 1, "revision": "9999", "tables": []}\n'
    newer.write_bytes(gzip.compress(header))
    with pytest.raises(BackupError, match="9999"):
        read_header(newer)
