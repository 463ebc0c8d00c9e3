"""Read YAML into plain data, keeping each node's line number beside the data.

Line numbers live in a separate `Locations` map keyed by the path to a node
(`("metrics", 3, "owner")`), never inside the user's data.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wbr.registry.problems import Level, Problem

NodePath = tuple[str | int, ...]


@dataclass(frozen=True)
class Locations:
    """1-based line of every mapping key and list item, by path."""

    lines: dict[NodePath, int] = field(default_factory=dict)

    def line_of(self, path: NodePath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


@dataclass(frozen=True)
class YamlDocument:
    file: Path
    data: Any
    locations: Locations


# A registry of 300 metrics has about 10,000 values (so 10x room); aliases (`*name`) can make a
# short file expand to billions ("billion laughs"), so expansion stops well past any
# real registry instead of hanging.
MAX_VALUES = 100_000
# Python refuses to turn longer digit strings into an int (CVE-2020-10735).
MAX_INT_DIGITS = 4300


class _Unreadable(Exception):
    """The document cannot become plain data: an alias inside itself, or too many values."""

    def __init__(self, path: NodePath, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


@dataclass
class _Walk:
    """What converting one document has seen: nodes on the current path, values made."""

    lines: dict[NodePath, int] | None
    active: set[int] = field(default_factory=set)
    values: int = 0

    def enter(self, node: Any, path: NodePath) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Unreadable(path, f"the file expands to more than {MAX_VALUES:,} values")
        if id(node) in self.active:
            raise _Unreadable(path, "an alias (`*name`) refers to a node that contains it")


def _to_plain(node: Any, path: NodePath, walk: _Walk) -> Any:
    walk.enter(node, path)
    if isinstance(node, dict | list):
        walk.active.add(id(node))
        try:
            return _container(node, path, walk)
        finally:
            walk.active.discard(id(node))
    if type(node) in _PLAIN_SCALARS:
        return node
    return _plain_scalar(node)


# What the safe loader produces; the round-trip loader wraps some of these in
# subclasses that keep formatting (ScalarInt, ScalarFloat, TimeStamp, CommentedSet).
_PLAIN_SCALARS = frozenset(
    {str, int, float, bool, type(None), bytes, datetime.date, datetime.datetime, set}
)


def _plain_scalar(node: Any) -> Any:
    """The built-in value behind one of ruamel's scalar subclasses, as the safe loader gives it.

    Both readers then hand validation the same types, and the parse can be cached as
    plain data (wbr/registry/yaml_cache.py).
    """
    from ruamel.yaml.scalarbool import ScalarBoolean

    if isinstance(node, ScalarBoolean):  # an int subclass, for an anchored true/false
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime.datetime):
        return datetime.datetime(
            node.year,
            node.month,
            node.day,
            node.hour,
            node.minute,
            node.second,
            node.microsecond,
            tzinfo=node.tzinfo,
            fold=node.fold,
        )
    if isinstance(node, datetime.date):
        return datetime.date(node.year, node.month, node.day)
    if isinstance(node, AbstractSet):  # ruamel's CommentedSet is a MutableSet, not a set
        return set(node)
    return node


def _container(node: dict[Any, Any] | list[Any], path: NodePath, walk: _Walk) -> Any:
    lines = walk.lines
    if isinstance(node, dict):
        plain: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            if lines is not None and hasattr(node, "lc"):  # ruamel's CommentedMap
                line, _column = node.lc.key(key)
                lines[child] = line + 1
            plain[str(key)] = _to_plain(value, child, walk)
        return plain
    items = []
    for index, value in enumerate(node):
        child = (*path, index)
        if lines is not None and hasattr(node, "lc"):  # ruamel's CommentedSeq
            line, _column = node.lc.item(index)
            lines[child] = line + 1
        items.append(_to_plain(value, child, walk))
    return items


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _unparseable(file: Path, text: str, error: Exception) -> Problem:
    """A YAML error that carries no mark, or a value Python cannot hold, with its line."""
    position = getattr(error, "position", None)
    if isinstance(position, int):  # ruamel's ReaderError: a character YAML does not allow
        character = getattr(error, "character", None)
        if isinstance(character, str) and len(character) == 1:
            character = ord(character)
        shown = f"U+{character:04X}" if isinstance(character, int) else "a character"
        return Problem(
            Level.ERROR,
            file,
            _line_at(text, position),
            f"invalid YAML: the character {shown} is not allowed in YAML",
            "remove it (control characters and NUL cannot appear in a YAML file)",
        )
    long_number = re.search(rf"\d{{{MAX_INT_DIGITS},}}", text)
    if isinstance(error, ValueError) and long_number is not None:
        return Problem(
            Level.ERROR,
            file,
            _line_at(text, long_number.start()),
            f"a number with {len(long_number.group()):,} digits is too long to read",
            "write a reasonable number, or quote it if it is text",
        )
    return Problem(Level.ERROR, file, None, f"invalid YAML: {error}", "fix the YAML syntax")


def _read_text(file: Path, content: bytes | None = None) -> str | Problem:
    try:
        data = file.read_bytes() if content is None else content
    except OSError as error:
        return Problem(
            Level.ERROR,
            file,
            None,
            f"cannot read the registry file: {error.strerror}",
            "check the path, or run `wbr init` to create a metrics.yaml",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return Problem(
            Level.ERROR,
            file,
            data.count(b"\n", 0, error.start) + 1,
            f"the file is not UTF-8 text ({error.reason} at byte {error.start})",
            "save metrics.yaml as UTF-8",
        )


def read_yaml(file: Path, content: bytes | None = None) -> YamlDocument | Problem:
    """Parse `file` (or `content`, its bytes when already read); any syntax error, bad byte
    or alias loop comes back as a Problem."""
    # Imported here: a command whose registry is cached (wbr/registry/yaml_cache.py)
    # never parses YAML and need not import the library.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    text = _read_text(file, content)
    if isinstance(text, Problem):
        return text
    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (error.problem or str(error)).strip()
        hint = "fix the YAML syntax at that line (indentation, a missing ':' or quote)"
        if "duplicate key" in problem:
            hint = "each key may appear once in a mapping; remove or rename one of them"
        return Problem(Level.ERROR, file, line, f"invalid YAML: {problem}", hint)
    except (YAMLError, ValueError) as error:
        return _unparseable(file, text, error)
    lines: dict[NodePath, int] = {(): 1}
    try:
        data = _to_plain(root, (), _Walk(lines))
    except _Unreadable as error:
        line = Locations(lines).line_of(error.path)
        hint = "use each alias (`*name`) outside the node its anchor (`&name`) names, or fewer"
        return Problem(Level.ERROR, file, line, f"invalid YAML: {error.reason}", hint)
    return YamlDocument(file=file, data=data, locations=Locations(lines))


def read_yaml_quickly(file: Path, content: bytes | None = None) -> YamlDocument | None:
    """Parse `file` (or `content`, its bytes) without line numbers, or None on any problem
    (then use `read_yaml`).

    ruamel's safe loader runs on libyaml (ruamel.yaml.clib) and parses a 300-metric
    registry in 0.06 s; the round-trip loader that records every line takes 0.4 s,
    at the start of every command. It still rejects duplicate keys, as `read_yaml` does.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        raw = file.read_bytes() if content is None else content
        # As `Path.read_text` decodes: UTF-8 with universal newlines.
        text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read()
        root = YAML(typ="safe").load(text)
        data = _to_plain(root, (), _Walk(None))
    except (OSError, UnicodeDecodeError, YAMLError, ValueError, _Unreadable):
        return None
    return YamlDocument(file=file, data=data, locations=Locations())
