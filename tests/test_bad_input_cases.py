"""The cases the fuzz tests found, kept as plain tests: each once crashed or hung wbr
with a traceback, and now ends in a message naming the file and the line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import small_project as shop
from ruamel.yaml import YAML

from wbr.errors import ConfigError
from wbr.registry.formula import FormulaError, parse_formula
from wbr.registry.loader import load_registry

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefg", "bcdefgh", strict=True)
)


def _base() -> str:
    out = io.StringIO()
    YAML(typ="safe").dump(shop.REGISTRY_DATA, out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("case", "mangle", "expected"),
    [
        ("NUL", lambda t: t.replace("clicks", "cl\x00icks", 1), "U+0000 is not allowed"),
        ("huge int", lambda t: t.replace("decimals: 2", "decimals: " + "9" * 5000), "5,000 digits"),
        ("alias bomb", lambda t: "a: &a [x, x, x, x, x, x, x, x, x]\n" + BOMB + t, "expands"),
        ("float name", lambda t: t.replace("name: orders", "name: 1e999"), "metric"),
        ("alias loop", lambda t: "a: &x [*x]\n" + t, "unknown top-level key `a`"),
    ],
)
def test_a_registry_that_once_crashed_gets_a_message(
    tmp_path: Path, case: str, mangle: object, expected: str
) -> None:
    file = tmp_path / "metrics.yaml"
    assert callable(mangle)
    file.write_text(mangle(_base()), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_registry(file)
    assert f"{file}:" in str(refused.value) and expected in str(refused.value), case


def test_a_registry_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "metrics.yaml"
    file.write_bytes(_base().encode().replace(b"Small Shop WBR", b"Small \xed\xb3 Shop"))
    with pytest.raises(ConfigError, match=r"metrics.yaml:7: error: the file is not UTF-8"):
        load_registry(file)


@pytest.mark.parametrize(
    "expression", ["-" * 999 + "clicks", "+".join(["clicks"] * 200), "1+" * 50_000 + "1"]
)
def test_a_formula_nesting_without_end_is_refused(expression: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(expression)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1" + "0" * 400, "too large for a whole-number column"),
        ("x" * 1_000_000, "is not a number"),  # a field past Python csv's 128 KiB limit
    ],
)
def test_a_source_value_that_once_crashed_the_load_is_refused_with_its_line(
    tmp_path: Path, cell: str, expected: str
) -> None:
    from ingest_support import project

    from wbr.errors import LoadError
    from wbr.ingest import ingest
    from wbr.store import create_store_engine, migrate

    lines = ["day,clicks", "2024-01-01,1", f"2024-01-02,{cell}", "2024-01-03,3"]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    registry = project(
        tmp_path,
        t={"kind": "csv", "path": "t.csv", "date_column": "day", "columns": {"clicks": "integer"}},
    )
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        migrate(engine)
        with pytest.raises(LoadError) as refused:
            ingest(engine, registry, tmp_path)
        message = str(refused.value)
        assert "t.csv" in message and "line 3" in message and expected in message
    finally:
        engine.dispose()
