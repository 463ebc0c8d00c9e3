"""Fuzzing source files: a CSV mangled any way a export or a person can mangle it is
either loaded or refused with a message naming the file (and the line, for a bad
value), never a traceback or a hang, and a refused load leaves the store as it was.

The store is the embedded default (SQLite app store, DuckDB raw store), opened once;
each case rewrites the source file and loads it. Fixed seed; see fuzz_support.
"""

from __future__ import annotations

import copy
import csv
import io
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import small_project as shop
from fuzz_support import HUGE_NUMBERS, ODD_TEXT, SEED, fuzz_settings, names_a_line
from hypothesis import given, seed
from hypothesis import strategies as st
from ingest_support import runs
from ruamel.yaml import YAML
from sqlalchemy import text

from wbr.errors import LoadError
from wbr.ingest import ingest
from wbr.workspace import Workspace, open_workspace

CASES = 150
FIRST = date(2024, 1, 1)
HEADER = ["day", "clicks", "impressions"]
BASE_ROWS = [
    [(FIRST + timedelta(days=n)).isoformat(), str(10 + n % 7), str(200 + n)] for n in range(30)
]
BAD_DATES = [
    "2024-13-45",
    "yesterday",
    "",
    "31/12/2024",
    "2024-02-30",
    "２０２４-01-01",
    "1e10",
    "NaT",
]
BAD_NUMBERS = [
    "abc",
    "1,2,3",
    "NaN",
    "inf",
    "1e999",
    "—",
    "",
    "TRUE",
    "0x1F",
    "12.5.1",
    *HUGE_NUMBERS,
]
ENORMOUS_BYTES = 1_000_000  # one line of 1 MB (Python's csv stops at 128 KiB)


def _csv(header: list[str], body: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp("fuzz-sources")
    shop.write_csvs(folder / "data")
    data = copy.deepcopy(shop.REGISTRY_DATA)
    data["sources"]["traffic"]["columns"] = {"clicks": "integer", "impressions": "integer"}
    with (folder / "metrics.yaml").open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(data, handle)
    (folder / "data" / "traffic.csv").write_text(_csv(HEADER, BASE_ROWS), encoding="utf-8")
    workspace = open_workspace(
        folder / "metrics.yaml",
        f"sqlite:///{folder / 'wbr.db'}",
        f"duckdb:///{folder / 'raw.duckdb'}",
    )
    ingest(
        workspace.engine, workspace.registry, folder, ["traffic"], raw_engine=workspace.raw_engine
    )
    try:
        yield workspace
    finally:
        workspace.dispose()


class Mangled(bytes):
    """File content whose repr stays short (a case can be 2 MB long)."""

    def __repr__(self) -> str:
        head = bytes(self[:300])
        return f"Mangled({head!r}{'…' if len(self) > 300 else ''}, {len(self):,} bytes)"


@st.composite
def mangled_csv(draw: st.DrawFn) -> Mangled:
    header = list(HEADER)
    body = [list(row) for row in BASE_ROWS]
    kinds = [
        "date",
        "number",
        "drop_column",
        "extra_column",
        "ragged",
        "odd",
        "truncate",
        "duplicate_header",
        "quote",
        "empty",
        "binary",
        "utf16",
        "enormous",
    ]
    # The whole-file kinds are rare: one or two cases cover them, the rest mix cells.
    kind_strategy = st.sampled_from(kinds)
    text: str | None = None
    encoding: str | None = None  # the last "binary" or "utf16", applied to the whole file
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(kind_strategy)
        row = draw(st.integers(0, len(body) - 1)) if body else 0
        if kind == "date" and body:
            body[row][0] = draw(st.sampled_from(BAD_DATES))
        elif kind == "number" and body and len(body[row]) > 1:
            column = draw(st.integers(1, len(body[row]) - 1))
            body[row][column] = draw(st.sampled_from(BAD_NUMBERS))
        elif kind == "drop_column" and len(header) > 1:
            column = draw(st.integers(0, len(header) - 1))
            header.pop(column)
            body = [r[:column] + r[column + 1 :] for r in body]
        elif kind == "extra_column":
            header.append(draw(st.sampled_from(["note", "clicks", "", "day", "x" * 300])))
            body = [[*r, draw(st.sampled_from(["1", "a", ""]))] for r in body]
        elif kind == "ragged" and body:
            body[row] = body[row][:-1] if draw(st.booleans()) else [*body[row], "extra"]
        elif kind == "odd" and body and body[row]:
            column = draw(st.integers(0, len(body[row]) - 1))
            body[row][column] += draw(st.sampled_from(ODD_TEXT))
        elif kind == "duplicate_header":
            header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from(header))
        elif kind == "quote" and body and body[row]:
            body[row][0] = '"' + body[row][0]
            text = _csv(header, body).replace('""', '"', 1)
        elif kind == "truncate":
            full = _csv(header, body)
            text = full[: draw(st.integers(0, len(full)))]
        elif kind == "empty":
            text = draw(st.sampled_from(["", "\n", ",".join(header) + "\n", "\ufeff"]))
        elif kind in ("binary", "utf16"):
            encoding = kind
        elif kind == "enormous" and body and body[row]:
            body[row][draw(st.integers(0, len(body[row]) - 1))] = "9" * ENORMOUS_BYTES
    content = (text if text is not None else _csv(header, body)).encode("utf-8", "surrogatepass")
    if encoding == "binary":
        noise = random.Random(draw(st.integers(0, 2**32))).randbytes(draw(st.integers(1, 4096)))
        content = draw(st.sampled_from([noise, b"\x89PNG\r\n\x1a\n" + noise, content[:40] + noise]))
    elif encoding == "utf16":
        content = content.decode("utf-8").encode("utf-16")
    return Mangled(content)


KNOWN_STATE: dict[Path, tuple[Any, Any]] = {}


def _state(workspace: Workspace) -> tuple[Any, Any]:
    """The raw rows and the computed-from history: what a refused load must not touch."""
    succeeded = [run["id"] for run in runs(workspace.engine) if run["status"] == "succeeded"]
    # Plain SQL: duckdb-engine cannot reflect tables (docs/architecture.md).
    with workspace.raw_engine.connect() as connection:
        raw = connection.execute(text("SELECT * FROM raw_traffic")).all()
    return sorted(map(repr, raw)), succeeded


@seed(SEED)
@fuzz_settings(CASES)
@given(content=mangled_csv())
def test_a_mangled_source_file_is_loaded_or_refused_with_its_place(
    project: Workspace, content: bytes
) -> None:
    folder = project.base_dir
    source = folder / "data" / "traffic.csv"
    source.write_bytes(content)
    # The state after the last case (read once per success, not twice per case).
    before = KNOWN_STATE.get(folder) or _state(project)
    try:
        ingest(project.engine, project.registry, folder, ["traffic"], raw_engine=project.raw_engine)
        KNOWN_STATE.pop(folder, None)  # loaded: the state moved on
    except LoadError as error:
        message = str(error)
        assert "traffic.csv" in message, message
        assert "Traceback" not in message
        if "value" in message:  # a bad value: which line it is on
            assert names_a_line(message, source), message
        assert _state(project) == before  # refused: nothing changed
        assert runs(project.engine)[-1]["status"] == "failed"
        KNOWN_STATE[folder] = before
