"""What detection produces: flags, their contributors, and how they are judged.

Plain frozen dataclasses with named fields; the store, the CLI and the deck all
read these, never rows addressed by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class DetectorName(StrEnum):
    """The detector that scored a week; part of a flag's identity."""

    WEEK_OVER_WEEK = "wow"
    ROBUST = "robust"
    SEASONAL = "seasonal"
    # Not a scorer: a change point the robust or seasonal scorer confirmed (a
    # new level), flagged once at the week it began.
    LEVEL_SHIFT = "level_shift"


class Severity(StrEnum):
    """How far outside its band a value is: |score| below 1.5, below 2.5, or beyond."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class FlagStatus(StrEnum):
    OPEN = "open"  # fires, nothing known explains it: the owner explains it
    EXPLAINED = "explained"  # fires during a known event from metrics.yaml
    RESOLVED = "resolved"  # fired in an earlier run, no longer does (kept for its notes)


MEDIUM_SEVERITY_SCORE = 1.5  # |score| in band half-widths
HIGH_SEVERITY_SCORE = 2.5


def severity_of(score: float) -> Severity:
    size = abs(score)
    if size >= HIGH_SEVERITY_SCORE:
        return Severity.HIGH
    if size >= MEDIUM_SEVERITY_SCORE:
        return Severity.MEDIUM
    return Severity.LOW


@dataclass(frozen=True, slots=True)
class Contributor:
    """One dimension value's part in a week's change (root-cause hint).

    `contribution` is in the metric's unit and the contributions of all values of
    a dimension add up to the metric's change from `comparison` to `current`
    (for a ratio or mean: its change in value); `share` is contribution / change.
    """

    dimension: str
    value: str
    current: float
    comparison: float
    contribution: float
    share: float | None


@dataclass(frozen=True, slots=True)
class Flag:
    """One metric's week outside its expected band, as one detector judged it.

    Identity: (metric, week_ending, detector). `score` is the signed distance
    from the expected value in band half-widths (|score| > 1 when flagged).
    """

    metric: str
    week_ending: date
    detector: DetectorName
    expected: float
    lower: float
    upper: float
    actual: float
    deviation: float  # actual - expected, in the metric's unit
    deviation_pct: float | None  # (actual / expected - 1) * 100; None for a zero base
    score: float
    severity: Severity
    is_bad: bool
    explanation: str
    explained_by: str | None = None
    status: FlagStatus = FlagStatus.OPEN
    comparison_week: date | None = None  # the last normal week, for the root-cause hint
    contributors: tuple[Contributor, ...] = field(default=())
    id: int | None = None  # the store's id, once stored; notes attach to it

    @property
    def key(self) -> tuple[str, date, str]:
        return (self.metric, self.week_ending, self.detector.value)

    @property
    def direction_word(self) -> str:
        return "up" if self.deviation > 0 else "down"

    def drivers(self) -> tuple[Contributor, ...]:
        """Each dimension's biggest driver, the most concentrated first.

        "category=Electronics (85 % of the change)" before "region=South (37 %)":
        the dimension whose top value carries most of the change says most.
        """
        firsts: dict[str, Contributor] = {}
        for contributor in self.contributors:  # ranked within each dimension
            firsts.setdefault(contributor.dimension, contributor)
        return tuple(sorted(firsts.values(), key=lambda c: -abs(c.share or 0.0)))
