"""What the box and the metric tables share: raw-number attributes and change colours.

Every number cell carries the model's float in `data-raw` (Python's repr, or
"null") beside the text the reader sees, so tests can compare the page with the
model exactly. A change is coloured by whether it is good for the metric.
"""

from __future__ import annotations

from typing import Any

from wbr.deck.tones import LOWER_IS_BETTER as LOWER_IS_BETTER
from wbr.deck.tones import TONE_BAD as TONE_BAD
from wbr.deck.tones import TONE_FLAT as TONE_FLAT
from wbr.deck.tones import TONE_GOOD as TONE_GOOD
from wbr.deck.tones import TONE_NA as TONE_NA
from wbr.deck.tones import change_tone as change_tone
from wbr.deck.tones import sign_tone as sign_tone


def raw_attribute(value: float | None) -> str:
    """The `data-raw` text for a model number: repr of the float, or "null"."""
    return "null" if value is None else repr(float(value))


def data_attributes(attributes: dict[str, str]) -> dict[str, Any]:
    """`data-*` attributes as keyword arguments (Dash accepts them as wildcard props)."""
    return dict(attributes)
