"""The one place numbers become text, shared by every rendering of the deck.

Dash and the HTML export both call these functions, so a number reads the same
on the screen, in the export and in the tests. Values follow the deck model:
floats, with None meaning "not available" (shown as "N/A", never as 0).

Units (see `wbr.registry.models.Unit`):

- count, currency: compact on charts ("1.23M", "$45.6K"), in full in the box
  ("470,759,324", "$1,234,567"; whole numbers from 1,000 up, "$45.67" below);
- percent: stored as a fraction (0.953), shown as "95.3%";
- ratio: a plain number ("2.41");
- milliseconds, seconds, days: a number and a short unit ("412 ms", "1.5 s", "2.4 d").

A difference in the metric's unit (actual − plan) is written in full with its
sign ("+$25,000", "−12 ms"); a table cell is a value or a change by its row's kind.

Negative numbers use the typographic minus sign U+2212, not the hyphen "-".

A flagged week (`wbr.deck.model.AnomalyNote`) is introduced by a badge that says
what to do with it: "⚠ Exception" (open, bad for the business: its owner explains
it), "▲ Exception" (open, a good move) or "Explained: Black Friday" (a known event).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Final

from wbr.deck.model import AnomalyNote, Change, ExceptionCounts, Freshness

NOT_AVAILABLE = "N/A"
PLUS = "+"
MINUS = "\u2212"  # typographic minus: same width as "+", reads clearly in tables
PERCENT_CHANGE_DECIMALS = 1  # "+2.3%": the convention of the reference WBR decks
COMPACT_UNITS = frozenset({"count", "currency"})
UNIT_SUFFIXES = {"milliseconds": " ms", "seconds": " s", "days": " d"}
# Largest first: 1,234,567 is "1.23M", not "1,234.57K".
COMPACT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
# In full, counts and currency from 1,000 up are whole numbers: "$1,234,567", not
# "$1,234,567.00" (a chart's decimals are for its compact "1.23M").
FULL_WHOLE_FROM = 1000.0
# Fixed English names: strftime("%a") follows the server's locale.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The kinds of a table row (`wbr.deck.model.TableRow.kind`): a value in the metric's
# unit, or a change in percent or basis points.
VALUE_KIND = "value"
CHANGE_KINDS = frozenset({"percent", "bps"})
# Flag statuses (`AnomalyNote.status`) and the badges that introduce a flag.
OPEN = "open"
EXPLAINED = "explained"
EXCEPTION_BAD = "\u26a0 Exception"  # warning sign: the owner explains the move
EXCEPTION_GOOD = "\u25b2 Exception"  # a good move is still outside the normal range
EXPLAINED_BADGE = "Explained"
DRIVERS_PREFIX = "Drivers: "
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The nine numbers of the box, in the order the reference decks print them.
BOX_COLUMNS: Final = (
    ("last_week", "Last Wk"),
    ("wow", "WoW"),
    ("last_week_yoy", "YoY"),
    ("mtd", "MTD"),
    ("mtd_yoy", "YoY"),
    ("qtd", "QTD"),
    ("qtd_yoy", "YoY"),
    ("ytd", "YTD"),
    ("ytd_yoy", "YoY"),
)
# Where each of the box's four periods starts: a rule sets the groups apart.
BOX_GROUP_STARTS: Final = frozenset({"mtd", "qtd", "ytd"})
# The "vs Plan" row: a label under "Last Wk", then each period's variance in percent,
# right-aligned under that period's YoY (the last week's spans WoW and YoY).
PLAN_LABEL: Final = "vs Plan"
PLAN_COLUMNS: Final = (("last_week", 2), ("mtd", 2), ("qtd", 2), ("ytd", 2))
# Rows of kind "value" that are differences (actual − plan): shown signed, coloured.
DIFFERENCE_ROWS: Final = frozenset({"Vs plan"})


def _signed(magnitude_text: str, negative: bool) -> str:
    return f"{MINUS}{magnitude_text}" if negative else magnitude_text


def _is_zero_text(text: str) -> bool:
    """True when a formatted magnitude is all zeros ("0.00"): it takes no sign."""
    return not any(ch in "123456789" for ch in text)


def _compact(magnitude: float, decimals: int) -> str:
    """1234567 at 2 decimals → "1.23M"; rounding up to the next step moves the suffix."""
    steps = (*COMPACT_STEPS, (1.0, ""))  # the last step takes everything below 1,000
    for index, (step, suffix) in enumerate(steps):
        if magnitude >= step or index == len(steps) - 1:
            text = f"{magnitude / step:.{decimals}f}"
            if float(text) >= 1000 and index > 0:  # 999,999 → "1.00M", not "1000.00K"
                step, suffix = steps[index - 1]
                text = f"{magnitude / step:.{decimals}f}"
            return f"{text}{suffix}"
    raise AssertionError("unreachable: the last step matches every magnitude")


def _number(value: float, unit: str, decimals: int, currency_symbol: str, compact: bool) -> str:
    negative = value < 0
    magnitude = abs(value)
    if unit == "percent":
        text = f"{magnitude * 100:,.{decimals}f}%"
    elif unit in COMPACT_UNITS and compact:
        text = _compact(magnitude, decimals)
    elif unit in COMPACT_UNITS and magnitude >= FULL_WHOLE_FROM:
        text = f"{magnitude:,.0f}"
    else:
        text = f"{magnitude:,.{decimals}f}"
    negative = negative and not _is_zero_text(text)
    if unit == "currency":
        text = f"{currency_symbol}{text}"
    return _signed(text, negative) + UNIT_SUFFIXES.get(unit, "")


def format_value(value: float | None, unit: str, decimals: int, currency_symbol: str = "$") -> str:
    """A value as a chart shows it: counts and currency compact ("1.23M", "$45.6K")."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    return _number(value, unit, decimals, currency_symbol, compact=True)


def format_value_full(
    value: float | None, unit: str, decimals: int, currency_symbol: str = "$"
) -> str:
    """A value as the box shows it: thousands separators, no K/M/B ("470,759,324")."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    return _number(value, unit, decimals, currency_symbol, compact=False)


def format_difference(
    value: float | None, unit: str, decimals: int, currency_symbol: str = "$"
) -> str:
    """A difference in the metric's unit, in full and signed: "+$25,000", "−12 ms", "0"."""
    text = format_value_full(value, unit, decimals, currency_symbol)
    if text == NOT_AVAILABLE or text.startswith(MINUS) or _is_zero_text(text):
        return text
    return f"{PLUS}{text}"


def format_cell(
    value: float | None,
    kind: str,
    unit: str,
    decimals: int,
    currency_symbol: str = "$",
    *,
    difference: bool = False,
) -> str:
    """One cell of a metric table: a value (signed when a `difference`) or a change."""
    if kind in CHANGE_KINDS:
        return format_change(Change(value, kind))
    if kind != VALUE_KIND:
        kinds = ", ".join(sorted({VALUE_KIND, *CHANGE_KINDS}))
        raise ValueError(f"unknown table row kind {kind!r}; expected one of {kinds}")
    if difference:
        return format_difference(value, unit, decimals, currency_symbol)
    return format_value_full(value, unit, decimals, currency_symbol)


def text_sign(text: str) -> int:
    """-1, 0 or +1 as a formatted number reads: by its leading sign, "N/A" and zero are 0."""
    if text.startswith(PLUS):
        return 1
    if text.startswith(MINUS):
        return -1
    return 0


def format_change(change: Change) -> str:
    """A comparison: "+2.3%", "\u221215.0%", "+45 bps"; "N/A" when there is no base."""
    if change.value is None or not math.isfinite(change.value):
        return NOT_AVAILABLE
    if change.unit == "bps":
        text = f"{abs(change.value):,.0f}"
        suffix = " bps"
    elif change.unit == "percent":
        text = f"{abs(change.value):,.{PERCENT_CHANGE_DECIMALS}f}"
        suffix = "%"
    else:
        raise ValueError(f"unknown change unit {change.unit!r}; expected 'percent' or 'bps'")
    if _is_zero_text(text):
        return f"{text}{suffix}"
    sign = MINUS if change.value < 0 else PLUS
    return f"{sign}{text}{suffix}"


def change_sign(change: Change) -> int:
    """-1, 0 or +1 as the formatted change reads (a change that rounds to zero is 0)."""
    return text_sign(format_change(change))


def format_date(day: date) -> str:
    """A date as the deck writes it: "Sat 25 Sep 2021" (English, whatever the locale)."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def format_week_heading(week_number: int, week_ending: date) -> str:
    """The deck's subtitle: "Week 38 · week ending Sat 25 Sep 2021"."""
    return f"Week {week_number} \u00b7 week ending {format_date(week_ending)}"


def format_flag_badge(note: AnomalyNote) -> str:
    """A flag's badge: "⚠ Exception", "▲ Exception" or "Explained: Black Friday"."""
    if note.status == EXPLAINED:
        return f"{EXPLAINED_BADGE}: {note.explained_by}" if note.explained_by else EXPLAINED_BADGE
    if note.status == OPEN:
        return EXCEPTION_BAD if note.is_bad else EXCEPTION_GOOD
    raise ValueError(f"unknown flag status {note.status!r}; expected {OPEN!r} or {EXPLAINED!r}")


def format_drivers(drivers: tuple[str, ...]) -> str:
    """ "Drivers: category=Electronics (85 % of the change), region=South"; "" without any."""
    return f"{DRIVERS_PREFIX}{', '.join(drivers)}" if drivers else ""


def format_exception_count(count: int) -> str:
    """The deck's summary of open flags: "No exceptions this week", "2 exceptions this week"."""
    if count == 0:
        return "No exceptions this week"
    return f"{count} exception{'' if count == 1 else 's'} this week"


def format_response_counts(counts: ExceptionCounts) -> str:
    """ "12 exceptions this week · 9 explained · 3 waiting": where the owners' answers stand."""
    if counts.total == 0:
        return format_exception_count(0)
    parts = [format_exception_count(counts.total), f"{counts.explained} explained"]
    if counts.investigating:
        parts.append(f"{counts.investigating} investigating")
    parts.append(f"{counts.waiting} waiting")
    return " \u00b7 ".join(parts)


def format_timestamp(iso: str) -> str:
    """ "Sat 25 Sep 2021 14:05 UTC" for a stored ISO timestamp; the text itself if unparsable."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{format_date(moment.date())} {moment:%H:%M} UTC"


def _moment(text: str) -> str:
    """ "Mon 23 Nov 06:04" from an ISO time, in the zone it was written in."""
    moment = datetime.fromisoformat(text)
    return f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]} {moment:%H:%M}"


def format_freshness(freshness: Freshness | None) -> str:
    """ "Data as of Mon 23 Nov 06:04 · next refresh Mon 30 Nov 06:00 · …"; "" without runs."""
    if freshness is None:
        return ""
    parts = []
    if freshness.last_status == "failed":
        parts.append("Last refresh failed")
    parts.append(
        f"Data as of {_moment(freshness.data_as_of)}" if freshness.data_as_of else "Not refreshed"
    )
    for label, value in (
        ("explanations due", freshness.explanations_due),
        ("meeting", freshness.meeting),
        ("next refresh", freshness.next_refresh),
    ):
        if value:
            parts.append(f"{label} {_moment(value)}")
    return " \u00b7 ".join(parts)
