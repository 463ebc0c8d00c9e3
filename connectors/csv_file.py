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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from connectors.base import Batch, ConnectorError, Since
from connectors.files import resolve_files, total_bytes
from wbr.registry.sources import ColumnType, CsvSource, SourceBase

# utf-8-sig decodes plain UTF-8 too, and drops the BOM Excel writes before the header.
ENCODING = "utf-8-sig"
WHITESPACE = "whitespace"
# Python's csv module refuses longer fields; as large as its C long allows everywhere.
MAX_FIELD_BYTES = 2**31 - 1  # `delimiter: whitespace`: columns aligned with spaces or tabs


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
        try:
            header = [str(name) for name in pd.read_csv(path, nrows=0, **self._options()).columns]
        except pd.errors.EmptyDataError:
            raise self._error("the file is empty (no header row)", path=path) from None
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc, path) from None
        except (pd.errors.ParserError, OSError) as exc:
            raise self._error(f"cannot read the header ({exc})", path=path) from None
        if self.source.date_column not in header:
            raise self._error(
                f"date column {self.source.date_column!r} not found; the columns are: "
                f"{', '.join(header)}",
                path=path,
                hint="Fix `date_column:` in metrics.yaml",
            )
        return header

    def _read(self, path: Path, columns: list[str]) -> Iterator[tuple[Batch, int]]:
        as_text = {self.source.date_column} | {
            name for name, kind in self.source.columns.items() if kind is ColumnType.TEXT
        }
        records_before = 0  # data records in earlier chunks of this file
        origin = f"file {str(path)!r}"
        try:
            with (
                path.open("rb") as handle,
                pd.read_csv(
                    handle,
                    chunksize=self.source.batch_rows,
                    dtype={name: str for name in as_text if name in columns},
                    **self._options(),
                ) as reader,
            ):
                for chunk in reader:
                    locate = functools.partial(self._lines, path, records_before)
                    records_before += len(chunk)
                    yield Batch(chunk[columns], origin=origin, locate=locate), handle.tell()
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc, path) from None
        except pd.errors.ParserError as exc:
            raise self._error(f"the file is not valid CSV ({exc})", path=path) from None

    def _lines(self, path: Path, records_before: int, positions: Sequence[int]) -> list[int]:
        return lines_of_records(path, [records_before + p for p in positions], self._csv_dialect())

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


def lines_of_records(path: Path, records: Sequence[int], dialect: dict[str, Any]) -> list[int]:
    """The 1-based lines in `path` where data records `records` (0-based) start.

    pandas counts records, not lines: a quoted field may span lines and blank
    lines are skipped. Only on the error path, we rescan the file the same way.
    """
    wanted = set(records)
    found: dict[int, int] = {}
    # pandas reads fields of any length; Python's csv stops at 128 KiB unless told.
    limit = csv.field_size_limit(MAX_FIELD_BYTES)
    try:
        _scan(path, wanted, found, dialect)
    finally:
        csv.field_size_limit(limit)
    # Unreachable for files pandas read; fall back to "one record per line".
    return [found.get(record, record + 2) for record in records]


def _scan(path: Path, wanted: set[int], found: dict[int, int], dialect: dict[str, Any]) -> None:
    with path.open(newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle, **dialect)
        next(reader, None)  # the header
        seen = 0
        start = reader.line_num + 1
        for row in reader:
            blank = not "".join(row).strip()
            if not blank:
                if seen in wanted:
                    found[seen] = start
                    if len(found) == len(wanted):
                        break
                seen += 1
            start = reader.line_num + 1
