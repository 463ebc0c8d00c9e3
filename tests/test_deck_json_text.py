"""The JSON export's fast path writes the same text as `asdict` + `json.dumps` did."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime
from typing import Any

import pytest
from deck_fixtures import sample_deck
from hypothesis import given, settings
from hypothesis import strategies as st

from wbr.deck.model import JSON_SCHEMA_VERSION, Deck
from wbr.export import deck_from_dict, deck_to_dict, deck_to_json
from wbr.export.indented_json import dumps_indented


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


@pytest.mark.parametrize("make", [sample_deck, lambda: with_awkward_values(sample_deck())])
def test_deck_json_is_the_same_text_as_asdict_and_json_dumps(make: Any) -> None:
    deck = make()
    assert deck_to_json(deck) == reference_json(deck)
    assert json.loads(deck_to_json(deck)) == deck_to_dict(deck)


def test_the_fast_dict_round_trips() -> None:
    body = deck_to_dict(sample_deck())
    assert deck_to_dict(deck_from_dict(body)) == body
    assert next(iter(body)) == "schema_version"


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and ±inf too: both encoders write them the same way
    | st.sampled_from([1e-05, 2.5e-07, 1e16, -0.0, 1e300])
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_indented_text_matches_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": {}, "b": [], "c": [[]], "d": [{}]},
        {2: "int key", 1.5: [1], True: {"x": None}, None: 0},  # json.dumps turns keys to text
        "\u2212 and \u00e9",
        [[1, [2, [3, {"deep": [4.5]}]]]],
    ],
)
def test_edge_cases_match_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_dumps_refuses_is_refused() -> None:
    with pytest.raises(TypeError):
        dumps_indented({"when": date(2024, 1, 1)})
    with pytest.raises(TypeError):
        dumps_indented({"a": [1], ("tuple", "key"): 2})
