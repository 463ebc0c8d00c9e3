"""The source declarations shown in docs/connectors.md are valid, as a user would paste them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from wbr.registry.sources import BUILTIN_MODELS, source_model

DOC = (Path(__file__).parent.parent / "docs" / "connectors.md").read_text()


def _source_blocks() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in re.findall(r"```yaml\n(.*?)```", DOC, flags=re.DOTALL):
        text = block if block.startswith("sources:") else "sources:\n" + block
        for name, raw in YAML(typ="safe").load(text)["sources"].items():
            found.append((name, raw))
    return found


BLOCKS = _source_blocks()


def test_the_doc_shows_every_builtin_kind() -> None:
    assert {raw["kind"] for _, raw in BLOCKS} >= set(BUILTIN_MODELS)


@pytest.mark.parametrize(("name", "raw"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_documented_sources_validate(name: str, raw: dict[str, Any]) -> None:
    if raw["kind"] not in BUILTIN_MODELS:
        pytest.skip(f"{raw['kind']!r} is the doc's example of a third-party kind")
    source_model(raw).model_validate(raw)
