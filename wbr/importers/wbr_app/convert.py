"""A reference app config and its CSV → the data of a wbr `metrics.yaml`, and notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from wbr.importers.names import NameMap, snake_case
from wbr.importers.notes import ImportNote, NoteLevel
from wbr.importers.wbr_app.data import profile_csv
from wbr.importers.wbr_app.deck import translate_deck
from wbr.importers.wbr_app.metrics import DEFAULT_KIND, DEFAULT_OWNER, translate_metrics
from wbr.importers.wbr_app.setup import translate_setup

TOP_LEVEL_KEYS = ("setup", "metrics", "deck")
# The reference app's data is one row per day: a refresh reloads the last week (where
# late corrections land) and reads what was appended, not the whole file again.
IMPORTED_LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class Conversion:
    registry: dict[str, Any]  # the plain data of metrics.yaml
    notes: tuple[ImportNote, ...]
    names: dict[str, str]  # reference metric name → wbr metric name
    week_ending: date | None  # the reference deck's week


def _every(count: int) -> str:
    return "the metric has" if count == 1 else f"each of the {count} metrics has"


def source_path(data_file: Path, registry_dir: Path) -> str:
    """The CSV's path as metrics.yaml names it: relative when it lies under its folder."""
    data_file, registry_dir = data_file.resolve(), registry_dir.resolve()
    if data_file.is_relative_to(registry_dir):
        return data_file.relative_to(registry_dir).as_posix()
    return data_file.as_posix()


def convert(config: Any, data_file: Path, registry_dir: Path) -> Conversion:
    """Translate `config` (the parsed reference YAML); `data_file` is its CSV."""
    notes: list[ImportNote] = []
    config = config if isinstance(config, Mapping) else {}
    for key in config:
        if key not in TOP_LEVEL_KEYS:
            notes.append(
                ImportNote(
                    NoteLevel.NOT_TRANSLATED,
                    str(key),
                    "not translated: the data comes from the CSV given with --data"
                    if key == "data_sources"
                    else "unknown section, not translated",
                )
            )
    setup = translate_setup(config.get("setup"), notes)
    profile = profile_csv(data_file, notes)
    source_name = snake_case(data_file.stem)
    source: dict[str, Any] = {
        "kind": "csv",
        "path": source_path(data_file, registry_dir),
        "date_column": profile.date_column,
    }
    if profile.date_format is not None:
        source["date_format"] = profile.date_format
    source["incremental"] = {"lookback": IMPORTED_LOOKBACK_DAYS}
    notes.append(
        ImportNote(
            NoteLevel.INFO,
            f"sources.{source_name}",
            f"loads incrementally by `{profile.date_column}`: a refresh replaces the last "
            f"{IMPORTED_LOOKBACK_DAYS} days and adds the new ones "
            "(`wbr ingest --full` reloads all)",
        )
    )

    names = NameMap()
    raw_metrics = config.get("metrics")
    metrics = translate_metrics(
        raw_metrics if isinstance(raw_metrics, Mapping) else {},
        source_name,
        profile.columns,
        names,
        notes,
    )
    translated = {
        original: new
        for original, new in names.as_dict().items()
        if original not in metrics.left_out
    }
    deck = translate_deck(config.get("deck"), translated, metrics.left_out, notes)
    for metric in metrics.metrics:
        metric["label"] = deck.labels.get(metric["name"], metric["label"])
    if metrics.metrics:
        notes.append(
            ImportNote(
                NoteLevel.TODO,
                "metrics",
                f"{_every(len(metrics.metrics))} a generated `description`, "
                f"`kind: {DEFAULT_KIND}` and `owner: {DEFAULT_OWNER}`: write what it measures, "
                "mark the controllable inputs `kind: input` (the deck shows them first), and name "
                "the one person who explains its exceptions",
            )
        )
    deck_data: dict[str, Any] = {"title": setup.deck_title}
    if setup.monthly_view is not None:
        deck_data["monthly_view"] = setup.monthly_view
    deck_data["sections"] = deck.sections
    registry = {
        "project": setup.project,
        "sources": {source_name: source},
        "metrics": metrics.metrics,
        "deck": deck_data,
    }
    return Conversion(registry, tuple(notes), translated, setup.week_ending)
