"""Anomaly detection: flag the weeks that matter, and only those (docs/anomalies.md).

Pure API: `detect_series` (flags of one series) and `score_series` (every
period's expectation and band). Project API: `detect_project` scores the
stored weekly values and writes flags idempotently; `flags_for_week` and
`flags_for_metric` read them for the deck.
"""

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
