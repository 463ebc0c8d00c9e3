"""A valid registry is read by the quick parser; the result must not depend on which."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import small_project as shop

from wbr.errors import ConfigError
from wbr.registry.loader import load_registry, parse_document
from wbr.registry.yaml_source import read_yaml, read_yaml_quickly

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "benchmarks" / "perf" / "generate.py"


def both_ways(file: Path) -> tuple[object, object]:
    quick = read_yaml_quickly(file)
    careful = read_yaml(file)
    assert quick is not None and not isinstance(careful, Exception)
    assert not hasattr(careful, "level"), careful  # not a Problem
    return parse_document(quick).registry, parse_document(careful).registry  # type: ignore[arg-type]


def test_the_demo_registry_is_the_same_read_either_way() -> None:
    quick, careful = both_ways(ROOT / "metrics.yaml")
    assert quick is not None and quick == careful


def test_a_generated_300_metric_registry_is_the_same_read_either_way(tmp_path: Path) -> None:
    command = [sys.executable, str(GENERATOR), "--rows", "1000", "--metrics", "300"]
    subprocess.run([*command, "--out", str(tmp_path)], check=True, capture_output=True)
    quick, careful = both_ways(tmp_path / "metrics.yaml")
    assert quick is not None and quick == careful
    assert len(quick.metrics) == 300  # type: ignore[attr-defined]


def test_errors_still_name_their_lines(tmp_path: Path) -> None:
    registry_file = shop.write_project(tmp_path)
    text = registry_file.read_text().replace("type: sum", "type: summ", 1)
    registry_file.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "summ" in row)
    with pytest.raises(ConfigError, match=rf"metrics.yaml:{line}"):
        load_registry(registry_file)


def test_a_duplicate_key_is_still_an_error(tmp_path: Path) -> None:
    registry_file = shop.write_project(tmp_path)
    registry_file.write_text(registry_file.read_text() + "deck:\n  title: twice\n")
    assert read_yaml_quickly(registry_file) is None
    with pytest.raises(ConfigError, match="duplicate key"):
        load_registry(registry_file)
