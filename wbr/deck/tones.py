"""Whether a formatted change is good or bad for its metric: the CSS class of its colour.

Shared by the Dash page (`dashboards.cells`) and the static export (`wbr.export`),
so a change reads green or red the same way on the screen and on paper.
"""

from __future__ import annotations

from typing import Final

from wbr.deck.format import NOT_AVAILABLE, change_sign, format_change
from wbr.deck.model import Change

LOWER_IS_BETTER: Final = "lower_is_better"
TONE_GOOD: Final = "change-good"
TONE_BAD: Final = "change-bad"
TONE_FLAT: Final = "change-flat"
TONE_NA: Final = "change-na"


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
