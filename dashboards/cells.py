"""What the box and the metric tables share: raw-number attributes and change colours.

Every number cell carries the model's float in `data-raw` (Python's repr, or
"null") beside the text the reader sees, so tests can compare the page with the
model exactly. A change is coloured by whether it is good for the metric.
"""

from __future__ import annotations

from typing import Any, Final

from wbr.deck.format import NOT_AVAILABLE, change_sign, format_change
from wbr.deck.model import Change

LOWER_IS_BETTER: Final = "lower_is_better"
TONE_GOOD: Final = "change-good"
TONE_BAD: Final = "change-bad"
TONE_FLAT: Final = "change-flat"
TONE_NA: Final = "change-na"


def raw_attribute(value: float | None) -> str:
    """The `data-raw` text for a model number: repr of the float, or "null"."""
    return "null" if value is None else repr(float(value))


def data_attributes(attributes: dict[str, str]) -> dict[str, Any]:
    """`data-*` attributes as keyword arguments (Dash accepts them as wildcard props)."""
    return dict(attributes)


def sign_tone(text: str, sign: int, direction: str) -> str:
    """The CSS class of a formatted change or difference whose reading sign is `sign`."""
    if text == NOT_AVAILABLE:
        return TONE_NA
    if sign == 0:
        return TONE_FLAT
    improving = sign < 0 if direction == LOWER_IS_BETTER else sign > 0
    return TONE_GOOD if improving else TONE_BAD


def change_tone(change: Change, direction: str) -> str:
    """The CSS class of a change: good (green), bad (red), flat, or N/A (grey)."""
    return sign_tone(format_change(change), change_sign(change), direction)
