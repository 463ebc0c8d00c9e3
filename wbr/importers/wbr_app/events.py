"""The reference app's events CSV → a notes file that `wbr notes import` reads.

An event (a date, a metric, a description) was the reference app's way to say
"this week moved for a known reason". In wbr that is a note with the status
`known event` on the metric-week the date falls in. Columns are found by name
(date; metric or metric name; description, event or annotation), case-insensitive.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from wbr.errors import ConfigError
from wbr.notes.model import METRIC_WEEK, NoteStatus, RevisionAction
from wbr.notes.transfer import FORMAT, VERSION

IMPORT_AUTHOR: Final = "import-wbr-app"
DATE_COLUMNS: Final = ("date", "event_date", "day")
METRIC_COLUMNS: Final = ("metric", "metric_name", "metricname", "metrics")
TEXT_COLUMNS: Final = (
    "description",
    "event_description",
    "eventdescription",
    "event",
    "annotation",
)


def _column(header: list[str], wanted: tuple[str, ...], path: Path) -> str:
    normal = {name.strip().lower().replace(" ", "_"): name for name in header}
    for candidate in wanted:
        if candidate in normal:
            return normal[candidate]
    raise ConfigError(
        f"{path}: no column for {wanted[0]} (looked for {', '.join(wanted)}; "
        f"found {', '.join(header)})"
    )


def _week_ending(day: date, week_end_weekday: int) -> date:
    return day + timedelta(days=(week_end_weekday - day.weekday()) % 7)


def events_to_notes(
    path: Path, names: Mapping[str, str], week_end_weekday: int
) -> tuple[dict[str, Any], list[str]]:
    """The notes document, and a line for each event that could not be placed."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = list(rows[0]) if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ConfigError(f"cannot read the events file {path}: {error}") from None
    if not rows:
        return {"format": FORMAT, "version": VERSION, "notes": []}, []
    date_col = _column(header, DATE_COLUMNS, path)
    metric_col = _column(header, METRIC_COLUMNS, path)
    text_col = _column(header, TEXT_COLUMNS, path)
    by_target: dict[tuple[str, date], list[str]] = defaultdict(list)
    skipped = []
    for line, row in enumerate(rows, start=2):
        metric = names.get((row.get(metric_col) or "").strip())
        try:
            day = date.fromisoformat((row.get(date_col) or "").strip()[:10])
        except ValueError:
            skipped.append(f"{path.name} line {line}: {row.get(date_col)!r} is not a date")
            continue
        if metric is None:
            skipped.append(f"{path.name} line {line}: no imported metric {row.get(metric_col)!r}")
            continue
        text = (row.get(text_col) or "").strip()
        if text:
            by_target[(metric, _week_ending(day, week_end_weekday))].append(f"{day}: {text}")
    now = datetime.now(UTC).isoformat()
    notes = [
        {
            "metric": metric,
            "week_ending": week.isoformat(),
            "detector": METRIC_WEEK,
            "deleted": False,
            "history": [
                {
                    "revision": 1,
                    "action": RevisionAction.IMPORTED.value,
                    "status": NoteStatus.KNOWN_EVENT.value,
                    "category": None,
                    "text": "\n\n".join(texts),
                    "author": IMPORT_AUTHOR,
                    "created_at": now,
                }
            ],
        }
        for (metric, week), texts in sorted(by_target.items())
    ]
    return {"format": FORMAT, "version": VERSION, "notes": notes}, skipped


def write_events_notes(
    path: Path, names: Mapping[str, str], week_end_weekday: int, output: Path
) -> tuple[int, list[str]]:
    document, skipped = events_to_notes(path, names, week_end_weekday)
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(document["notes"]), skipped
