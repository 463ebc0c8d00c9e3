"""Anomaly detection: flag the weeks that matter, and only those (docs/anomalies.md).

Pure API: `detect_series` (flags of one series) and `score_series` (every
period's expectation and band). Project API: `detect_project` scores the
stored weekly values and writes flags idempotently; `flags_for_week` and
`flags_for_metric` read them for the deck.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wbr.anomalies.detectors import DETECTORS, Detector, Estimates, SeriesInput
    from wbr.anomalies.model import (
        Contributor,
        DetectorName,
        Flag,
        FlagStatus,
        Severity,
        severity_of,
    )
    from wbr.anomalies.project import DetectionReport, detect_project
    from wbr.anomalies.series import DetectionError, SeriesContext, detect_series, score_series
    from wbr.anomalies.store import flag_by_id, flags_for_metric, flags_for_week

# The detectors import scipy and statsmodels (over a second): a module that only reads
# flags (the deck, `wbr status`, notifications) imports `wbr.anomalies.model` or
# `.store` without them, and these names load their module on first use.
_MODULE_OF = {
    "DETECTORS": "detectors",
    "Detector": "detectors",
    "Estimates": "detectors",
    "SeriesInput": "detectors",
    "Contributor": "model",
    "DetectorName": "model",
    "Flag": "model",
    "FlagStatus": "model",
    "Severity": "model",
    "severity_of": "model",
    "DetectionReport": "project",
    "detect_project": "project",
    "DetectionError": "series",
    "SeriesContext": "series",
    "detect_series": "series",
    "score_series": "series",
    "flag_by_id": "store",
    "flags_for_metric": "store",
    "flags_for_week": "store",
}


def __getattr__(name: str) -> Any:
    if name in _MODULE_OF:
        return getattr(import_module(f"wbr.anomalies.{_MODULE_OF[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DETECTORS",
    "Contributor",
    "DetectionError",
    "DetectionReport",
    "Detector",
    "DetectorName",
    "Estimates",
    "Flag",
    "FlagStatus",
    "SeriesContext",
    "SeriesInput",
    "Severity",
    "detect_project",
    "detect_series",
    "flag_by_id",
    "flags_for_metric",
    "flags_for_week",
    "score_series",
    "severity_of",
]
