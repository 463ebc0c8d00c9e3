"""Import a deck config of the public WBR reference app (github.com/working-backwards/wbr-app).

`import_wbr_app` reads the reference's `config.yaml` and its CSV, writes a wbr
`metrics.yaml`, checks it as `wbr validate` does, and returns every note about
what was not translated, translated differently, or left for the user to fill in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from wbr.errors import ConfigError
from wbr.importers.notes import ImportNote, NoteLevel
from wbr.importers.wbr_app.convert import Conversion, convert
from wbr.importers.wbr_app.writer import write_registry
from wbr.registry.loader import validate_file
from wbr.registry.problems import Problem


@dataclass(frozen=True)
class ImportResult:
    output: Path
    registry: dict[str, Any]  # the data written to `output`
    notes: tuple[ImportNote, ...]
    names: dict[str, str]  # reference metric name → wbr metric name
    week_ending: date | None  # the week the reference deck showed
    problems: tuple[Problem, ...]  # what `wbr validate` says about `output`


def read_config(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return YAML(typ="safe").load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read the wbr-app config {path}: {error.strerror}") from error
    except YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error


def import_wbr_app(config_file: Path, data_file: Path, output: Path) -> ImportResult:
    """Translate `config_file` (with its CSV `data_file`) into the registry at `output`."""
    if not data_file.is_file():
        raise ConfigError(f"no data file at {data_file}; pass the CSV the config reads (--data)")
    config = read_config(config_file)
    if not isinstance(config, dict) or not isinstance(config.get("metrics"), dict):
        raise ConfigError(
            f"{config_file} is not a wbr-app deck config: it needs `setup:`, `metrics:` and `deck:`"
        )
    conversion: Conversion = convert(config, data_file, output.parent)
    header = (
        f"Imported from {config_file.name} (wbr-app) by `wbr import-wbr-app`.\n"
        "Fill in each metric's description, kind and owner (see the TODOs), then run\n"
        "`wbr validate`, `wbr ingest` and `wbr compute`. See docs/migrating-from-wbr-app.md."
    )
    write_registry(conversion.registry, conversion.names, output, header)
    problems = tuple(validate_file(output).problems)
    return ImportResult(
        output=output,
        registry=conversion.registry,
        notes=conversion.notes,
        names=conversion.names,
        week_ending=conversion.week_ending,
        problems=problems,
    )


__all__ = ["ImportNote", "ImportResult", "NoteLevel", "import_wbr_app", "read_config"]
