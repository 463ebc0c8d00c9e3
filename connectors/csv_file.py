"""The CSV connector: one file, or a glob of files, read in chunks with pandas.

Every mistake a user can make in a CSV is reported as a `ConnectorError` naming
the file, the line and the value, never as a pandas traceback.
"""

from __future__ import annotations

import csv
import glob
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from connectors.base import ConnectorError
from wbr.registry.models import CsvSource

# Rows per batch: bounded memory for any file size, few enough round trips.
CHUNK_ROWS = 50_000
# pandas' name for "ISO 8601, any precision", used when no date_format is given.
ISO_FORMAT = "ISO8601"
# utf-8-sig decodes plain UTF-8 too, and drops the BOM Excel writes before the header.
ENCODING = "utf-8-sig"
_GLOB_CHARACTERS = frozenset("*?[")
# Shared by the chunked read and the line finder, so both see the same records.
_READ_OPTIONS: dict[str, Any] = {
    "encoding": ENCODING,
    "thousands": ",",  # "1,234" in a numeric column is 1234
    "skipinitialspace": True,  # "date, revenue" names the column "revenue"
}


class CsvConnector:
    kind: ClassVar[str] = "csv"

    def __init__(self, source_name: str, source: CsvSource, base_dir: Path) -> None:
        self.source_name = source_name
        self.source = source
        self.base_dir = base_dir

    def files(self) -> list[Path]:
        """The files to read, in sorted order when `path` is a glob pattern."""
        pattern = self.source.path
        full = Path(pattern).expanduser()
        if not full.is_absolute():
            full = self.base_dir / full
        if _GLOB_CHARACTERS.intersection(pattern):
            matches = sorted(Path(match) for match in glob.glob(str(full), recursive=True))
            files = [match for match in matches if match.is_file()]
            if not files:
                raise self._error("no files match the pattern", path=full)
            return files
        if not full.is_file():
            raise self._error(
                "file not found", path=full, hint=f"Relative paths start at {self.base_dir}"
            )
        return [full]

    def extract(self) -> Iterator[pd.DataFrame]:
        columns: list[str] | None = None
        for path in self.files():
            header = self._header(path)
            if columns is None:
                columns = header
            elif set(header) != set(columns):
                raise self._error(
                    f"columns differ from the first file's ({', '.join(columns)})",
                    path=path,
                    value=", ".join(header),
                )
            yield from self._read(path, columns)

    def _header(self, path: Path) -> list[str]:
        try:
            header = [str(name) for name in pd.read_csv(path, nrows=0, **_READ_OPTIONS).columns]
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

    def _read(self, path: Path, columns: list[str]) -> Iterator[pd.DataFrame]:
        date_column = self.source.date_column
        records_before = 0  # data records in earlier chunks of this file
        try:
            # The date column is read as text so that only our parser, with the
            # declared format, ever turns it into dates.
            with pd.read_csv(
                path, chunksize=CHUNK_ROWS, dtype={date_column: str}, **_READ_OPTIONS
            ) as reader:
                for chunk in reader:
                    dates = self._parse_dates(chunk[date_column], path, records_before)
                    records_before += len(chunk)
                    yield chunk.assign(**{date_column: dates})[columns]
        except UnicodeDecodeError as exc:
            raise self._not_utf8(exc, path) from None
        except pd.errors.ParserError as exc:
            raise self._error(f"the file is not valid CSV ({exc})", path=path) from None

    def _parse_dates(
        self, values: pd.Series[Any], path: Path, records_before: int
    ) -> pd.Series[Any]:
        date_format = self.source.date_format or ISO_FORMAT
        try:
            parsed = pd.to_datetime(values, format=date_format, errors="coerce")
        except ValueError as exc:  # e.g. mixed UTC offsets
            raise self._error(f"cannot read the dates ({exc})", path=path) from None
        bad = parsed.isna().to_numpy()
        if not bad.any():
            return parsed
        position = int(np.flatnonzero(bad)[0])
        line = _line_of_record(path, records_before + position)
        value = values.iloc[position]
        if pd.isna(value):
            raise self._error(
                f"date column {self.source.date_column!r} is empty", path=path, line=line
            )
        raise self._error(
            f"cannot read the date in column {self.source.date_column!r} "
            f"with format {date_format!r}",
            path=path,
            line=line,
            value=value,
            hint="Fix the value, or set `date_format:` (a strptime format such as %d/%m/%Y)",
        )

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


def _line_of_record(path: Path, record_index: int) -> int:
    """The 1-based line in `path` where data record `record_index` (0-based) starts.

    pandas counts records, not lines: a quoted field may span lines and blank
    lines are skipped. Only on the error path, we rescan the file the same way.
    """
    with path.open(newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        next(reader, None)  # the header
        seen = 0
        start = reader.line_num + 1
        for row in reader:
            blank = len(row) <= 1 and not "".join(row).strip()
            if not blank:
                if seen == record_index:
                    return start
                seen += 1
            start = reader.line_num + 1
    # Unreachable for files pandas read; fall back to "one record per line".
    return record_index + 2
