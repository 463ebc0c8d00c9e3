"""The one sentence shown with a flag on the chart.

"expected 41.2K ± 2.1K from the last 8 weeks and last year's pattern; got
35.0K, −15.0%". Numbers follow the deck's conventions (compact counts and
currency, percent metrics as percentages, their changes in basis points, the
typographic minus sign), written here because the anomalies stage sits below
the deck and must not import it.
"""

from __future__ import annotations

import math

from wbr.anomalies.model import DetectorName

MINUS = "\u2212"
COMPACT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
UNIT_SUFFIXES = {"milliseconds": " ms", "seconds": " s", "days": " d"}
BPS_PER_UNIT = 10_000


def signed_number(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}"
    return f"{MINUS}{text}" if value < 0 and float(text.replace(",", "")) != 0 else text


def _significant(value: float) -> str:
    """About three significant digits: 41.2, 4.12, 0.412, 412."""
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return signed_number(value, digits)


def format_value(value: float, unit: str, currency_symbol: str = "$") -> str:
    if math.isnan(value):
        return "N/A"
    if unit == "percent":
        return signed_number(value * 100, 1) + "%"
    if unit in ("count", "currency"):
        prefix = currency_symbol if unit == "currency" else ""
        for size, suffix in COMPACT_STEPS:
            if abs(value) >= size:
                return prefix + _significant(value / size) + suffix
        return prefix + (signed_number(value, 0) if abs(value) >= 100 else _significant(value))
    return _significant(value) + UNIT_SUFFIXES.get(unit, "")


def format_spread(half: float, unit: str, currency_symbol: str = "$") -> str:
    """A band's half-width: in bps for percent metrics, else like a value."""
    if unit == "percent":
        return f"{half * BPS_PER_UNIT:,.0f} bps"
    return format_value(half, unit, currency_symbol)


def format_change(actual: float, expected: float, unit: str) -> str:
    """The change from the expectation: bps for percent metrics, percent otherwise."""
    if unit == "percent":
        bps = (actual - expected) * BPS_PER_UNIT
        return ("+" if bps > 0 else "") + signed_number(bps, 0) + " bps"
    if expected == 0:
        return "N/A"
    pct = (actual / expected - 1) * 100
    return ("+" if pct > 0 else "") + signed_number(pct, 1) + "%"


def baseline_phrase(detector: DetectorName, size: int, period: str) -> str:
    """Where the expectation came from: "the last 8 weeks and last year's pattern"."""
    if period == "day":
        recent = f"the same weekday over the last {size} weeks"
        if detector is DetectorName.SEASONAL:
            recent = f"the last {size} days and the weekday pattern"
        return recent
    recent = f"the last {size} weeks"
    if detector is DetectorName.SEASONAL:
        return recent + " and last year's pattern"
    return recent


def sentence(
    detector: DetectorName,
    *,
    expected: float,
    lower: float,
    upper: float,
    actual: float,
    baseline_size: int,
    period: str,
    unit: str,
    currency_symbol: str = "$",
    explained_by: str | None = None,
) -> str:
    got = format_value(actual, unit, currency_symbol)
    change = format_change(actual, expected, unit)
    if detector is DetectorName.WEEK_OVER_WEEK:
        before = "last week's" if period == "week" else "the same day last week:"
        limit = format_spread((upper - lower) / 2, unit, currency_symbol)
        text = (
            f"got {got}, {change} from {before} {format_value(expected, unit, currency_symbol)}"
            f" (flags a change beyond ± {limit})"
        )
    else:
        # The band is asymmetric on a log scale: show its width on the side of the move.
        side = (expected - lower) if actual < expected else (upper - expected)
        spread = format_spread(side, unit, currency_symbol)
        source = baseline_phrase(detector, baseline_size, period)
        text = (
            f"expected {format_value(expected, unit, currency_symbol)} ± {spread} from "
            f"{source}; got {got}, {change}"
        )
    if explained_by:
        text += f"; during {explained_by} (a known event)"
    return text
