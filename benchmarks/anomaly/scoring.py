"""Precision, recall and F1 over labelled windows; false alarms per 100 periods.

Conventions (the same for every detector, and those of the reference figures
for the week-over-week rule on NYC taxi):

* an alarm is a flagged period that no known event explains, from the case's
  first scored period on, outside its ignored periods;
* precision: the share of alarms that fall inside a labelled window;
* recall: the share of labelled windows with at least one alarm (an anomaly
  counts once however many weeks it lasts);
* false alarms per 100 periods: alarms outside every window, per 100 scored periods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from cases import Case

Alarms = npt.NDArray[np.bool_]


@dataclass
class Tally:
    alarms: int = 0
    hits: int = 0  # alarms inside a window
    windows: int = 0
    caught: int = 0  # windows with an alarm
    periods: int = 0  # scored periods

    def add(self, case: Case, alarms: Alarms) -> None:
        scored = ~case.ignore & ~np.isnan(case.values.to_numpy(dtype=float))
        scored[: case.start] = False
        inside = np.zeros(len(alarms), dtype=np.bool_)
        for lo, hi in case.windows:
            if hi < case.start:
                continue
            inside[lo : hi + 1] = True
            self.windows += 1
            self.caught += bool(alarms[max(lo, case.start) : hi + 1].any())
        counted = alarms & (scored | inside)
        self.alarms += int(counted.sum())
        self.hits += int((counted & inside).sum())
        self.periods += int(scored.sum())

    @property
    def precision(self) -> float:
        return self.hits / self.alarms if self.alarms else float("nan")

    @property
    def recall(self) -> float:
        return self.caught / self.windows if self.windows else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        if p != p or r != r or p + r == 0:
            return 0.0
        return 2 * p * r / (p + r)

    @property
    def false_alarms_per_100(self) -> float:
        return 100 * (self.alarms - self.hits) / self.periods if self.periods else float("nan")


def tally(cases: list[Case], alarms_of: Callable[[Case], Alarms]) -> Tally:
    total = Tally()
    for case in cases:
        total.add(case, alarms_of(case))
    return total


def recall_by_kind(cases: list[Case], alarms_of: Callable[[Case], Alarms]) -> dict[str, float]:
    caught: dict[str, list[bool]] = {}
    for case in cases:
        alarms = alarms_of(case)
        for (lo, hi), kind in zip(case.windows, case.kinds, strict=True):
            caught.setdefault(kind, []).append(bool(alarms[lo : hi + 1].any()))
    return {kind: float(np.mean(hits)) for kind, hits in sorted(caught.items())}
