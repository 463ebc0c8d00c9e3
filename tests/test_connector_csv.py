"""Loading CSV sources into raw tables, on SQLite and PostgreSQL (formerly test_csv_connector)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Date, Engine, MetaData, Table, inspect, select

import connectors.csv_file
from connectors.base import ConnectorError
from connectors.csv_file import CsvConnector
from connectors.registry import available_connectors, connector_for
from wbr.errors import ConfigError, LoadError
from wbr.ingest import LoadReport, ingest
from wbr.registry.models import CsvSource, Deck, Registry, Section
from wbr.store import load_runs, raw_table_name, replace_raw_table

GOOD_CSV = """\
date,region,orders,revenue,gift
2024-01-01,east,3,10.5,True
2024-01-01,west,4,,False
2024-01-02,east,5,"1,234.25",True
2024-01-03,west,"2,000",7.0,False
"""
GOOD_ROWS = [
    (date(2024, 1, 1), "east", 3, 10.5, True),
    (date(2024, 1, 1), "west", 4, None, False),
    (date(2024, 1, 2), "east", 5, 1234.25, True),
    (date(2024, 1, 3), "west", 2000, 7.0, False),
]
# Line 5 of the file (the header is line 1) holds a month 13.
BAD_DATE_CSV = """\
date,region,orders,revenue,gift
2024-02-01,east,1,1.0,True
2024-02-02,east,1,1.0,True
2024-02-03,east,1,1.0,True
2024-13-45,east,1,1.0,True
2024-02-05,east,1,1.0,True
"""


def _registry(**sources: CsvSource) -> Registry:
    # Metrics and deck are irrelevant to loading; the models still require them.
    return Registry(
        sources=sources, metrics=(), deck=Deck(sections=(Section(title="All", metrics=("x",)),))
    )


def _source(path: str = "orders.csv", **extra: Any) -> CsvSource:
    # No metric reads these sources: every column is kept, as these tests look at them all.
    extra.setdefault("keep_columns", "all")
    return CsvSource(kind="csv", path=path, date_column="date", **extra)


def _rows(engine: Engine, table: str = "raw_orders") -> list[tuple[Any, ...]]:
    """Rows of a raw table, read through a reflected table so dates come back as dates."""
    reflected = Table(table, MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(select(reflected))]
    # Sorted here: databases disagree on where NULLs sort.
    return sorted(rows, key=lambda row: [(value is None, value) for value in row])


def _runs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        query = select(load_runs).order_by(load_runs.c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


@pytest.fixture
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(GOOD_CSV)
    return path


def test_load_values_types_and_report(store_engine: Engine, orders_csv: Path) -> None:
    registry = _registry(orders=_source())

    reports = ingest(store_engine, registry, orders_csv.parent)

    assert [(r.source, r.table, r.rows) for r in reports] == [("orders", "raw_orders", 4)]
    assert reports[0].started_at <= reports[0].finished_at
    assert _rows(store_engine) == GOOD_ROWS
    columns = {c["name"]: c["type"] for c in inspect(store_engine).get_columns("raw_orders")}
    assert isinstance(columns["date"], Date)
    indexes = inspect(store_engine).get_indexes("raw_orders")
    assert [ix["column_names"] for ix in indexes] == [["date"]]


def test_reload_replaces_rows(store_engine: Engine, orders_csv: Path) -> None:
    registry = _registry(orders=_source())
    ingest(store_engine, registry, orders_csv.parent)
    ingest(store_engine, registry, orders_csv.parent)
    assert _rows(store_engine) == GOOD_ROWS

    orders_csv.write_text("date,region,orders,revenue,gift\n2024-03-01,north,9,9.5,True\n")
    ingest(store_engine, registry, orders_csv.parent)
    assert _rows(store_engine) == [(date(2024, 3, 1), "north", 9, 9.5, True)]
    assert set(inspect(store_engine).get_table_names()) >= {"raw_orders"}
    assert "raw_orders__staging" not in inspect(store_engine).get_table_names()


@pytest.mark.parametrize("chunk_rows", [50_000, 2], ids=["one-chunk", "many-chunks"])
def test_bad_date_names_line_and_value_and_keeps_old_table(
    store_engine: Engine, orders_csv: Path, chunk_rows: int
) -> None:
    # With 2-row chunks, rows before the bad one are already inserted when it fails.
    registry = _registry(orders=_source(batch_rows=chunk_rows))
    ingest(store_engine, registry, orders_csv.parent)
    orders_csv.write_text(BAD_DATE_CSV)

    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, orders_csv.parent)

    message = str(raised.value)
    assert "line 5" in message
    assert "'2024-13-45'" in message
    assert "orders.csv" in message
    assert "source 'orders'" in message
    assert _rows(store_engine) == GOOD_ROWS
    assert "raw_orders__staging" not in inspect(store_engine).get_table_names()
    runs = _runs(store_engine)
    assert [(r["status"], r["rows_loaded"]) for r in runs] == [("succeeded", 4), ("failed", None)]
    assert runs[1]["error"] == message
    assert all(r["finished_at"] is not None and r["table_name"] == "raw_orders" for r in runs)


def test_line_numbers_count_quoted_newlines_and_blank_lines(
    store_engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "notes.csv").write_text(
        'date,note\n2024-01-01,"two\nlines"\n\n2024-01-02,ok\n2024-01-03,ok\n2024-01-0x,bad\n'
    )
    registry = _registry(notes=_source("notes.csv", batch_rows=2))
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert "line 7: column 'date': value '2024-01-0x' is not a date" in str(raised.value)
    assert "'2024-01-0x'" in str(raised.value)


def test_empty_date_is_reported_with_its_line(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("date,orders\n2024-01-01,1\n,2\n")
    with pytest.raises(LoadError, match=r"line 3: date column 'date' is empty"):
        ingest(store_engine, _registry(orders=_source()), tmp_path)


def test_date_format_is_used(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("date,orders\n31/01/2024,1\n01/02/2024,2\n")
    registry = _registry(orders=_source(date_format="%d/%m/%Y"))
    ingest(store_engine, registry, tmp_path)
    assert _rows(store_engine) == [(date(2024, 1, 31), 1), (date(2024, 2, 1), 2)]


def test_missing_file_names_the_path(store_engine: Engine, tmp_path: Path) -> None:
    registry = _registry(orders=_source("data/nope.csv"))
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, registry, tmp_path)
    assert "file not found" in str(raised.value)
    assert str(tmp_path / "data" / "nope.csv") in str(raised.value)
    assert [r["status"] for r in _runs(store_engine)] == ["failed"]


def test_missing_date_column_lists_the_columns(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("day,region,orders\n2024-01-01,east,1\n")
    with pytest.raises(LoadError) as raised:
        ingest(store_engine, _registry(orders=_source()), tmp_path)
    assert "date column 'date' not found; the columns are: day, region, orders" in str(raised.value)
    assert "raw_orders" not in inspect(store_engine).get_table_names()


def test_glob_loads_every_file_in_order(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    # Columns in another order in the second file are matched by name.
    (tmp_path / "data" / "2024-02.csv").write_text("orders,date\n20,2024-02-01\n")
    (tmp_path / "data" / "2024-01.csv").write_text("date,orders\n2024-01-01,10\n2024-01-02,11\n")
    (reports,) = ingest(store_engine, _registry(orders=_source("data/*.csv")), tmp_path)
    assert reports.rows == 3
    assert _rows(store_engine) == [
        (date(2024, 1, 1), 10),
        (date(2024, 1, 2), 11),
        (date(2024, 2, 1), 20),
    ]


def test_glob_without_matches_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="no files match the pattern"):
        CsvConnector("orders", _source("data/*.csv"), tmp_path).files()


def test_thousands_separators_and_bom(store_engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        'date,units,revenue\n2024-01-01,"12,345","1,234,567.5"\n', encoding="utf-8-sig"
    )
    ingest(store_engine, _registry(orders=_source()), tmp_path)
    assert _rows(store_engine) == [(date(2024, 1, 1), 12345, 1234567.5)]


def test_source_table_name_and_selected_sources(store_engine: Engine, orders_csv: Path) -> None:
    registry = _registry(orders=_source(table="sales"), other=_source("missing.csv"))
    reports = ingest(store_engine, registry, orders_csv.parent, sources=["orders"])
    assert [r.table for r in reports] == ["raw_sales"]
    assert len(_rows(store_engine, "raw_sales")) == 4
    with pytest.raises(ConfigError, match="unknown source"):
        ingest(store_engine, registry, orders_csv.parent, sources=["nope"])


def test_progress_display_reports_the_same(
    store_engine: Engine, orders_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = ingest(store_engine, _registry(orders=_source()), orders_csv.parent, progress=True)
    assert [r.rows for r in reports] == [4]
    assert "orders" in capsys.readouterr().err


def _frames(*frames: pd.DataFrame) -> Iterator[pd.DataFrame]:
    yield from frames


def test_raw_table_converts_later_batches_and_rejects_misfits(store_engine: Engine) -> None:
    day = pd.Timestamp("2024-01-01")
    first = pd.DataFrame({"date": [day], "n": [1], "label": ["a"]})
    # pandas reads a blank cell as NaN, turning a later batch's integers into floats.
    second = pd.DataFrame({"date": [day], "n": [float("nan")], "label": [7]})
    rows = replace_raw_table(store_engine, "mixed", _frames(first, second), "date")
    assert rows == 2
    assert _rows(store_engine, raw_table_name("mixed")) == [
        (date(2024, 1, 1), 1, "a"),
        (date(2024, 1, 1), None, "7"),
    ]

    misfit = pd.DataFrame({"date": [day], "n": [2.5], "label": ["b"]})
    with pytest.raises(LoadError, match=r"column 'n': value 2.5 is not a whole number"):
        replace_raw_table(store_engine, "mixed", _frames(first, misfit), "date")
    assert len(_rows(store_engine, "raw_mixed")) == 2


def test_registry_finds_the_builtin_csv_connector(tmp_path: Path) -> None:
    assert available_connectors()["csv"] is CsvConnector
    connector = connector_for("orders", _source(), tmp_path)
    assert isinstance(connector, CsvConnector)
    assert connector.kind == "csv"
    # A kind no installed connector handles (the models would reject it on load).
    unknown = CsvSource.model_construct(kind="xlsx", path="x", date_column="date")  # type: ignore[arg-type]
    with pytest.raises(ConnectorError, match="no connector for kind 'xlsx'"):
        connector_for("orders", unknown, tmp_path)


def test_load_report_is_frozen() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    report = LoadReport("s", "raw_s", 1, moment, moment)
    with pytest.raises(AttributeError):
        report.rows = 2  # type: ignore[misc]


def test_connectors_import_only_their_interface_and_the_source_models() -> None:
    folder = Path(connectors.csv_file.__file__).parent
    for module in folder.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name == "wbr" or name.startswith("wbr."):
                    assert name == "wbr.registry.sources", f"{module.name} imports {name}"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfedate,x\n", "the file is not UTF-8 text (invalid start byte at byte 0)"),
        (b"", "the file is empty (no header row)"),
        (b"date,x\n2024-01-01,1\n2024-01-02,1,2,3\n", "Expected 2 fields in line 3, saw 4"),
    ],
    ids=["not-utf8", "empty", "ragged"],
)
def test_unreadable_files_are_clear_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "orders.csv").write_bytes(content)
    with pytest.raises(ConnectorError) as raised:
        list(CsvConnector("orders", _source(), tmp_path).extract())
    assert expected in str(raised.value)
    assert str(tmp_path / "orders.csv") in str(raised.value)
