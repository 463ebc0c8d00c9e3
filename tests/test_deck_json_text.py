"""The JSON export (orjson) writes what `asdict` + `json.dumps` wrote, value for value.

The text differs only where JSON allows: orjson writes 1e-05 as 0.00001. Parsed, every
value is the same, floats to the bit."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from deck_fixtures import sample_deck

from wbr.deck.model import JSON_SCHEMA_VERSION, Deck
from wbr.export import deck_from_dict, deck_to_dict, deck_to_json, write_deck_json


def reference_jsonable(value: Any) -> Any:
    """The export's conversion before the fast path, kept here as the oracle."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: reference_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reference_jsonable(item) for item in value]
    return value


def reference_json(deck: Deck) -> str:
    body = reference_jsonable(dataclasses.asdict(deck))
    for section, section_body in zip(deck.sections, body["sections"], strict=True):
        for chart, chart_body in zip(section.charts, section_body["charts"], strict=True):
            chart_body["x_labels"] = list(chart.x_labels)
    document = {"schema_version": JSON_SCHEMA_VERSION, **body}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def with_awkward_values(deck: Deck) -> Deck:
    """Non-finite numbers (written as null), non-ASCII text and a datetime as a date."""
    section = deck.sections[0]
    chart = section.charts[0]
    first = dataclasses.replace(
        chart.weeks[0], cy=math.inf, py=math.nan, label="wk 1 \u2212 \u00e9\u201c\u0007"
    )
    chart = dataclasses.replace(
        chart,
        weeks=(first, *chart.weeks[1:]),
        description='Quotes " and \\ and \n a new line',
        drives=(),
    )
    changed = dataclasses.replace(section, charts=(chart, *section.charts[1:]))
    return dataclasses.replace(
        deck,
        sections=(changed, *deck.sections[1:]),
        week_ending=datetime(2021, 9, 25, 0, 0),
    )


def layout(text: str) -> list[str]:
    """Each line's indentation and first character: the layout both writers share."""
    lines = text.splitlines()
    return [line[: len(line) - len(line.lstrip(" "))] + line.strip()[:1] for line in lines]


@pytest.mark.parametrize("make", [sample_deck, lambda: with_awkward_values(sample_deck())])
def test_deck_json_holds_what_asdict_and_json_dumps_wrote(make: Any) -> None:
    deck = make()
    text, reference = deck_to_json(deck), reference_json(deck)
    assert json.loads(text) == json.loads(reference)
    assert layout(text) == layout(reference)  # indented by two
    assert text.endswith("}\n")
    assert json.loads(text) == deck_to_dict(deck)


def test_write_deck_json_writes_the_same_text(tmp_path: Path) -> None:
    deck = with_awkward_values(sample_deck())
    write_deck_json(deck, tmp_path / "deck" / "deck.json")
    assert (tmp_path / "deck" / "deck.json").read_text(encoding="utf-8") == deck_to_json(deck)


def test_the_dict_round_trips() -> None:
    body = deck_to_dict(sample_deck())
    assert deck_to_dict(deck_from_dict(body)) == body
    assert next(iter(body)) == "schema_version"


def test_numbers_from_numpy_and_non_finite_ones_are_written_as_json_numbers() -> None:
    """A value that came through numpy is its plain number; NaN and inf are null."""
    deck = sample_deck()
    section = deck.sections[0]
    chart = section.charts[0]
    first = dataclasses.replace(chart.weeks[0], cy=np.float64(1e-05), py=np.float64("nan"))
    second = dataclasses.replace(chart.weeks[1], cy=-math.inf, py=np.float64(2.5))
    chart = dataclasses.replace(
        chart, weeks=(first, second, *chart.weeks[2:]), decimals=np.int64(2)
    )
    deck = dataclasses.replace(
        deck,
        sections=(
            dataclasses.replace(section, charts=(chart, *section.charts[1:])),
            *deck.sections[1:],
        ),
    )
    weeks = deck_to_dict(deck)["sections"][0]["charts"][0]["weeks"]
    assert (weeks[0]["cy"], weeks[0]["py"], weeks[1]["cy"], weeks[1]["py"]) == (
        1e-05,
        None,
        None,
        2.5,
    )
    assert deck_to_dict(deck)["sections"][0]["charts"][0]["decimals"] == 2


@pytest.mark.parametrize(
    ("value", "written"),
    [(np.float32(0.5), 0.5), (np.int64(7), 7), (np.bool_(True), True), (np.float64(2.5), 2.5)],
)
def test_a_numpy_number_is_written_as_its_python_value(value: Any, written: Any) -> None:
    deck = dataclasses.replace(sample_deck(), generated_at=value)
    assert deck_to_dict(deck)["generated_at"] == written


@pytest.mark.parametrize(
    "value", [object(), np.datetime64("2024-01-06"), np.array([1.0, 2.0]), {1, 2}]
)
def test_a_value_no_deck_holds_is_refused(value: Any) -> None:
    deck = dataclasses.replace(sample_deck(), generated_at=value)
    with pytest.raises(TypeError):
        deck_to_json(deck)
