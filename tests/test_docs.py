"""Docs that match behaviour: every registry key and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from wbr.cli import main
from wbr.registry import access, aggregations, anomaly_settings, models, ritual, sources

ROOT = Path(__file__).parent.parent
REGISTRY_DOC = (ROOT / "docs" / "metrics-yaml.md").read_text()
README = (ROOT / "README.md").read_text()


def registry_models() -> list[type[BaseModel]]:
    found = []
    for module in (models, aggregations, sources, anomaly_settings, access, ritual):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
                and value.model_fields
            ):
                found.append(value)
    return found


@pytest.mark.parametrize("model", registry_models(), ids=lambda model: model.__name__)
def test_every_registry_key_is_documented(model: type[BaseModel]) -> None:
    documented = set(re.findall(r"`([a-z_]+)`", REGISTRY_DOC))
    if model.__module__ == anomaly_settings.__name__:
        documented |= set(re.findall(r"`([a-z_]+)`", (ROOT / "docs" / "anomalies.md").read_text()))
    if model.__module__ == sources.__name__:
        connectors_doc = ROOT / "docs" / "connectors.md"
        if connectors_doc.exists():
            documented |= set(re.findall(r"`([a-z_]+)`", connectors_doc.read_text()))
    missing = sorted(set(model.model_fields) - documented)
    assert missing == [], f"{model.__name__} keys missing from the docs: {missing}"


def test_every_command_is_in_the_readme_and_has_help() -> None:
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        assert f"wbr {name}" in README, f"`wbr {name}` is not in README.md"
        assert command.help, f"`wbr {name}` has no help text"


def test_readme_quick_start_is_two_make_targets_that_exist() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
