"""A new CSV table's types found by DuckDB must be the ones pandas finds (issue 12).

`wbr.ingest.duckdb_types` types the plainly numeric and plainly textual columns of a
first batch without pandas, and leaves every other file to pandas. Each test compares
it with the row-by-row path's own inference (`first_batch_schema`, pandas) on the same
file: where DuckDB answers, the answer must be pandas'. The header is read without
pandas too when it is plain (`plain_header`), and must then be pandas' header.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Connection

from connectors.csv_file import CsvConnector, plain_header
from wbr.ingest.duckdb_types import inferred_schema
from wbr.ingest.duckdb_writes import first_batch_schema
from wbr.registry.sources import ColumnType, CsvSource
from wbr.store import create_store_engine

# Texts a metrics file may hold, by what they look like; pandas decides what they are.
KINDS: dict[str, list[str]] = {
    "whole": ["0", "7", "-12", "007", "123456789012345678"],
    "big": ["1234567890123456789", "99999999999999999999"],
    "decimal": ["1.5", "-0.25", ".5", "3.", "1e5", "2.5E-03", "-7.0"],
    "blank": [""],
    "missing": ["NA", "nan", "NULL", "None", "n/a", "-NaN", "#N/A"],
    "infinite": ["inf", "-inf", "Infinity", "1e400"],
    "boolean": ["True", "false", "TRUE", "yes", "n"],
    "word": ["north", "Idaho", "name", "x1", "North East", "nothing"],
    "id": ["2023-01-01-0", "C-17", "12-4", "4/5", "1.2.3", "+-5"],
    "odd": [
        " 5",
        "5 ",
        "+3",
        '"1,234"',
        '"4"',
        '"north, east"',
        "0x1A",
        "1_000",
        "2024-01-05",
        "\x0b5",
    ],
}


def _column(rng: random.Random, rows: int) -> list[str]:
    """A column of one to three kinds of text, as a real file's columns mix them."""
    kinds = rng.sample(sorted(KINDS), rng.choice([1, 1, 1, 2, 2, 3]))
    return [rng.choice(KINDS[rng.choice(kinds)]) for _ in range(rows)]


def _write(path: Path, columns: dict[str, list[str]], days: int) -> None:
    lines = [",".join(["day", *columns])]
    for n in range(days):
        lines.append(",".join([f"2024-01-{1 + n % 28:02d}", *(c[n] for c in columns.values())]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def duckdb_connection(tmp_path: Path) -> Iterator[Connection]:
    engine = create_store_engine(f"duckdb:///{tmp_path / 'raw.duckdb'}")
    with engine.begin() as connection:
        yield connection
    engine.dispose()


def _both(
    connection: Connection, folder: Path, names: list[str], batch_rows: int = 50_000, **extra: Any
) -> tuple[dict[str, ColumnType] | None, dict[str, ColumnType]]:
    """(DuckDB's answer, pandas' answer) for data.csv's columns `names` and its day."""
    source = CsvSource(
        kind="csv", path="data.csv", date_column="day", batch_rows=batch_rows, **extra
    )
    connector = CsvConnector("data", source, folder)
    header = connector.header(folder / "data.csv")
    kept = ["day", *names]
    mine = inferred_schema(connection, folder / "data.csv", header, kept, source)
    return mine, first_batch_schema(connector, source, kept)


def test_where_duckdb_types_a_column_pandas_types_it_the_same(
    tmp_path: Path, duckdb_connection: Connection
) -> None:
    rng = random.Random(12)
    answered: dict[ColumnType, int] = {}
    files = 0
    for n in range(150):
        folder = tmp_path / f"f{n}"
        folder.mkdir()
        columns = {f"c{i}": _column(rng, 12) for i in range(rng.choice([1, 1, 2, 3]))}
        _write(folder / "data.csv", columns, 12)
        mine, pandas_schema = _both(duckdb_connection, folder, list(columns))
        if mine is None:
            continue
        files += 1
        assert mine == pandas_schema, (n, columns)
        for name in columns:
            answered[mine[name]] = answered.get(mine[name], 0) + 1
    # Not a test that passes by never answering: the plain shapes are typed here.
    assert files >= 40, files
    assert {ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.TEXT} <= set(answered), answered


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2", "-3"], ColumnType.INTEGER),
        (["1", "", "3"], ColumnType.FLOAT),  # a gap: pandas reads float64
        (["1.5", "2", "1e5"], ColumnType.FLOAT),
        (["north", "2", ""], ColumnType.TEXT),
        (["2023-01-01-0", "2023-01-01-1", "7"], ColumnType.TEXT),  # ids, dates: text
        (["1_000", "2", "3"], None),  # underscores: pandas' call
        (["NA", "2", "3"], None),  # pandas reads NA as missing: its call
        (["True", "false", "true"], None),  # booleans: pandas'
        (["1", "2", "12345678901234567890"], None),  # past int64: pandas'
        ([" 5", "6", "7"], None),  # a leading blank: pandas strips it, its call
        (["None", "nan", "3"], None),  # pandas' missing texts: its call (float64)
        (["nothing", "nan", "3"], ColumnType.TEXT),  # one word makes it text, gaps aside
        (["", "", ""], None),  # nothing to go by
    ],
)
def test_each_plain_shape_and_what_is_left_to_pandas(
    tmp_path: Path,
    duckdb_connection: Connection,
    values: list[str],
    expected: ColumnType | None,
) -> None:
    _write(tmp_path / "data.csv", {"v": values}, 3)
    mine, pandas_schema = _both(duckdb_connection, tmp_path, ["v"])
    assert (None if mine is None else mine["v"]) == expected
    if mine is not None:
        assert mine == pandas_schema


def test_only_the_first_batch_decides_as_for_pandas(
    tmp_path: Path, duckdb_connection: Connection
) -> None:
    # Five whole numbers, then a half: pandas types the first batch of five as int64.
    _write(tmp_path / "data.csv", {"v": ["1", "2", "3", "4", "5", "2.5"]}, 6)
    mine, pandas_schema = _both(duckdb_connection, tmp_path, ["v"], batch_rows=5)
    assert mine == pandas_schema == {"day": ColumnType.DATE, "v": ColumnType.INTEGER}
    mine, pandas_schema = _both(duckdb_connection, tmp_path, ["v"], batch_rows=6)
    assert mine == pandas_schema == {"day": ColumnType.DATE, "v": ColumnType.FLOAT}


@pytest.mark.parametrize("blank", ["", "   ", ","])
def test_blank_lines_count_as_pandas_counts_them(
    tmp_path: Path, duckdb_connection: Connection, blank: str
) -> None:
    # pandas skips a blank line, so its first batch of two reaches the third value;
    # DuckDB skips it too, or the file is left to pandas.
    text = f"day,v\n2024-01-01,1\n{blank}\n2024-01-02,2\n2024-01-03,2.5\n"
    (tmp_path / "data.csv").write_text(text, encoding="utf-8")
    for batch_rows in (1, 2, 3):
        mine, pandas_schema = _both(duckdb_connection, tmp_path, ["v"], batch_rows=batch_rows)
        assert mine is None or mine == pandas_schema, (batch_rows, mine, pandas_schema)


@pytest.mark.parametrize(
    "text",
    [
        "day,v\n2024-01-01,1,\n2024-01-02,2,\n",  # an empty field more on every row
        "day,v\n2024-01-01,1\n2024-01-02,2,\n",  # pandas: not valid CSV
        "day,v,w\n2024-01-01,1,2.5,\n2024-01-02,2,3.5,\n",  # pandas shifts the columns
        "\nday,v\n2024-01-01,1\n",  # pandas skips a blank line before the header
        "\ufeff\ufeffday,v\n2024-01-01,1\n",  # a second BOM
    ],
    ids=["extra-field", "one-row-extra", "extra-field-shifts", "blank-first-line", "two-boms"],
)
def test_a_file_pandas_lays_out_otherwise_is_left_to_it(
    tmp_path: Path, duckdb_connection: Connection, text: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    source = CsvSource(kind="csv", path="data.csv", date_column="day")
    header = CsvConnector("data", source, tmp_path).header(path)
    assert header[0] == "day"  # pandas' reading of it
    kept = [name for name in header if name in ("day", "v", "w")]
    assert inferred_schema(duckdb_connection, path, header, kept, source) is None


@pytest.mark.parametrize(
    ("values", "thousands"),
    [(["\x0b5", "\x0b6"], ","), (["5\x0b", "6"], ","), (["1'234", "2'000"], "'")],
    ids=["vertical-tab-before", "vertical-tab-after", "apostrophe-thousands"],
)
def test_numbers_pandas_reads_through_blanks_and_separators_are_never_text(
    tmp_path: Path, duckdb_connection: Connection, values: list[str], thousands: str
) -> None:
    _write(tmp_path / "data.csv", {"v": values}, 2)
    mine, pandas_schema = _both(duckdb_connection, tmp_path, ["v"], thousands=thousands)
    assert pandas_schema["v"] is ColumnType.INTEGER
    assert mine is None


def test_declared_types_and_other_thousands_separators(
    tmp_path: Path, duckdb_connection: Connection
) -> None:
    _write(tmp_path / "data.csv", {"v": ["1", "2", "3"], "code": ["007", "008", "009"]}, 3)
    declared = {"columns": {"code": ColumnType.TEXT}}
    mine, pandas_schema = _both(duckdb_connection, tmp_path, ["v", "code"], **declared)
    assert (
        mine
        == pandas_schema
        == {
            "day": ColumnType.DATE,
            "v": ColumnType.INTEGER,
            "code": ColumnType.TEXT,
        }
    )
    # "1.234" is 1234 to pandas with "." as the thousands separator: its call.
    mine, _ = _both(duckdb_connection, tmp_path, ["v"], thousands=".")
    assert mine is None


HEADERS = [
    "day,amount,units",
    "day;amount",  # one column to a comma reader
    "\ufeffday,amount",  # Excel's BOM
    "day,amount\r",  # Windows line ends
    "day, amount",  # pandas strips the blank (skipinitialspace): its call
    "day,amount ",
    'day,"amount"',
    "day,amount,amount",  # pandas renames the second: its call
    "day,,amount",
    "day,amount,",
    "day,2024,x y",
    "day,\tamount",
]


@pytest.mark.parametrize("line", HEADERS)
def test_a_plain_header_is_read_as_pandas_reads_it(tmp_path: Path, line: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes((line + "\n2024-01-01,1,2\n").encode("utf-8"))
    mine = plain_header(path, ",")
    options = {"encoding": "utf-8-sig", "skipinitialspace": True, "thousands": ","}
    pandas_header = [str(name) for name in pd.read_csv(path, nrows=0, **options).columns]
    if mine is not None:
        assert mine == pandas_header
    plain = ("day,amount,units", "day;amount", "\ufeffday,amount", "day,amount\r", "day,2024,x y")
    assert (mine is not None) == (line in plain), (line, mine)


def test_a_header_without_a_line_end_or_a_blank_first_line_is_pandas_to_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data.csv"
    path.write_text("day,amount", encoding="utf-8")
    assert plain_header(path, ",") is None
    path.write_text("\nday,amount\n", encoding="utf-8")
    assert plain_header(path, ",") is None
    path.write_bytes(b"day,\xff\n")  # not UTF-8: pandas' read names the problem
    assert plain_header(path, ",") is None
