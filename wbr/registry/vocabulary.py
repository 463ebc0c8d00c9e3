"""The registry's closed vocabularies that the CLI offers as choices.

They live apart from the pydantic models so that `wbr --help` can list them
without importing pydantic and building every model class (about 0.15 s of a
command's start-up); `wbr.registry.models` and `wbr.registry.anomaly_settings`
re-export them.
"""

from __future__ import annotations

from enum import StrEnum


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def iso_index(self) -> int:
        """Python's `date.weekday()` number: Monday is 0, Sunday is 6."""
        return list(Weekday).index(self)


class Unit(StrEnum):
    COUNT = "count"
    CURRENCY = "currency"
    PERCENT = "percent"
    RATIO = "ratio"
    SECONDS = "seconds"
    MILLISECONDS = "milliseconds"
    DAYS = "days"


class DetectionMethod(StrEnum):
    AUTO = "auto"  # picks by history length and metric type
    WEEK_OVER_WEEK = "wow"
    ROBUST = "robust"
    SEASONAL = "seasonal"
    OFF = "off"


__all__ = ["DetectionMethod", "Unit", "Weekday"]
