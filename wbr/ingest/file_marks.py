"""What a CSV file looked like when it was last loaded, to read only what was appended.

A weekly refresh usually finds last week's file with a week of rows added at its end.
After each load of a file source the raw store keeps the file's size, modification
time and checksums of its first and last blocks, in the same transaction as the rows
(so a mark never describes rows that were not committed). At the next load, a file
that only grew — same first block, same last block at the old size, larger now —
needs only its new bytes read; anything else (a rewritten, truncated or replaced file,
an edited source definition) is a full read as before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection

from wbr.registry.sources import SourceBase
from wbr.store.schema import FILE_MARKS_TABLE

# Checksummed at both ends of the file: 64 KiB cost microseconds to read, and an edit of
# the first or last rows (the usual restatement) changes one of them.
BLOCK_BYTES = 64 * 1024
MARKS_TABLE = FILE_MARKS_TABLE  # in the raw store, beside the raw tables it describes

_marks = sa.Table(
    MARKS_TABLE,
    sa.MetaData(),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime", sa.Double, nullable=False),  # DOUBLE: a FLOAT is 32-bit in DuckDB
    sa.Column("head_sha", sa.Text, nullable=False),
    sa.Column("tail_sha", sa.Text, nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class FileMark:
    path: str
    size: int
    mtime: float
    head_sha: str  # of the first BLOCK_BYTES
    tail_sha: str  # of the last BLOCK_BYTES before `size`
    definition: str  # hash of the source's declaration: a changed one is a full read


def definition_hash(source: SourceBase) -> str:
    text = json.dumps(source.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _sha(path: Path, start: int, stop: int) -> str:
    with path.open("rb") as handle:
        handle.seek(start)
        return hashlib.sha256(handle.read(stop - start)).hexdigest()


def measure(path: Path, source: SourceBase) -> FileMark:
    """The file as it is now."""
    stat = path.stat()
    size = stat.st_size
    return FileMark(
        str(path.resolve()),
        size,
        stat.st_mtime,
        _sha(path, 0, min(size, BLOCK_BYTES)),
        _sha(path, max(0, size - BLOCK_BYTES), size),
        definition_hash(source),
    )


def appended_from(previous: FileMark | None, now: FileMark, path: Path) -> int | None:
    """The byte offset where new rows start, if the file only grew since `previous`.

    None: read the whole file (no mark, another file or definition, or not an append).
    An offset equal to the size means the file is unchanged.
    """
    if previous is None or previous.path != now.path or previous.definition != now.definition:
        return None
    if now.size < previous.size or previous.size <= BLOCK_BYTES:
        return None  # shrunk, or too small for the two blocks to tell an edit apart
    with path.open("rb") as handle:
        # New bytes are read behind a copy of the header's first line: a header with a
        # quoted line break in a name (an odd number of quotes on its first line) spans
        # more lines, so such a file is read whole.
        if handle.readline().count(b'"') % 2:
            return None
        if now.size == previous.size:
            return now.size if now == previous else None  # unchanged, or rewritten in place
        if _sha(path, 0, BLOCK_BYTES) != previous.head_sha:
            return None
        if _sha(path, previous.size - BLOCK_BYTES, previous.size) != previous.tail_sha:
            return None
        handle.seek(previous.size - 1)  # the old end must be the end of a line
        if handle.read(1) != b"\n":
            return None
    return previous.size


def read_mark(connection: Connection, source_name: str) -> FileMark | None:
    if not sa.inspect(connection).has_table(MARKS_TABLE):
        return None
    row = connection.execute(sa.select(_marks).where(_marks.c.source == source_name)).first()
    if row is None:
        return None
    return FileMark(row.path, row.size, row.mtime, row.head_sha, row.tail_sha, row.definition)


def write_mark(connection: Connection, source_name: str, mark: FileMark | None) -> None:
    """Remember `mark` for the source (None: forget it), in the load's transaction."""
    if mark is None and not sa.inspect(connection).has_table(MARKS_TABLE):
        return  # nothing to forget: a store whose loads never marked a file stays without
    _marks.create(connection, checkfirst=True)
    connection.execute(sa.delete(_marks).where(_marks.c.source == source_name))
    if mark is not None:
        values = {"source": source_name, **mark.__dict__}
        connection.execute(sa.insert(_marks).values(**values))
