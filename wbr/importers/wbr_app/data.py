"""Look at the reference app's CSV: its columns, its date column and date format.

The reference reads any date pandas can guess ("Sun, 05-Jan-2020", "1/1/21",
"2020-05-01"); wbr's CSV connector reads ISO dates or one declared strptime
format, so the importer finds the format that reads every sampled date.
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from wbr.errors import ConfigError
from wbr.importers.notes import ImportNote, NoteLevel

DATE_COLUMN = "Date"  # the column the reference app reads its dates from
SAMPLE_ROWS = 5_000  # enough to tell 1/2/21 (Jan 2) from 13/2/21 (Feb 13)
ENCODING = "utf-8-sig"  # as the CSV connector: plain UTF-8, or with Excel's BOM
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$")
# Tried in order; the first that reads every sampled date wins, so month-first
# (the reference's pandas default) comes before day-first.
DATE_FORMATS = (
    "%a, %d-%b-%Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%b %d, %Y",
    "%d %b %Y",
    "%Y%m%d",
)
_DAY_FIRST = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%y": "%d/%m/%y"}


@dataclass(frozen=True)
class DataProfile:
    columns: tuple[str, ...]
    date_column: str
    date_format: str | None  # None: ISO dates, the connector's default
    first_day: date | None
    last_day: date | None


def profile_csv(path: Path, notes: list[ImportNote]) -> DataProfile:
    """The CSV's columns and how to read its dates; a ConfigError if it cannot be read."""
    try:
        with path.open(newline="", encoding=ENCODING) as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            header = next(reader, None)
            if not header:
                raise ConfigError(f"{path} is empty: the reference app's CSV needs a header row")
            rows = list(itertools.islice(reader, SAMPLE_ROWS))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the data file {path}: {error}") from error
    columns = tuple(header)
    index = _date_column_index(columns, path, notes)
    values = [row[index].strip() for row in rows if len(row) > index and row[index].strip()]
    if not values:
        raise ConfigError(f"{path}: the date column {columns[index]!r} has no dates")
    date_format, parsed = _detect_format(values, path, columns[index])
    if date_format in _DAY_FIRST and _reads_all(values, _DAY_FIRST[date_format]):
        notes.append(
            ImportNote(
                NoteLevel.CHANGED,
                f"data {path.name}",
                f"dates such as {values[0]!r} read month first ({date_format}), as pandas does; "
                f"if they are day first, set `date_format: {_DAY_FIRST[date_format]!r}`",
            )
        )
    return DataProfile(
        columns=columns,
        date_column=columns[index],
        date_format=date_format,
        first_day=min(parsed) if parsed else None,
        last_day=max(parsed) if parsed else None,
    )


def _date_column_index(columns: tuple[str, ...], path: Path, notes: list[ImportNote]) -> int:
    for index, name in enumerate(columns):
        if name.strip().lower() == DATE_COLUMN.lower():
            return index
    notes.append(
        ImportNote(
            NoteLevel.CHANGED,
            f"data {path.name}",
            f"no `{DATE_COLUMN}` column; using the first column, {columns[0]!r}, as the date",
        )
    )
    return 0


def _reads_all(values: list[str], date_format: str) -> bool:
    try:
        for value in values:
            datetime.strptime(value, date_format)
    except ValueError:
        return False
    return True


def _detect_format(values: list[str], path: Path, column: str) -> tuple[str | None, list[date]]:
    if all(ISO_DATE.match(value) for value in values):
        return None, [date.fromisoformat(value[:10]) for value in values]
    for date_format in DATE_FORMATS:
        if _reads_all(values, date_format):
            return date_format, [datetime.strptime(v, date_format).date() for v in values]
    raise ConfigError(
        f"{path}: cannot tell the format of the dates in column {column!r} "
        f"(such as {values[0]!r}); convert them to ISO dates (2021-09-25) and import again"
    )
