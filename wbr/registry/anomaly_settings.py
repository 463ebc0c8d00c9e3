"""Per-metric anomaly-detection settings and the project's known events.

Documented for users in docs/metrics-yaml.md (section `anomaly`) and
docs/anomalies.md; the detectors themselves live in `wbr.anomalies`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from wbr.registry.base import StrictModel
from wbr.registry.vocabulary import DetectionMethod


class AlertOn(StrEnum):
    """Which moves become flags; the metric's `direction` says which are bad."""

    ANY = "any"  # both: a surprising good move may be a data problem
    BAD = "bad"  # only moves that are bad for the business


class HolidayCalendar(StrEnum):
    """Holidays the seasonal detector moves with their week from year to year."""

    US = "us"  # New Year, Easter, Memorial Day, July 4, Labor Day, Thanksgiving, Christmas
    NONE = "none"


class AnomalySettings(StrictModel):
    method: DetectionMethod = DetectionMethod.AUTO
    # Higher flags more weeks; 1.0 is the tuned default. Divides the band's width
    # (and the week-over-week threshold).
    sensitivity: Annotated[float, Field(gt=0, le=10)] = 1.0
    # Weeks whose volume (the value; for a ratio or mean, its denominator) is below
    # this, and whose usual volume is too, are never flagged.
    min_volume: Annotated[float, Field(ge=0)] | None = None
    alert_on: AlertOn = AlertOn.ANY
    # Comparable weeks in the robust and seasonal baselines ("the last 8 weeks").
    baseline_weeks: Annotated[int, Field(ge=4, le=52)] = 8
    # The week-over-week rule only: a change of this many percent, or (if set) of
    # this much in the metric's unit, is flagged. Default 10 %.
    wow_threshold_pct: Annotated[float, Field(gt=0)] | None = None
    wow_threshold_abs: Annotated[float, Field(gt=0)] | None = None
    holidays: HolidayCalendar = HolidayCalendar.US

    @model_validator(mode="after")
    def _one_wow_threshold(self) -> AnomalySettings:
        if self.wow_threshold_pct is not None and self.wow_threshold_abs is not None:
            raise ValueError("give `wow_threshold_pct` or `wow_threshold_abs`, not both")
        return self


class KnownEvent(StrictModel):
    """A holiday, promotion or outage known in advance; it explains the weeks it touches.

    Events with the same name in different years are one recurring event: the
    seasonal detector compares this year's occurrence with last year's, even
    when it falls in a different week.
    """

    name: str
    start: date
    end: date
    metrics: tuple[str, ...] = ()  # empty: every metric

    @model_validator(mode="after")
    def _ordered(self) -> KnownEvent:
        if self.end < self.start:
            raise ValueError(f"event `{self.name}` ends before it starts")
        return self

    def applies_to(self, metric: str) -> bool:
        return not self.metrics or metric in self.metrics

    def touches(self, first_day: date, last_day: date) -> bool:
        """True when the event overlaps the days [first_day, last_day]."""
        return self.start <= last_day and self.end >= first_day
