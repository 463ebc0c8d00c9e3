"""Flags as a table: for `wbr detect --output` and anyone scoring flags elsewhere."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wbr.anomalies.model import Flag

FIELDS = (
    "metric",
    "week_ending",
    "detector",
    "status",
    "severity",
    "is_bad",
    "actual",
    "expected",
    "lower",
    "upper",
    "deviation_pct",
    "score",
    "explained_by",
    "explanation",
)


def flag_record(flag: Flag) -> dict[str, Any]:
    return {
        "metric": flag.metric,
        "week_ending": flag.week_ending.isoformat(),
        "detector": flag.detector.value,
        "status": flag.status.value,
        "severity": flag.severity.value,
        "is_bad": flag.is_bad,
        "actual": flag.actual,
        "expected": flag.expected,
        "lower": flag.lower,
        "upper": flag.upper,
        "deviation_pct": flag.deviation_pct,
        "score": flag.score,
        "explained_by": flag.explained_by,
        "explanation": flag.explanation,
    }


def flags_frame(flags: Sequence[Flag]) -> pd.DataFrame:
    return pd.DataFrame([flag_record(flag) for flag in flags], columns=list(FIELDS))


def write_table(frame: pd.DataFrame, output: Path) -> None:
    """Write `frame` as JSON records (a .json file) or as CSV (anything else)."""
    if output.suffix.lower() == ".json":
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        text = json.dumps(records, indent=2, ensure_ascii=False)
        output.write_text(text + "\n", encoding="utf-8")
    else:
        frame.to_csv(output, index=False, lineterminator="\n")
