"""Level shifts: a change point is one flag, not a month of outliers.

The scorer flags the first weeks of a new level one by one (at the time nobody
knows whether the metric will come back); once they agree with each other it
accepts the level and records where it began. This module turns that into one
flag at the week the level began, "new level since 2024-03-02: 41 % below the
previous 8 weeks", in place of the outlier flags of the weeks it covers, so an
owner explains one change, once. Its identity is (metric, first week of the
level, `level_shift`), the same at every later refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from wbr.anomalies import explain
from wbr.anomalies.baseline import Floats
from wbr.anomalies.detectors import Estimates

PREVIOUS_PERIODS = 8  # "the previous 8 weeks" the new level is compared with


@dataclass(frozen=True, slots=True)
class LevelShift:
    start: int  # the period the new level began
    confirmed: int  # the period that confirmed it
    before: float  # median of the previous comparable, unflagged periods
    after: float  # median of the new level's periods so far
    previous_periods: int  # how many periods `before` rests on
    covered: tuple[int, ...]  # the flagged periods the shift replaces


def level_shifts(found: Estimates, values: Floats, step: int) -> list[LevelShift]:
    """Every new level the scorer accepted, with the levels before and after."""
    shifts = []
    for confirmed, start in enumerate(found.shift_start):
        if start < 0:
            continue
        lane = range(start, confirmed + 1, step)
        covered = tuple(j for j in lane if found.fired[j])
        earlier = [
            float(values[j])
            for j in range(start - step, -1, -step)
            if not np.isnan(values[j]) and not found.fired[j]
        ][:PREVIOUS_PERIODS]
        now = [float(values[j]) for j in lane if not np.isnan(values[j])]
        if not earlier or not now:
            continue
        shifts.append(
            LevelShift(
                start,
                confirmed,
                float(np.median(earlier)),
                float(np.median(now)),
                len(earlier),
                covered,
            )
        )
    return shifts


def sentence(
    shift: LevelShift,
    dates: Sequence[date],
    period: str,
    unit: str,
    currency_symbol: str = "$",
    explained_by: str | None = None,
) -> str:
    """ "new level since 2024-03-02: 41 % below the previous 8 weeks (1.20K, was 2.03K)"."""
    if unit == "percent":
        bps = (shift.after - shift.before) * explain.BPS_PER_UNIT
        change = f"{explain.signed_number(abs(bps), 0)} bps"
    elif shift.before:
        change = f"{explain.signed_number(abs(shift.after / shift.before - 1) * 100, 0)} %"
    else:
        change = "N/A"
    side = "above" if shift.after > shift.before else "below"
    periods = f"{shift.previous_periods} {period}s" if shift.previous_periods > 1 else period
    now = explain.format_value(shift.after, unit, currency_symbol)
    was = explain.format_value(shift.before, unit, currency_symbol)
    text = (
        f"new level since {dates[shift.start].isoformat()}: {change} {side} the previous "
        f"{periods} ({now}, was {was})"
    )
    if explained_by:
        text += f"; during {explained_by} (a known event)"
    return text


__all__ = ["LevelShift", "level_shifts", "sentence"]
