"""The parse of metrics.yaml kept in .wbr/ between commands (wbr/registry/yaml_cache.py).

The cache may only save time: a command must see exactly what it would see without
it. These tests change the file (and what validation reads besides it) after an
entry was made, and plant bad entries, and check the answers against a fresh read.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import small_project as shop

from wbr.errors import ConfigError
from wbr.registry import yaml_cache
from wbr.registry.loader import load_registry, validate_file


def _entry(registry_file: Path) -> Path:
    return yaml_cache.cache_file(registry_file)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The small project with the `.wbr/` folder its first load would make."""
    registry_file = shop.write_project(tmp_path)
    (tmp_path / ".wbr").mkdir()
    return registry_file


def test_a_second_command_parses_no_yaml(project: Path) -> None:
    registry_file = project
    first = load_registry(registry_file)
    assert _entry(registry_file).is_file()
    script = (
        "import sys\nfrom pathlib import Path\nfrom wbr.registry.loader import load_registry\n"
        f"registry = load_registry(Path({str(registry_file)!r}))\n"
        "print(registry.deck.title, 'ruamel' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [*first.deck.title.split(), "False"]


def test_an_edit_is_seen_even_with_the_same_size_and_time(project: Path) -> None:
    registry_file = project
    assert load_registry(registry_file).deck.title == "Small Shop WBR"
    before = registry_file.stat()
    text = registry_file.read_text()
    registry_file.write_text(text.replace("Small Shop WBR", "Small Shop WBX"))
    os.utime(registry_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert registry_file.stat().st_size == before.st_size
    assert load_registry(registry_file).deck.title == "Small Shop WBX"


def test_an_edit_that_breaks_the_file_is_reported_with_its_line(project: Path) -> None:
    registry_file = project
    load_registry(registry_file)
    validate_file(registry_file)  # an entry with line numbers, too
    text = registry_file.read_text().replace("type: sum", "type: summ", 1)
    registry_file.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "summ" in row)
    with pytest.raises(ConfigError, match=rf"metrics.yaml:{line}"):
        load_registry(registry_file)
    with pytest.raises(ConfigError, match=rf"metrics.yaml:{line}"):
        load_registry(registry_file)  # now from the entry of the broken file


def test_validation_still_reads_what_lies_beside_the_file(project: Path) -> None:
    """A CSV's header is checked on every load: the cache holds the parse, not the verdict."""
    registry_file = project
    load_registry(registry_file)
    assert _entry(registry_file).is_file()
    traffic = project.parent / "data" / "traffic.csv"
    traffic.write_text(traffic.read_text().replace("clicks", "klicks", 1))
    with pytest.raises(ConfigError, match="`clicks` is not a column"):
        load_registry(registry_file)


def test_validate_reports_the_same_with_and_without_an_entry(project: Path) -> None:
    registry_file = project
    # A warning with a line: an owner that names nobody in a `people:` list.
    text = registry_file.read_text()
    registry_file.write_text(text + "people:\n- {key: sam, name: Sam Lee, email: s@example.com}\n")
    fresh = [problem.render() for problem in validate_file(registry_file).problems]
    assert fresh and _entry(registry_file).is_file()
    cached = [problem.render() for problem in validate_file(registry_file).problems]
    assert cached == fresh
    _entry(registry_file).unlink()
    assert [problem.render() for problem in validate_file(registry_file).problems] == fresh


class _Planted:
    """Unpickling this would create a file: a planted entry must never run it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("kind", ["code", "garbage", "other key", "empty"])
def test_a_bad_entry_is_a_miss_and_runs_nothing(project: Path, tmp_path: Path, kind: str) -> None:
    registry_file = project
    expected = load_registry(registry_file)
    entry = _entry(registry_file)
    marker = tmp_path / "planted"
    content = registry_file.read_bytes()
    planted = {
        "code": pickle.dumps((yaml_cache.entry_key(content), _Planted(marker), None)),
        "garbage": b"\x80\x05not a pickle",
        "other key": pickle.dumps(("0" * 64, {"project": {"name": "Stale"}}, None)),
        "empty": b"",
    }[kind]
    entry.write_bytes(planted)
    assert load_registry(registry_file) == expected
    assert not marker.exists()


def test_no_cache_when_the_folder_cannot_hold_one(tmp_path: Path) -> None:
    registry_file = shop.write_project(tmp_path)
    (tmp_path / ".wbr").write_text("a file where the folder would be")
    assert load_registry(registry_file).deck.title == "Small Shop WBR"
    assert load_registry(registry_file).deck.title == "Small Shop WBR"


def test_a_project_without_local_state_gets_no_new_folder(tmp_path: Path) -> None:
    registry_file = shop.write_project(tmp_path)
    validate_file(registry_file)
    load_registry(registry_file)
    assert not (tmp_path / ".wbr").exists()
