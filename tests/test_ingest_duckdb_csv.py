"""DuckDB reads CSV sources itself, and a refresh reads only what was appended (issue 12).

The DuckDB path must store exactly what the row-by-row (pandas) path stores, leave
bad rows to that path (so they are still reported with their file and line), and a
file that only grew must have only its new rows read, giving the table a full reload
gives; a rewritten file is read whole.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ingest_support import write_project

from wbr.errors import LoadError
from wbr.ingest import file_marks, ingest
from wbr.ingest.file_marks import MARKS_TABLE
from wbr.ingest.report import LoadReport
from wbr.registry.loader import load_registry
from wbr.store import create_store_engine, migrate

HEADER = "order_id,day,customer,amount,units,is_prime,flag_text,code,region,note\n"


def line(n: int) -> str:
    """One varied row: numbers, a missing value, booleans, quoted commas, codes."""
    day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
    amount = "" if n % 17 == 0 else f"{n * 1.25:.2f}"
    prime = ("true", "False", "yes", "n")[n % 4]
    note = '"north, east"' if n % 5 == 0 else ("NA" if n % 7 == 0 else f"note {n}")
    values = [n, day, 1000 + n % 37, amount, n % 9, prime, f"x{n % 3}", f"{n % 50:05d}"]
    return ",".join(str(value) for value in values) + f",r{n % 4},{note}\n"


SOURCE = {
    "kind": "csv",
    "path": "orders.csv",
    "date_column": "day",
    "columns": {"code": "text", "is_prime": "boolean"},
}


def write_csv(folder: Path, first: int, last: int, mode: str = "w") -> None:
    with (folder / "orders.csv").open(mode, encoding="utf-8") as handle:
        if mode == "w":
            handle.write(HEADER)
        handle.writelines(line(n) for n in range(first, last))


@pytest.fixture(autouse=True, params=["one statement", "shared checks"])
def check_form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with each column checked in its own expression and, as a
    small wide read is, with number columns checked together (`duckdb_writes.Checked`)."""
    from wbr.ingest import duckdb_writes

    if request.param == "shared checks":
        monkeypatch.setattr(duckdb_writes, "SHARED_CHECK_COLUMNS", 0)
    else:
        monkeypatch.setattr(duckdb_writes, "SHARED_CHECK_COLUMNS", 10**9)
    return str(request.param)


class Project:
    """A project folder loaded into SQLite (app) + DuckDB (raw), or SQLite alone."""

    def __init__(self, folder: Path, source: dict[str, Any], raw: str) -> None:
        self.folder = folder
        self.by_duckdb = False
        self.registry = load_registry(write_project(folder, {"orders": source}))
        self.engine = create_store_engine(f"sqlite:///{folder / 'app.db'}")
        migrate(self.engine)
        if raw == "duckdb":
            self.raw = create_store_engine(f"duckdb:///{folder / 'raw.duckdb'}")
        else:
            self.raw = self.engine

    def load(self, full: bool = False) -> LoadReport:
        """One load; `by_duckdb` then says whether DuckDB's own reader did it."""
        from wbr.ingest import duckdb_csv

        reader = duckdb_csv.load
        done: list[bool] = []

        def watched(*args: Any, **kwargs: Any) -> Any:
            outcome = reader(*args, **kwargs)
            done.append(outcome is not None)
            return outcome

        duckdb_csv.load = watched  # type: ignore[assignment]
        try:
            (report,) = ingest(
                self.engine, self.registry, self.folder, full=full, raw_engine=self.raw
            )
        finally:
            duckdb_csv.load = reader  # type: ignore[assignment]
        self.by_duckdb = any(done)
        return report

    def rows(self) -> list[tuple[Any, ...]]:
        with self.raw.connect() as connection:
            found = connection.exec_driver_sql("SELECT * FROM raw_orders").all()
        return sorted((tuple(row) for row in found), key=lambda row: row[0])

    def marked(self) -> bool:
        """Whether the store holds a mark of the file (either path leaves one)."""
        with self.raw.connect() as connection:
            if not sa.inspect(connection).has_table(MARKS_TABLE):
                return False
            return bool(connection.exec_driver_sql(f"SELECT count(*) FROM {MARKS_TABLE}").scalar())

    def close(self) -> None:
        self.engine.dispose()
        self.raw.dispose()


def same_rows(got: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(expected)
    for left, right in zip(got, expected, strict=True):
        for a, b in zip(left, right, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-15)
            else:
                assert a == b, (left, right)


def test_duckdb_reads_the_csv_itself_and_stores_what_the_row_by_row_path_stores(
    tmp_path: Path,
) -> None:
    duck, lite = (
        Project(tmp_path / "duck", SOURCE, "duckdb"),
        Project(tmp_path / "lite", SOURCE, "sqlite"),
    )
    for project in (duck, lite):
        write_csv(project.folder, 1, 3000)
        assert project.load().rows == 2999
    assert duck.by_duckdb and duck.marked()
    got, expected = duck.rows(), lite.rows()
    same_rows(
        [tuple(str(v) if hasattr(v, "isoformat") else v for v in row) for row in got],
        [tuple(str(v) if hasattr(v, "isoformat") else v for v in row) for row in expected],
    )
    first = got[0]
    assert first[6] == "x1" and first[7] == "00001"  # a declared text code keeps its zeros
    assert [row[9] for row in got[4:7]] == ["north, east", "note 6", None]
    assert got[16][3] is None  # a missing amount stays missing
    duck.close()
    lite.close()


def test_a_file_with_a_bad_row_is_loaded_row_by_row_and_names_its_line(tmp_path: Path) -> None:
    duck = Project(tmp_path, SOURCE, "duckdb")
    write_csv(tmp_path, 1, 100)
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write("100,2024-13-45,1,2.5,1,true,x,00100,r1,bad date\n")
    with pytest.raises(LoadError, match=r"orders\.csv.*line 101"):
        duck.load()
    assert not duck.marked()
    duck.close()


def test_appended_rows_are_the_only_rows_read_and_equal_a_full_reload(tmp_path: Path) -> None:
    source = {**SOURCE, "incremental": {"lookback": 7}}
    duck = Project(tmp_path, source, "duckdb")
    write_csv(tmp_path, 1, 5000)
    assert duck.load().rows_read == 4999
    write_csv(tmp_path, 5000, 5200, mode="a")
    report = duck.load()
    assert report.rows_read == 200  # only the new lines
    assert report.mode == "incremental"
    appended = duck.rows()
    assert duck.load(full=True).rows_read == 5199
    assert duck.rows() == appended
    duck.close()


def test_an_unchanged_file_reads_no_rows(tmp_path: Path) -> None:
    duck = Project(tmp_path, SOURCE, "duckdb")
    write_csv(tmp_path, 1, 5000)
    duck.load()
    before = duck.rows()
    report = duck.load()
    assert (report.rows_read, report.mode) == (0, "incremental")
    assert duck.rows() == before
    duck.close()


def test_a_rewritten_file_is_read_whole(tmp_path: Path) -> None:
    duck = Project(tmp_path, SOURCE, "duckdb")
    write_csv(tmp_path, 1, 5000)
    duck.load()
    write_csv(tmp_path, 2, 5300)  # the first row gone, more rows at the end: not an append
    report = duck.load()
    assert (report.rows_read, report.mode) == (5298, "full")
    assert [row[0] for row in duck.rows()] == list(range(2, 5300))
    duck.close()


def test_an_edit_before_the_end_is_read_whole(tmp_path: Path) -> None:
    duck = Project(tmp_path, SOURCE, "duckdb")
    write_csv(tmp_path, 1, 5000)
    duck.load()
    text = (tmp_path / "orders.csv").read_text(encoding="utf-8")
    edited = text.replace("\n4998,", "\n9998,")  # a restated row in the last block
    (tmp_path / "orders.csv").write_text(edited + line(5000), encoding="utf-8")
    report = duck.load()
    assert report.rows_read == 5000
    ids = [row[0] for row in duck.rows()]
    assert 9998 in ids and 4998 not in ids
    duck.close()


def test_a_half_in_a_whole_number_column_is_quarantined_with_its_line(tmp_path: Path) -> None:
    """DuckDB would round 2.5 into a BIGINT column: the row-by-row path rejects it."""
    source = {**SOURCE, "on_error": "quarantine", "batch_rows": 50}  # typed by the first 50
    duck = Project(tmp_path, source, "duckdb")
    write_csv(tmp_path, 1, 200)
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write("200,2024-01-02,1,2.5,2.5,true,x,00200,r1,half a unit\n")
    report = duck.load()
    assert (report.rows, report.rows_rejected) == (199, 1)
    with duck.raw.connect() as connection:
        rejected = connection.exec_driver_sql("SELECT * FROM raw_orders__rejected").all()
    assert len(rejected) == 1 and 201 in tuple(rejected[0])  # line 201 of the file
    assert "whole number" in " ".join(str(value) for value in rejected[0])
    duck.close()


def test_a_text_column_pandas_would_retype_keeps_the_row_by_row_values(tmp_path: Path) -> None:
    """An undeclared column of words whose later batch holds only numbers: pandas
    re-renders those ("7.0" → "7"), so DuckDB's path leaves the file to it."""
    source = {"kind": "csv", "path": "orders.csv", "date_column": "day", "batch_rows": 50}
    results = []
    for raw in ("duckdb", "sqlite"):
        project = Project(tmp_path / raw, source, raw)
        lines = [f"{n},2024-01-{1 + n % 28:02d},word{n}\n" for n in range(50)]
        lines += [f"{n},2024-02-01,7.0\n" for n in range(50, 100)]  # a batch of numbers
        (project.folder / "orders.csv").write_text("id,day,tag\n" + "".join(lines), "utf-8")
        project.load()
        results.append([row[2] for row in project.rows()])
        # Read row by row on both stores, which both mark the file for appends.
        assert not project.by_duckdb and project.marked()
        project.close()
    assert results[0] == results[1]
    assert results[0][49:51] == ["word49", "7"]


@pytest.mark.parametrize("bad_row", [False, True], ids=["loaded", "left-to-row-by-row"])
def test_a_full_load_sets_duckdbs_row_order_setting_back(tmp_path: Path, bad_row: bool) -> None:
    """The load lets DuckDB store rows in any order (see duckdb_writes); the setting is
    global to the database, so a connection open beside the load must find it as before."""
    duck = Project(tmp_path, SOURCE, "duckdb")
    write_csv(tmp_path, 1, 3000)
    if bad_row:
        with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
            # A number in an inferred text column: DuckDB's statement stops on it, and
            # the row-by-row path loads the file (see the retyping test above).
            handle.write("3000,2024-01-05,1,2.5,1,true,7,03000,r1,a number\n")
    with duck.raw.connect() as beside:  # keeps the database, and its settings, open
        setting = "SELECT current_setting('preserve_insertion_order')"
        assert beside.exec_driver_sql(setting).scalar() is True
        report = duck.load()
        assert beside.exec_driver_sql(setting).scalar() is True
    assert report.rows == 2999 + bad_row and duck.by_duckdb is not bad_row
    got = duck.rows()
    assert [row[0] for row in got] == list(range(1, 3000 + bad_row))  # every row, any order
    duck.close()


@pytest.mark.parametrize("first_load", [True, False], ids=["whole-file", "appended-tail"])
def test_rows_written_while_the_file_is_read_are_loaded_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_load: bool
) -> None:
    """An exporter appends rows just after the load measured the file: they must end up in
    the table once, whether this load or the next reads them."""
    duck = Project(tmp_path, SOURCE, "duckdb")
    write_csv(tmp_path, 1, 3000)
    if not first_load:
        duck.load()
        write_csv(tmp_path, 3000, 3100, mode="a")
    measure = file_marks.measure

    def measured_then_written(path: Path, declared: Any) -> file_marks.FileMark:
        mark = measure(path, declared)
        write_csv(tmp_path, 5000, 5050, mode="a")  # during this load
        return mark

    monkeypatch.setattr(file_marks, "measure", measured_then_written)
    duck.load()
    monkeypatch.setattr(file_marks, "measure", measure)
    write_csv(tmp_path, 6000, 6010, mode="a")  # before the next load
    duck.load()
    ids = [row[0] for row in duck.rows()]
    expected = [*range(1, 3000 if first_load else 3100), *range(5000, 5050), *range(6000, 6010)]
    assert ids == expected  # each row once
    duck.close()


@pytest.mark.parametrize("odd", [None, "2024/01/05", "2024-1-05", "20240105 "])
@pytest.mark.parametrize("column", ["day", "shipped"])
def test_dates_are_parsed_only_in_iso_form(tmp_path: Path, odd: str | None, column: str) -> None:
    """A date DuckDB could read but the row-by-row path might read otherwise leaves the
    file to that path, in the date column and in a declared date column with blanks."""
    source = {
        "kind": "csv",
        "path": "orders.csv",
        "date_column": "day",
        "columns": {"shipped": "date"},
        "on_error": "quarantine",
    }
    lines = ["id,day,shipped,amount\n"]
    lines += [
        f"{n},2024-02-{1 + n % 28:02d},{'' if n % 3 else '2024-03-01'},{n}\n" for n in range(60)
    ]
    if odd is not None:
        fields = ["60", "2024-02-10", "2024-03-02", "60"]
        fields[1 if column == "day" else 2] = odd
        lines.append(",".join(fields) + "\n")
    duck, lite = (
        Project(tmp_path / "duck", source, "duckdb"),
        Project(tmp_path / "lite", source, "sqlite"),
    )
    reports = []
    for project in (duck, lite):
        (project.folder / "orders.csv").write_text("".join(lines), encoding="utf-8")
        reports.append(project.load())
    assert duck.by_duckdb == (odd is None)
    assert (reports[0].rows, reports[0].rows_rejected) == (
        reports[1].rows,
        reports[1].rows_rejected,
    )
    as_text = [[tuple(str(v) for v in row) for row in p.rows()] for p in (duck, lite)]
    assert as_text[0] == as_text[1]
    assert sum(row[2] == "None" for row in as_text[0]) >= 40  # the blanks stay missing
    duck.close()
    lite.close()


@pytest.mark.parametrize(
    ("missing", "reads"),
    [
        (None, 1),  # nothing but blanks: the first read, blanks only, is the load
        ("NA", 2),  # as text: would be kept as "NA"
        ("NaN", 2),  # as a number: DuckDB would keep a NaN
        ("NULL", 2),  # as a number: does not parse
        ("-1.#IND", 2),
        (" nan", 3),  # DuckDB reads NaN on both reads; the row-by-row path decides
        ("NAN", 3),
    ],
)
@pytest.mark.parametrize("column", ["amount", "units", "note"])
def test_pandas_missing_texts_are_missing_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str | None, column: str, reads: int
) -> None:
    """The first read takes only a blank as missing; a value one of pandas' other
    missing texts would make missing sends the file to a second read that takes them all."""
    from wbr.ingest import duckdb_csv

    if (column, missing) == ("note", "NAN"):
        reads = 1  # not a missing text to pandas: a word like any other
    readers: list[str] = []
    write = duckdb_csv.writes.write

    def counted(*args: Any, **kwargs: Any) -> Any:
        readers.append(args[5])
        return write(*args, **kwargs)

    monkeypatch.setattr(duckdb_csv.writes, "write", counted)
    duck, lite = (
        Project(tmp_path / "duck", SOURCE, "duckdb"),
        Project(tmp_path / "lite", SOURCE, "sqlite"),
    )
    for project in (duck, lite):
        write_csv(project.folder, 1, 40)
        text = (project.folder / "orders.csv").read_text(encoding="utf-8").splitlines()
        text = [row.removesuffix(",NA") + (",n/d" if row.endswith(",NA") else "") for row in text]
        if missing is not None:
            fields = text[31].split(",")  # n = 31: no quoted comma in the line
            fields[HEADER.strip().split(",").index(column)] = missing
            text[31] = ",".join(fields)
        (project.folder / "orders.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
        assert project.load().rows == 39
    assert duck.by_duckdb == (reads < 3)  # 3: both reads misfit, the row-by-row path loads
    assert len(readers) == min(reads, 2)
    assert "nullstr = [''])" in readers[0]
    assert ("'NA'" in readers[-1]) == (reads > 1)
    got, expected = duck.rows(), lite.rows()
    same_rows(
        [tuple(str(v) if hasattr(v, "isoformat") else v for v in row) for row in got],
        [tuple(str(v) if hasattr(v, "isoformat") else v for v in row) for row in expected],
    )
    position = HEADER.strip().split(",").index(column)
    if missing is None or missing in duckdb_csv.PANDAS_NA:  # the others: as pandas decides
        assert (got[30][position] is None) == (missing is not None)
    duck.close()
    lite.close()


def _wide_line(n: int, columns: int) -> str:
    """A day and `columns` numbers: whole ones (with gaps from the 11th: floats to
    pandas), then fractions."""
    wholes = ["" if c > 9 and (n + c) % 23 == 0 else str(n * 7 + c) for c in range(columns // 2)]
    fractions = [f"{(n + c) * 0.37:.2f}" for c in range(columns - columns // 2)]
    return ",".join([f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}", *wholes, *fractions]) + "\n"


@pytest.mark.parametrize(
    ("bad", "misfits", "error"),
    [
        (None, False, None),
        ("2.5", True, "not a whole number"),  # in a whole-number column
        (str(2**53 + 2), True, None),  # not exact as the DOUBLE DuckDB reads it as
        ("nan", False, None),  # missing to pandas: the second read takes it as missing
        ("n/a", False, None),
    ],
)
@pytest.mark.parametrize("on_error", ["stop", "quarantine"])
def test_a_wide_file_and_its_appended_rows_store_what_the_row_by_row_path_stores(
    tmp_path: Path, bad: str | None, misfits: bool, error: str | None, on_error: str
) -> None:
    """A wide daily file, as `wbr import-wbr-app` reads one: its first load and an
    append of a few rows, one of them with `bad` in a number column, give the rows
    the row-by-row path gives, with the same checks in both forms
    (`duckdb_writes.Checked`). A value DuckDB might store otherwise leaves the new
    rows to the row-by-row path, which appends them or names the bad one's line, on
    DuckDB as on SQLite."""
    columns = 60
    header = "Date," + ",".join(f"m{c:02d}" for c in range(columns)) + "\n"
    source = {"kind": "csv", "path": "orders.csv", "date_column": "Date", "on_error": on_error}
    stored = []
    for raw in ("duckdb", "sqlite"):
        project = Project(tmp_path / raw, source, raw)
        path = project.folder / "orders.csv"
        path.write_text(header + "".join(_wide_line(n, columns) for n in range(400)), "utf-8")
        assert project.load().rows == 400
        appended = [_wide_line(n, columns) for n in range(400, 407)]
        if bad is not None:
            fields = appended[3].split(",")
            fields[6 if misfits else 45] = bad  # a whole-number column; a fraction
            appended[3] = ",".join(fields)
        with path.open("a", encoding="utf-8") as handle:
            handle.writelines(appended)
        if error is not None and on_error == "stop":
            with pytest.raises(LoadError, match=rf"line 405: column 'm05'.*{error}"):
                project.load()
        else:
            report = project.load()
            rejected = int(error is not None)
            assert (report.mode, report.rows_read, report.rows_rejected) == (
                "incremental",
                7,
                rejected,
            )
            if raw == "duckdb":
                assert project.by_duckdb is not misfits
        rows = [(str(row[0]), *row[1:]) for row in project.rows()]  # SQLite: ISO text
        stored.append(sorted(rows, key=str))
        project.close()
    assert len(stored[0]) == 407 - int(error is not None) * (on_error == "quarantine") - (
        7 * int(error is not None and on_error == "stop")
    )
    same_rows(*stored)


@pytest.mark.parametrize("raw", ["duckdb", "sqlite"])
def test_a_header_with_a_line_break_in_a_name_is_read_whole_and_loses_no_row(
    tmp_path: Path, raw: str
) -> None:
    """Appended bytes are read behind a copy of the header's first line; a quoted name
    holding a line break makes the header two lines, so such a file is read whole (an
    append read nothing after such a header, and moved its mark past the new rows)."""
    header = 'Date,"units\n(each)",amount\n'

    def rows(first: int, last: int) -> str:  # over 64 KiB: the next load may append
        return "".join(f"2024-01-{1 + n % 28:02d},{n},{n * 0.5}\n" for n in range(first, last))

    project = Project(tmp_path, {"kind": "csv", "path": "orders.csv", "date_column": "Date"}, raw)
    (tmp_path / "orders.csv").write_text(header + rows(0, 4000), encoding="utf-8")
    assert project.load().rows == 4000
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write(rows(4000, 4010))
    for _ in range(2):  # the append, then the file unchanged
        report = project.load()
        assert (report.mode, report.rows) == ("full", 4010)
        assert sorted(row[1] for row in project.rows()) == list(range(4010))
    project.close()


def test_columns_named_as_duckdb_keywords_load_and_match_the_row_by_row_path(
    tmp_path: Path,
) -> None:
    """`by`, `at`, `asof`, `semi`: names DuckDB reserves beyond PostgreSQL's list, which
    the SQL dialect left unquoted, so DuckDB's parser failed on every load of them."""
    lines = "".join(f"2024-01-{1 + n % 28:02d},{n},{n % 3},x{n},{n * 0.5}\n" for n in range(300))
    stored = []
    for raw in ("duckdb", "sqlite"):
        project = Project(
            tmp_path / raw, {"kind": "csv", "path": "orders.csv", "date_column": "at"}, raw
        )
        (project.folder / "orders.csv").write_text("at,by,asof,semi,glob\n" + lines, "utf-8")
        assert project.load().rows == 300
        if raw == "duckdb":
            assert project.by_duckdb  # DuckDB's own reader loaded it
        stored.append([(str(row[0]), *row[1:]) for row in project.rows()])
        project.close()
    same_rows(sorted(stored[0], key=str), sorted(stored[1], key=str))


def test_a_keyed_source_on_duckdb_appends_its_new_rows_and_names_a_repeated_key(
    tmp_path: Path,
) -> None:
    """A `key:` leaves the file to the row-by-row path on DuckDB too; a file that only
    grew then has its new rows checked against every row loaded and appended, as on
    the other stores, instead of the whole file read again."""
    duck = Project(tmp_path, {**SOURCE, "key": ["order_id"]}, "duckdb")
    write_csv(tmp_path, 1, 3000)
    assert duck.load().rows == 2999 and not duck.by_duckdb
    before = duck.rows()
    write_csv(tmp_path, 3000, 3005, mode="a")
    with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
        handle.write(line(17))
    with pytest.raises(LoadError, match=r"line 3006: duplicate key order_id=17"):
        duck.load()
    assert duck.rows() == before
    write_csv(tmp_path, 1, 3005)
    duck.load(full=True)
    write_csv(tmp_path, 3005, 3010, mode="a")
    report = duck.load()
    assert (report.mode, report.rows_read, len(duck.rows())) == ("incremental", 5, 3009)
    duck.close()
