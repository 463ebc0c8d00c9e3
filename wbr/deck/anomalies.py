"""The anomaly flags a deck shows: the flagged weeks among the six on each chart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy.engine import Engine

from wbr.anomalies.model import Flag
from wbr.anomalies.store import flags_for_week
from wbr.deck.model import AnomalyNote

DRIVERS_SHOWN = 3  # the most concentrated driver of each dimension, at most this many


def driver_phrases(flag: Flag) -> tuple[str, ...]:
    """ "category=Electronics (85 % of the change)" for the flag's strongest drivers."""
    phrases = []
    for contributor in flag.drivers()[:DRIVERS_SHOWN]:
        share = (
            "" if contributor.share is None else f" ({contributor.share * 100:.0f} % of the change)"
        )
        phrases.append(f"{contributor.dimension}={contributor.value}{share}")
    return tuple(phrases)


def note(flag: Flag) -> AnomalyNote:
    return AnomalyNote(
        week_ending=flag.week_ending,
        detector=flag.detector.value,
        status=flag.status.value,
        severity=flag.severity.value,
        is_bad=flag.is_bad,
        expected=flag.expected,
        lower=flag.lower,
        upper=flag.upper,
        actual=flag.actual,
        deviation_pct=flag.deviation_pct,
        explanation=flag.explanation,
        explained_by=flag.explained_by,
        drivers=driver_phrases(flag),
        flag_id=flag.id,
    )


def anomaly_notes(
    engine: Engine, week_endings: Iterable[date]
) -> dict[str, tuple[AnomalyNote, ...]]:
    """Open and explained flags of these weeks by metric, oldest week first."""
    by_metric: dict[str, list[AnomalyNote]] = defaultdict(list)
    for week_ending in sorted(set(week_endings)):
        for metric, flags in flags_for_week(engine, week_ending).items():
            by_metric[metric].extend(note(flag) for flag in flags)
    return {metric: tuple(notes) for metric, notes in by_metric.items()}
