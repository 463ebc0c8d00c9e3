"""The noise estimate's moving ranges (wbr/anomalies/baseline.py), against their definition."""

from __future__ import annotations

import itertools
import math

from hypothesis import given
from hypothesis import strategies as st

from wbr.anomalies.baseline import _moving_ranges

NAN = math.nan


def _by_definition(ids: list[int], values: list[float], level_start: int) -> list[float]:
    """|x_j - x_i| for each pair of consecutive known periods i < j, except the pair that
    straddles the start of a new level (that jump is the shift, not noise)."""
    known = [j for j in ids if not math.isnan(values[j])]
    return [
        abs(values[b] - values[a]) for a, b in itertools.pairwise(known) if not a < level_start <= b
    ]


def test_ranges_skip_unknown_periods_and_the_jump_onto_a_new_level() -> None:
    values = [10.0, 12.0, NAN, 11.0, 30.0, 31.0, 29.0]
    # Period 2 is unknown: 1 and 3 are consecutive. A new level starts at 4.
    assert _moving_ranges([0, 1, 2, 3, 4, 5, 6], values, level_start=4) == [2.0, 1.0, 1.0, 2.0]
    # Without a new level, the jump is a range like any other.
    assert _moving_ranges([0, 1, 2, 3, 4, 5, 6], values, level_start=0) == [
        2.0,
        1.0,
        19.0,
        1.0,
        2.0,
    ]
    # Only the listed periods count (a lane of one weekday, or the baseline's candidates).
    assert _moving_ranges([0, 3, 6], values, level_start=0) == [1.0, 18.0]
    assert _moving_ranges([], values, level_start=0) == []
    assert _moving_ranges([2], values, level_start=0) == []


@given(
    st.lists(
        st.one_of(st.just(NAN), st.floats(-1e6, 1e6, allow_nan=False)), min_size=0, max_size=40
    ),
    st.data(),
)
def test_ranges_match_their_definition(values: list[float], data: st.DataObject) -> None:
    ids = sorted(data.draw(st.sets(st.integers(0, max(len(values) - 1, 0)))) if values else [])
    level_start = data.draw(st.integers(0, len(values) + 1))
    assert _moving_ranges(ids, values, level_start) == _by_definition(ids, values, level_start)
