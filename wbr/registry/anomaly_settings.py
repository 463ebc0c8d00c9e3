"""Per-metric anomaly-detection settings and the project's known events."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from wbr.registry.base import StrictModel


class DetectionMethod(StrEnum):
    AUTO = "auto"  # picks by history length and metric type
    WEEK_OVER_WEEK = "wow"
    ROBUST = "robust"
    SEASONAL = "seasonal"
    OFF = "off"


class AnomalySettings(StrictModel):
    method: DetectionMethod = DetectionMethod.AUTO
    # Higher flags more weeks; 1.0 is the tuned default.
    sensitivity: Annotated[float, Field(gt=0, le=10)] = 1.0
    # Weeks whose value is below this are never flagged (sparse, noisy metrics).
    min_volume: Annotated[float, Field(ge=0)] | None = None


class KnownEvent(StrictModel):
    """A holiday, promotion or outage known in advance; it explains the weeks it touches."""

    name: str
    start: date
    end: date
    metrics: tuple[str, ...] = ()  # empty: every metric

    @model_validator(mode="after")
    def _ordered(self) -> KnownEvent:
        if self.end < self.start:
            raise ValueError(f"event `{self.name}` ends before it starts")
        return self
