"""Fuzzing metrics.yaml: whatever an analyst's editor leaves in the file, wbr answers
with a clear message naming the file and the line, never a traceback or a hang.

Two families of mutations of a valid registry: of its text (indentation, truncation,
odd characters, huge numbers, dropped and doubled lines, bytes that are not UTF-8)
and of its data (a value of the wrong type, an unknown key, a missing key, a
dependency cycle, a formula that nests without end). Fixed seed; see fuzz_support.
"""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path
from typing import Any

import small_project as shop
from fuzz_support import HUGE_NUMBERS, ODD_TEXT, SEED, fuzz_settings, names_a_line
from hypothesis import given, seed
from hypothesis import strategies as st
from ruamel.yaml import YAML

from wbr.errors import ConfigError
from wbr.registry.loader import load_registry

TEXT_CASES = 800
DATA_CASES = 800


def _dump(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe").dump(data, out)
    return out.getvalue()


BASE_TEXT = _dump(shop.REGISTRY_DATA)
BASE_LINES = BASE_TEXT.splitlines(keepends=True)
# Problems a file can have without a single line to point at.
LINELESS = ("there is no `deck:`",)


def _check(file: Path) -> None:
    """The one property: loading succeeds, or fails with a ConfigError naming file and line."""
    try:
        load_registry(file)
    except ConfigError as error:
        message = str(error)
        assert str(file) in message
        assert names_a_line(message, file) or any(m in message for m in LINELESS), message
        assert "Traceback" not in message
        # Every line named is in the file (load_registry has read it with line numbers).
        lines = file.read_bytes().count(b"\n") + 1
        named = [int(n) for n in re.findall(rf"{re.escape(str(file))}:(\d+):", message)]
        assert all(1 <= line <= lines for line in named), message


# -- text mutations ----------------------------------------------------------------


@st.composite
def text_mutation(draw: st.DrawFn) -> bytes:
    lines = list(BASE_LINES)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["indent", "tab", "odd", "huge", "drop", "double", "truncate", "bytes"])
        )
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        if kind == "indent":
            shift = draw(st.integers(-3, 3))
            lines[index] = (
                line[-shift:] if shift < 0 and line[:-shift].isspace() else " " * shift + line
            )
        elif kind == "tab":
            lines[index] = "\t" + line.lstrip(" ")
        elif kind == "odd":
            at = draw(st.integers(0, len(line)))
            lines[index] = line[:at] + draw(st.sampled_from(ODD_TEXT)) + line[at:]
        elif kind == "huge" and ": " in line:
            key = line.split(": ", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(HUGE_NUMBERS))}\n"
        elif kind == "drop":
            del lines[index]
        elif kind == "double":
            lines.insert(index, line)
        elif kind == "truncate":
            text = "".join(lines)
            lines = [text[: draw(st.integers(0, len(text)))]]
        if not lines:
            lines = [""]
    data = "".join(lines).encode("utf-8")
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:  # now and then, raw bytes
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data


@seed(SEED)
@fuzz_settings(TEXT_CASES)
@given(text_mutation())
def test_a_mangled_registry_text_gets_a_message_with_its_line(tmp_path: Path, data: bytes) -> None:
    file = tmp_path / "metrics.yaml"  # one folder for all cases: each overwrites the file
    file.write_bytes(data)
    _check(file)


# -- data mutations ----------------------------------------------------------------

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(ODD_TEXT),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)
DEEP_FORMULAS = [
    "(" * 400 + "clicks" + ")" * 400,
    "-" * 900 + "clicks",
    "+".join(["clicks"] * 150),
    "clicks / " + "9" * 900,
    "__import__('os').system('true')",
    "clicks ** 2",
    "",
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def data_mutation(draw: st.DrawFn) -> str:
    data = copy.deepcopy(shop.REGISTRY_DATA)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["type", "unknown", "missing", "cycle", "formula", "self"]))
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        if kind == "type":
            parent[path[-1]] = draw(ANY_VALUE)
        elif kind == "unknown":
            target = draw(
                st.sampled_from([p for p in _paths(data) if isinstance(_get(data, p), dict)])
            )
            _get(data, target)[draw(st.text(min_size=1, max_size=12))] = draw(ANY_VALUE)
        elif kind == "missing" and (isinstance(parent, dict) or len(parent) > 1):
            del parent[path[-1]]
        elif kind == "cycle":
            # ctr = clicks / impressions; make clicks depend on ctr: a cycle of two.
            metrics = _metrics(data)
            for metric in metrics:
                if metric.get("name") == "clicks":
                    metric["aggregation"] = {"type": "formula", "expression": "ctr * 2"}
        elif kind == "formula":
            metrics = _metrics(data)
            if metrics:
                metric = draw(st.sampled_from(metrics))
                metric["aggregation"] = {
                    "type": "formula",
                    "expression": draw(st.sampled_from(DEEP_FORMULAS)),
                }
                metric.pop("source", None)
        elif kind == "self":
            metrics = _metrics(data)
            if metrics:
                metric = draw(st.sampled_from(metrics))
                name = metric.get("name")
                metric["aggregation"] = {"type": "ratio", "numerator": name, "denominator": name}
                metric["drives"] = [name]
    return _dump(data)


def _metrics(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = data.get("metrics")
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@seed(SEED)
@fuzz_settings(DATA_CASES)
@given(data_mutation())
def test_a_registry_with_wrong_values_gets_a_message_with_its_line(
    tmp_path: Path, text: str
) -> None:
    file = tmp_path / "metrics.yaml"
    file.write_text(text, encoding="utf-8")
    _check(file)
