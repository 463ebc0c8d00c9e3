"""The CSV connector: one file, or a glob of files, read in chunks with pandas.

Values arrive as pandas reads them; the date column and columns declared as
text are kept as text, so that only the core's parser (with the declared
`date_format`) turns them into dates and "00042" stays "00042". Every batch
says which file it came from and can map its rows to line numbers, so a bad
value is reported with its file and line; a file that cannot be read at all is
a `ConnectorError` naming it, never a pandas traceback.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar

from connectors.base import Batch, ConnectorError, Since
from connectors.files import resolve_files, total_bytes
from wbr.registry.sources import ColumnType, CsvSource, SourceBase

# utf-8-sig decodes plain UTF-8 too, and drops the BOM Excel writes before the header.
ENCODING = "utf-8-sig"
WHITESPACE = "whitespace"
# Python's csv module refuses longer fields; as large as its C long allows everywhere.
MAX_FIELD_BYTES = 2**31 - 1  # `delimiter: whitespace`: columns aligned with spaces or tabs
COUNT_BLOCK_BYTES = 1 << 20  # newlines before an appended part are counted a MiB at a time


class CsvConnector:
    kind: ClassVar[str] = "csv"

    def __init__(self, source_name: str, source: SourceBase, base_dir: Path) -> None:
        if not isinstance(source, CsvSource):
            raise ConnectorError(f"not a CSV source (kind {source.kind!r})", source=source_name)
        self.source_name = source_name
        self.source = source
        self.base_dir = base_dir

    def files(self) -> list[Path]:
        """The files to read, in sorted order when `path` is a glob pattern."""
        return resolve_files(self.source.path, self.base_dir, self.source_name)

    def extract(self, since: Since = None) -> Iterator[Batch]:
        # A CSV cannot be filtered before it is read: the core drops rows before `since`.
        files = self.files()
        size = total_bytes(files)
        read_before = 0
        columns: list[str] | None = None
        for path in files:
            header = self.header(path)
            if columns is None:
                columns = header
            elif set(header) != set(columns):
                raise self._error(
                    f"columns differ from the first file's ({', '.join(columns)})",
                    path=path,
                    value=", ".join(header),
                )
            for batch, position in self._read(path, columns):
                yield Batch(
                    batch.frame,
                    origin=batch.origin,
                    row_label="line",
                    locate=batch.locate,
                    done=(read_before + position) / size,
                )
            read_before += path.stat().st_size

    def extract_range(self, path: Path, start: int, stop: int) -> Generator[Batch]:
        """The rows in bytes [start, stop) of `path`, `start` being 0 or where a line
        starts: with 0 the file as it was `stop` bytes long, else what was appended to it
        since it was `start` bytes long. Bytes past `stop` (written while this load runs)
        are left for the next load, so a mark of the file at `stop` bytes stays true."""
        columns = self.header(path)
        for batch, position in self._read(path, columns, start, stop):
            done = (position - start) / max(stop - start, 1)
            yield Batch(
                batch.frame,
                origin=batch.origin,
                row_label="line",
                locate=batch.locate,
                done=min(done, 1.0),
            )

    def _options(self) -> dict[str, Any]:
        delimiter = self.source.delimiter
        options: dict[str, Any] = {
            "encoding": ENCODING,
            "thousands": self.source.thousands,
            "skipinitialspace": True,  # "date, revenue" names the column "revenue"
        }
        if delimiter == WHITESPACE:
            options["sep"] = r"\s+"
        else:
            options["sep"] = delimiter
        return options

    def header(self, path: Path) -> list[str]:
        """The column names of `path`; a `ConnectorError` naming the file if it has none."""
        header = plain_header(path, self.source.delimiter)
        if header is None:
            header = self._header_by_pandas(path)
        if self.source.date_column not in header:
            raise self._error(
                f"date column {self.source.date_column!r} not found; the columns are: "
                f"{', '.join(header)}",
                path=path,
                hint="Fix `date_column:` in metrics.yaml",
            )
        return header

    def _header_by_pandas(self, path: Path) -> list[str]:
        import pandas as pd  # only here and in `_read`: DuckDB reads most files itself

        try:
            header = [str(name) for name in pd.read_csv(path, nrows=0, **self._options()).columns]
        except pd.errors.EmptyDataError:
            raise self._error("the file is empty (no header row)", path=path) from None
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc, path) from None
        except (pd.errors.ParserError, OSError) as exc:
            raise self._error(f"cannot read the header ({exc})", path=path) from None
        return header

    def _read(
        self, path: Path, columns: list[str], start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[Batch, int]]:
        """Batches of the whole file, or of bytes [start, stop) read under its header."""
        import pandas as pd

        as_text = {self.source.date_column} | {
            name for name, kind in self.source.columns.items() if kind is ColumnType.TEXT
        }
        records_before = 0  # data records in earlier chunks of this file (or part)
        origin = f"file {str(path)!r}"
        try:
            with path.open("rb") as handle:
                stream: IO[bytes] = handle
                if start or stop is not None:
                    header = handle.readline() if start else b""
                    stream = io.BufferedReader(_Part(handle, header, start, stop))
                with pd.read_csv(
                    stream,
                    chunksize=self.source.batch_rows,
                    dtype={name: str for name in as_text if name in columns},
                    **self._options(),
                ) as reader:
                    for chunk in reader:
                        locate = functools.partial(self._lines, path, records_before, start)
                        records_before += len(chunk)
                        yield Batch(chunk[columns], origin=origin, locate=locate), handle.tell()
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc, path) from None
        except pd.errors.ParserError as exc:
            raise self._error(f"the file is not valid CSV ({exc})", path=path) from None

    def _lines(
        self, path: Path, records_before: int, start: int, positions: Sequence[int]
    ) -> list[int]:
        records = [records_before + p for p in positions]
        return lines_of_records(path, records, self._csv_dialect(), start)

    def _csv_dialect(self) -> dict[str, Any]:
        if self.source.delimiter == WHITESPACE:
            return {"delimiter": " ", "skipinitialspace": True}
        return {"delimiter": self.source.delimiter, "skipinitialspace": True}

    def _not_utf8(self, exc: UnicodeDecodeError, path: Path) -> ConnectorError:
        return self._error(
            f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
            path=path,
            hint="Save it as UTF-8 CSV",
        )

    def _error(
        self,
        problem: str,
        *,
        path: Path,
        line: int | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> ConnectorError:
        return ConnectorError(
            problem, source=self.source_name, path=path, line=line, value=value, hint=hint
        )


HEADER_SCAN_BYTES = 1 << 20  # a header line longer than this is left to pandas
_PLAIN_NAME_EDGES = (" ", "\t")


def plain_header(path: Path, delimiter: str) -> list[str] | None:
    """The names of a plain header line, as pandas reads them; None: ask pandas.

    Plain: UTF-8, one character between the names, none of them empty, repeated,
    quoted or starting or ending with a blank. Such a line pandas splits exactly so,
    and reading it here spares importing pandas (0.2 s, 100 MB) on a load that DuckDB
    does itself. Anything else (quotes, a blank first line, names pandas renames) is
    pandas' to read, errors included.
    """
    if len(delimiter) != 1 or delimiter in ('"', "\r", "\n") or delimiter.isspace():
        return None
    try:
        with path.open("rb") as handle:
            first = handle.readline(HEADER_SCAN_BYTES)
    except OSError:
        return None
    if not first.endswith(b"\n"):
        return None  # longer than the scan, or the file's only line: pandas decides
    try:
        line = first.decode(ENCODING).removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    # A second BOM (the encoding drops only the first), a quote, a stray line end.
    if not line or any(mark in line for mark in ('"', "\r", "\x00", "\ufeff")):
        return None
    names = line.split(delimiter)
    for name in names:
        if not name or name.startswith(_PLAIN_NAME_EDGES) or name.endswith(_PLAIN_NAME_EDGES):
            return None
    return names if len(set(names)) == len(names) else None


class _Part(io.RawIOBase):
    """A file's header line, then its bytes from `start` to `stop` (None: its end): what
    pandas would read from a file holding only the rows appended since `start`."""

    def __init__(self, handle: IO[bytes], header: bytes, start: int, stop: int | None) -> None:
        self._handle = handle
        self._pending = header
        self._left = stop - start if stop is not None else None
        handle.seek(start)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pending:
            count = min(len(view), len(self._pending))
            view[:count] = self._pending[:count]
            self._pending = self._pending[count:]
            return count
        wanted = len(view) if self._left is None else min(len(view), self._left)
        if wanted <= 0:
            return 0
        data = self._handle.read(wanted)
        view[: len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)


def lines_of_records(
    path: Path, records: Sequence[int], dialect: dict[str, Any], start: int = 0
) -> list[int]:
    """The 1-based lines in `path` where data records `records` (0-based) start,
    counting records from byte `start` (a line's start; 0: after the header).

    pandas counts records, not lines: a quoted field may span lines and blank
    lines are skipped. Only on the error path, we rescan the file the same way.
    """
    wanted = set(records)
    found: dict[int, int] = {}
    # pandas reads fields of any length; Python's csv stops at 128 KiB unless told.
    limit = csv.field_size_limit(MAX_FIELD_BYTES)
    try:
        with path.open("rb") as handle:
            lines_before = _newlines_before(handle, start)
            handle.seek(start)
            text = io.TextIOWrapper(handle, encoding=ENCODING, newline="")
            _scan(text, wanted, found, dialect, header=not start, lines_before=lines_before)
    finally:
        csv.field_size_limit(limit)
    # Unreachable for files pandas read; fall back to "one record per line".
    first = 2 if not start else lines_before + 1
    return [found.get(record, record + first) for record in records]


def _newlines_before(handle: IO[bytes], stop: int) -> int:
    count = 0
    handle.seek(0)
    while handle.tell() < stop:
        block = handle.read(min(COUNT_BLOCK_BYTES, stop - handle.tell()))
        if not block:
            break
        count += block.count(b"\n")
    return count


def _scan(
    handle: IO[str],
    wanted: set[int],
    found: dict[int, int],
    dialect: dict[str, Any],
    *,
    header: bool,
    lines_before: int,
) -> None:
    reader = csv.reader(handle, **dialect)
    if header:
        next(reader, None)
    seen = 0
    start = reader.line_num + 1
    for row in reader:
        blank = not "".join(row).strip()
        if not blank:
            if seen in wanted:
                found[seen] = lines_before + start
                if len(found) == len(wanted):
                    break
            seen += 1
        start = reader.line_num + 1
