"""Synthetic anomalies injected at random weeks into real weekly series.

Sizes are in units of each series' own week-to-week noise (the median moving
range of its log, or logit for rates), so a "5-sigma drop" is as visible in
smooth demo sessions as in bursty CDNOW revenue: between `MIN_SIGMAS` and
`MAX_SIGMAS`. Kinds:

* level_drop: the level falls for 2-4 weeks, then comes back;
* spike: one week jumps up;
* slow_drift: the level slides down over 6-10 weeks, then comes back;
* holiday_shift: a holiday's volume lands a week late (a week down, the next up).

Every changed week is labelled; the week after an injection counts neither
way (whether a detector flags the return to normal is a matter of taste).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd
from cases import Case, period_range

KINDS = ("level_drop", "spike", "slow_drift", "holiday_shift")
MIN_SIGMAS, MAX_SIGMAS = 3.0, 8.0
WEEKS_PER_INJECTION = 26  # about two injections a year of scored weeks
GAP_WEEKS = 3  # between injections, and around ignored weeks
MEDIAN_RANGE_TO_SIGMA = 1 / (0.6745 * math.sqrt(2))

Floats = npt.NDArray[np.float64]


def _to_space(values: Floats, unit: str) -> Floats:
    if unit == "percent":
        return np.log(values / (1 - values))
    return np.log(values)


def _from_space(x: Floats, unit: str) -> Floats:
    if unit == "percent":
        return 1 / (1 + np.exp(-x))
    return np.exp(x)


def noise_sigma(x: Floats, ignore: npt.NDArray[np.bool_]) -> float:
    steps = np.diff(x)
    keep = ~(ignore[1:] | ignore[:-1]) & ~np.isnan(steps)
    return float(np.median(np.abs(steps[keep]))) * MEDIAN_RANGE_TO_SIGMA


def _shape(kind: str, rng: np.random.Generator) -> Floats:
    """The injected change per week, in sigmas (negative: down)."""
    size = rng.uniform(MIN_SIGMAS, MAX_SIGMAS)
    if kind == "level_drop":
        return np.full(int(rng.integers(2, 5)), -size)
    if kind == "spike":
        return np.array([size])
    if kind == "slow_drift":
        weeks = int(rng.integers(6, 11))
        return -size * np.arange(1, weeks + 1) / weeks
    return np.array([-size, size])  # holiday_shift


def inject(case: Case, rng: np.random.Generator, tag: str) -> Case:
    """A copy of `case` with anomalies injected at random free weeks, labelled."""
    values = case.values.to_numpy(dtype=np.float64)
    x = _to_space(values, case.unit)
    sigma = noise_sigma(x, case.ignore)
    n = len(x)
    busy = case.ignore.copy()
    busy[: case.start] = True
    ends = pd.DatetimeIndex(case.values.index)
    for event in case.events:  # a week in a known event is explained, never an alarm
        lo, hi = period_range(ends, case.grain, event.start, event.end)
        busy[lo : hi + 1] = True
    count = max(1, (n - case.start) // WEEKS_PER_INJECTION)
    windows: list[tuple[int, int]] = []
    kinds: list[str] = []
    ignore = case.ignore.copy()
    for kind in (
        rng.permutation(np.array(KINDS))[:count]
        if count <= len(KINDS)
        else rng.choice(KINDS, count)
    ):
        shape = _shape(str(kind), rng)
        free = [
            t
            for t in range(case.start, n - len(shape) - 1)
            if not busy[max(0, t - GAP_WEEKS) : t + len(shape) + GAP_WEEKS].any()
        ]
        if not free:
            continue
        t = int(rng.choice(free))
        x[t : t + len(shape)] += shape * sigma
        busy[t : t + len(shape) + 1] = True
        ignore[t + len(shape)] = True
        windows.append((t, t + len(shape) - 1))
        kinds.append(str(kind))
    injected = pd.Series(_from_space(x, case.unit), index=case.values.index)
    return replace(
        case,
        name=f"{case.name}/{tag}",
        values=injected,
        windows=windows,
        ignore=ignore,
        kinds=kinds,
    )
