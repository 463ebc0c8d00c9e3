"""wbr.deck.format: the exact text every rendering shows for a number."""

from __future__ import annotations

import math
from datetime import date

import pytest

from wbr.deck.format import (
    change_sign,
    format_cell,
    format_change,
    format_date,
    format_difference,
    format_drivers,
    format_exception_count,
    format_flag_badge,
    format_value,
    format_value_full,
    format_week_heading,
    text_sign,
)
from wbr.deck.model import AnomalyNote, Change


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (1_234_567.0, "count", 2, "1.23M"),
        (45_600.0, "currency", 1, "$45.6K"),
        (470_759_324.0, "count", 0, "471M"),
        (2_500_000_000.0, "count", 1, "2.5B"),
        (1_500_000_000_000.0, "currency", 1, "$1.5T"),
        (999_999.0, "count", 2, "1.00M"),  # rounding up moves to the next suffix
        (999.6, "count", 0, "1K"),
        (412.0, "count", 0, "412"),
        (12.5, "count", 1, "12.5"),
        (0.0, "count", 0, "0"),
        (-1_234.0, "currency", 1, "\u2212$1.2K"),
        (-0.0001, "count", 2, "0.00"),  # rounds to zero: no sign
        (0.953, "percent", 1, "95.3%"),
        (1.0, "percent", 0, "100%"),
        (0.0005, "percent", 2, "0.05%"),
        (412.0, "milliseconds", 0, "412 ms"),
        (1_412.0, "milliseconds", 0, "1,412 ms"),
        (1.54, "seconds", 1, "1.5 s"),
        (2.4, "days", 1, "2.4 d"),
        (2.414, "ratio", 2, "2.41"),
        (None, "count", 0, "N/A"),
        (None, "percent", 1, "N/A"),
        (math.nan, "count", 0, "N/A"),
        (math.inf, "currency", 0, "N/A"),
    ],
)
def test_format_value(value: float | None, unit: str, decimals: int, expected: str) -> None:
    assert format_value(value, unit, decimals) == expected


def test_format_value_other_currency() -> None:
    assert format_value(45_600.0, "currency", 1, currency_symbol="€") == "€45.6K"
    assert format_value_full(1_234_567.0, "currency", 2, currency_symbol="£") == "£1,234,567"


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (470_759_324.0, "count", 0, "470,759,324"),
        (1_234_567.0, "currency", 2, "$1,234,567"),  # whole from 1,000 up
        (1_234_567.4, "count", 2, "1,234,567"),
        (45.67, "currency", 2, "$45.67"),  # cents below 1,000
        (12.5, "count", 1, "12.5"),
        (-1_234_567.0, "currency", 0, "\u2212$1,234,567"),
        (0.953, "percent", 1, "95.3%"),
        (1_412.0, "milliseconds", 0, "1,412 ms"),
        (2.4, "days", 1, "2.4 d"),
        (None, "count", 0, "N/A"),
    ],
)
def test_format_value_full(value: float | None, unit: str, decimals: int, expected: str) -> None:
    assert format_value_full(value, unit, decimals) == expected


@pytest.mark.parametrize(
    ("change", "expected", "sign"),
    [
        (Change(2.34, "percent"), "+2.3%", 1),
        (Change(-15.0, "percent"), "\u221215.0%", -1),
        (Change(1_234.56, "percent"), "+1,234.6%", 1),
        (Change(0.04, "percent"), "0.0%", 0),
        (Change(-0.04, "percent"), "0.0%", 0),
        (Change(45.4, "bps"), "+45 bps", 1),
        (Change(-120.0, "bps"), "\u2212120 bps", -1),
        (Change(0.3, "bps"), "0 bps", 0),
        (Change(None, "percent"), "N/A", 0),
        (Change(None, "bps"), "N/A", 0),
        (Change(math.nan, "percent"), "N/A", 0),
    ],
)
def test_format_change(change: Change, expected: str, sign: int) -> None:
    assert format_change(change) == expected
    assert change_sign(change) == sign


def test_format_change_rejects_unknown_unit() -> None:
    with pytest.raises(ValueError, match="unknown change unit 'ratio'"):
        format_change(Change(1.0, "ratio"))


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected", "sign"),
    [
        (25_000.4, "currency", 0, "+$25,000", 1),
        (-103_737.97, "currency", 2, "\u2212$103,738", -1),
        (12.0, "milliseconds", 0, "+12 ms", 1),
        (-0.012, "percent", 1, "\u22121.2%", -1),
        (0.0001, "count", 0, "0", 0),  # rounds to zero: no sign
        (-0.0001, "count", 0, "0", 0),
        (None, "currency", 0, "N/A", 0),
    ],
)
def test_format_difference(
    value: float | None, unit: str, decimals: int, expected: str, sign: int
) -> None:
    assert format_difference(value, unit, decimals) == expected
    assert text_sign(expected) == sign


@pytest.mark.parametrize(
    ("value", "kind", "difference", "expected"),
    [
        (1_234_567.0, "value", False, "$1,234,567"),  # in full, as in the box
        (1_234_567.0, "value", True, "+$1,234,567"),
        (-8.22, "percent", False, "\u22128.2%"),
        (504.0, "bps", False, "+504 bps"),
        (None, "value", False, "N/A"),
        (None, "percent", False, "N/A"),
        (None, "bps", True, "N/A"),
    ],
)
def test_format_cell(value: float | None, kind: str, difference: bool, expected: str) -> None:
    assert format_cell(value, kind, "currency", 2, difference=difference) == expected


def test_format_cell_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown table row kind 'ratio'; expected one of bps"):
        format_cell(1.0, "ratio", "count", 0)


def test_dates_are_english_whatever_the_locale() -> None:
    assert format_date(date(2021, 9, 25)) == "Sat 25 Sep 2021"
    assert format_date(date(2026, 1, 4)) == "Sun 4 Jan 2026"
    assert (
        format_week_heading(38, date(2021, 9, 25)) == "Week 38 \u00b7 week ending Sat 25 Sep 2021"
    )


def _note(status: str, *, is_bad: bool = True, explained_by: str | None = None) -> AnomalyNote:
    return AnomalyNote(
        week_ending=date(2021, 9, 25),
        detector="robust",
        status=status,
        severity="high",
        is_bad=is_bad,
        expected=0.91,
        lower=0.9026,
        upper=0.9174,
        actual=0.865,
        deviation_pct=-4.95,
        explanation="expected 91.0% ± 74 bps from the last 8 weeks; got 86.5%, −455 bps",
        explained_by=explained_by,
        drivers=(),
        flag_id=7,
    )


def test_flag_badges_say_what_to_do_with_a_flag() -> None:
    assert format_flag_badge(_note("open")) == "\u26a0 Exception"
    assert format_flag_badge(_note("open", is_bad=False)) == "\u25b2 Exception"
    explained = _note("explained", explained_by="Black Friday")
    assert format_flag_badge(explained) == "Explained: Black Friday"
    assert format_flag_badge(_note("explained")) == "Explained"  # an event without a name
    with pytest.raises(ValueError, match="unknown flag status 'resolved'"):
        format_flag_badge(_note("resolved"))  # resolved flags are never in a deck


def test_drivers_and_the_exception_count() -> None:
    drivers = ("category=Electronics (85 % of the change)", "region=South (40 % of the change)")
    assert format_drivers(drivers) == (
        "Drivers: category=Electronics (85 % of the change), region=South (40 % of the change)"
    )
    assert format_drivers(()) == ""
    assert format_exception_count(0) == "No exceptions this week"
    assert format_exception_count(1) == "1 exception this week"
    assert format_exception_count(3) == "3 exceptions this week"
