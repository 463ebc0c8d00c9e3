"""Flags in the SQL store: written idempotently, read by the deck.

A flag's identity is (metric, week_ending, detector). `write_flags` updates a
flag that fires again in place (same id, so notes attached to it survive),
inserts a new one, and marks resolved (never deletes) a flag that no longer
fires. Portable SQLAlchemy Core: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from wbr.anomalies.model import Contributor, DetectorName, Flag, FlagStatus, Severity
from wbr.compute.unchanged import same_value
from wbr.store.schema import anomaly_flags, detection_runs

Key = tuple[str, date, str]


@dataclass(frozen=True, slots=True)
class WriteCounts:
    inserted: int
    updated: int  # found again (changed or not)
    resolved: int
    changed: int = 0  # of the updated, those whose shown values changed


def _contributors_json(contributors: Sequence[Contributor]) -> str | None:
    if not contributors:
        return None
    return json.dumps(
        [
            {
                "dimension": c.dimension,
                "value": c.value,
                "current": c.current,
                "comparison": c.comparison,
                "contribution": c.contribution,
                "share": c.share,
            }
            for c in contributors
        ]
    )


def _contributors(text: str | None) -> tuple[Contributor, ...]:
    if not text:
        return ()
    return tuple(Contributor(**item) for item in json.loads(text))


def _values(flag: Flag, run_id: int, now: datetime) -> dict[str, Any]:
    return {
        "status": flag.status.value,
        "expected": flag.expected,
        "lower_bound": flag.lower,
        "upper_bound": flag.upper,
        "actual": flag.actual,
        "deviation": flag.deviation,
        "deviation_pct": flag.deviation_pct,
        "score": flag.score,
        "severity": flag.severity.value,
        "is_bad": flag.is_bad,
        "explanation": flag.explanation,
        "explained_by": flag.explained_by,
        "comparison_week": flag.comparison_week,
        "contributors": _contributors_json(flag.contributors),
        "run_id": run_id,
        "updated_at": now,
    }


# What a flag shows on the deck; the rest of `_values` (the run that last confirmed
# it, and when) is bookkeeping. A rerun that finds a flag as it was leaves its
# `updated_at` alone, so `updated_at` says when the flag last changed, and the served
# deck (dashboards/deck_cache.py) keeps what it built.
SHOWN_COLUMNS: Final = (
    "status",
    "expected",
    "lower_bound",
    "upper_bound",
    "actual",
    "deviation",
    "deviation_pct",
    "score",
    "severity",
    "is_bad",
    "explanation",
    "explained_by",
    "comparison_week",
    "contributors",
)


def _same_json(old: str | None, new: str | None) -> bool:
    """Contributions summed by DuckDB's threads in another order differ in the last digits."""
    if old is None or new is None:
        return old == new
    return _same_structure(json.loads(old), json.loads(new))


def _same_structure(old: Any, new: Any) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(map(_same_structure, old, new))
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same_structure(old[k], new[k]) for k in old)
    return same_value(old, new)


def _changed(stored: RowMapping, values: dict[str, Any]) -> bool:
    return not all(
        _same_json(stored[name], values[name])
        if name == "contributors"
        else same_value(stored[name], values[name])
        for name in SHOWN_COLUMNS
    )


def write_flags(conn: Connection, flags: Iterable[Flag], run_id: int, now: datetime) -> WriteCounts:
    """Upsert `flags` by identity; resolve every other unresolved flag. Runs in `conn`."""
    table = anomaly_flags
    existing: dict[Key, RowMapping] = {
        (row["metric"], row["week_ending"], row["detector"]): row
        for row in conn.execute(
            sa.select(
                table.c.id,
                table.c.metric,
                table.c.week_ending,
                table.c.detector,
                *(table.c[name] for name in SHOWN_COLUMNS),
            )
        ).mappings()
    }
    inserts: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    confirmations: list[dict[str, Any]] = []
    seen: set[Key] = set()
    for flag in flags:
        if flag.key in seen:
            continue
        seen.add(flag.key)
        values = _values(flag, run_id, now)
        stored = existing.get(flag.key)
        if stored is None:
            identity = {"metric": flag.metric, "week_ending": flag.week_ending}
            inserts.append(
                {**identity, "detector": flag.detector.value, "first_detected_at": now, **values}
            )
        elif _changed(stored, values):
            changes.append({"flag_id": stored["id"], **values})
        else:
            confirmations.append({"flag_id": stored["id"], "run_id": run_id})
    stale = [
        {
            "flag_id": row["id"],
            "status": FlagStatus.RESOLVED.value,
            "run_id": run_id,
            "updated_at": now,
        }
        for key, row in existing.items()
        if key not in seen and row["status"] != FlagStatus.RESOLVED.value
    ]
    if inserts:
        conn.execute(table.insert(), inserts)
    by_id = table.c.id == sa.bindparam("flag_id")
    for rows in (changes, confirmations, stale):
        if rows:
            columns: dict[str, Any] = {
                name: sa.bindparam(name) for name in rows[0] if name != "flag_id"
            }
            conn.execute(table.update().where(by_id).values(columns), rows)
    return WriteCounts(
        len(inserts), len(changes) + len(confirmations), len(stale), changed=len(changes)
    )


def start_run(engine: Engine, now: datetime) -> int:
    with engine.begin() as conn:
        run_id: int = conn.execute(
            detection_runs.insert()
            .values(started_at=now, status="running")
            .returning(detection_runs.c.id)
        ).scalar_one()
    return run_id


def finish_run(engine: Engine, run_id: int, now: datetime, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            detection_runs.update()
            .where(detection_runs.c.id == run_id)
            .values(finished_at=now, **values)
        )


def _flag(row: RowMapping) -> Flag:
    return Flag(
        metric=row["metric"],
        week_ending=row["week_ending"],
        detector=DetectorName(row["detector"]),
        expected=row["expected"],
        lower=row["lower_bound"],
        upper=row["upper_bound"],
        actual=row["actual"],
        deviation=row["deviation"],
        deviation_pct=row["deviation_pct"],
        score=row["score"],
        severity=Severity(row["severity"]),
        is_bad=bool(row["is_bad"]),
        explanation=row["explanation"],
        explained_by=row["explained_by"],
        status=FlagStatus(row["status"]),
        comparison_week=row["comparison_week"],
        contributors=_contributors(row["contributors"]),
        id=row["id"],
    )


def _current(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(anomaly_flags)
        .where(where, anomaly_flags.c.status != FlagStatus.RESOLVED.value)
        .order_by(anomaly_flags.c.metric, anomaly_flags.c.week_ending, anomaly_flags.c.detector)
    )


def flags_for_week(engine: Engine, week_ending: date) -> dict[str, list[Flag]]:
    """Metric name -> the flags of that week as the newest detection run left them.

    Open and explained flags; resolved ones (that no longer fire) are left out.
    """
    result: dict[str, list[Flag]] = {}
    with engine.connect() as conn:
        for row in conn.execute(_current(anomaly_flags.c.week_ending == week_ending)).mappings():
            result.setdefault(row["metric"], []).append(_flag(row))
    return result


def flags_for_metric(engine: Engine, metric: str) -> list[Flag]:
    """One metric's current flags over its whole history, oldest first (chart markers)."""
    with engine.connect() as conn:
        rows = conn.execute(_current(anomaly_flags.c.metric == metric)).mappings()
        return [_flag(row) for row in rows]


def open_flags_of(engine: Engine, metrics: Iterable[str], limit: int) -> list[Flag]:
    """The open flags of these metrics over all weeks, newest week first (an owner's inbox)."""
    wanted = sorted(set(metrics))
    if not wanted:
        return []
    query = (
        sa.select(anomaly_flags)
        .where(
            anomaly_flags.c.metric.in_(wanted),
            anomaly_flags.c.status == FlagStatus.OPEN.value,
        )
        .order_by(anomaly_flags.c.week_ending.desc(), anomaly_flags.c.metric)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_flag(row) for row in conn.execute(query).mappings()]


def flag_by_id(engine: Engine, flag_id: int) -> Flag | None:
    """A flag by its store id, whatever its status (for notes attached to it)."""
    with engine.connect() as conn:
        row = (
            conn.execute(sa.select(anomaly_flags).where(anomaly_flags.c.id == flag_id))
            .mappings()
            .first()
        )
    return _flag(row) if row is not None else None


__all__ = [
    "WriteCounts",
    "finish_run",
    "flag_by_id",
    "flags_for_metric",
    "flags_for_week",
    "open_flags_of",
    "start_run",
    "write_flags",
]
