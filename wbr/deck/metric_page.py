"""One metric's page: its whole history, definition, owner and flags over time.

A card in the deck shows six weeks and twelve months; its metric page shows every
stored week and month with last year beside it, the definition as metrics.yaml
gives it, who owns it, which metrics it drives and is driven by, and every flag
the detectors raised with the sentence that explains it, the owner's note and
the dimension breakdown behind it (`wbr.anomalies.rootcause`, stored with the
flag at detection time). Plain frozen dataclasses, like the deck: the Dash page
(`dashboards/metric_view.py`) only draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr.anomalies.model import Contributor
from wbr.anomalies.store import flags_for_metric
from wbr.calendar import PY_WEEK_OFFSET_DAYS, Grain
from wbr.deck.anomalies import note
from wbr.deck.build import DEFAULT_DECIMALS
from wbr.deck.model import AnomalyNote
from wbr.deck.notes import DeckNotes
from wbr.registry.models import Metric, Registry
from wbr.store.schema import metric_values

# Keys of a metric's definition the page shows apart (header, links), not as definition.
SHOWN_ELSEWHERE = frozenset({"name", "label", "description", "kind", "owner", "drives"})


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One stored week or month: this year's value and the same period a year before."""

    start: date
    end: date
    cy: float | None  # None: no value, or the period is incomplete
    py: float | None
    complete: bool


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """A flag over the metric's history: the deck's flag note and its breakdown."""

    flag: AnomalyNote  # week, detector, status, the sentence, the owner's note
    comparison_week: date | None  # the week the breakdown compares with
    breakdown: tuple[Contributor, ...]  # per dimension value, its part of the change


@dataclass(frozen=True, slots=True)
class MetricLink:
    metric: str
    label: str


@dataclass(frozen=True, slots=True)
class MetricPage:
    metric: str
    label: str
    description: str
    kind: str  # "input" or "output"
    owner: str  # the owner's name
    owner_key: str
    unit: str
    decimals: int
    direction: str
    definition: tuple[tuple[str, str], ...]  # (key, value as YAML would write it)
    drives: tuple[MetricLink, ...]  # outputs this input drives
    driven_by: tuple[MetricLink, ...]  # inputs that drive this output
    week_ending: date  # the deck week the page was opened from
    weeks: tuple[HistoryPoint, ...]  # every stored week, oldest first
    months: tuple[HistoryPoint, ...]  # every stored month, oldest first
    flags: tuple[FlagRecord, ...]  # newest first


def _text(value: Any) -> str:
    """A definition value as a reader of metrics.yaml would write it."""
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_text(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return str(value)


def definition(metric: Metric) -> tuple[tuple[str, str], ...]:
    """The metric's definition, the keys it sets (defaults left out), in the model's order."""
    dumped = metric.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    return tuple((key, _text(value)) for key, value in dumped.items() if key not in SHOWN_ELSEWHERE)


def _history(
    engine: Engine, metric: str
) -> tuple[tuple[HistoryPoint, ...], tuple[HistoryPoint, ...]]:
    """Every stored week and month of `metric`, each with its prior-year value."""
    query = (
        sa.select(
            metric_values.c.grain,
            metric_values.c.period_start,
            metric_values.c.period_end,
            metric_values.c.value,
            metric_values.c.complete,
        )
        .where(
            metric_values.c.metric == metric,
            metric_values.c.grain.in_([Grain.WEEK.value, Grain.MONTH.value]),
        )
        .order_by(metric_values.c.grain, metric_values.c.period_end)
    )
    rows: dict[str, dict[date, tuple[date, float | None, bool]]] = {"week": {}, "month": {}}
    with engine.connect() as conn:
        for grain, start, end, value, complete in conn.execute(query):
            rows[grain][start] = (end, value if complete else None, bool(complete))
    weeks = tuple(
        HistoryPoint(start, end, cy, _prior(rows["week"], start - _PY_SHIFT), complete)
        for start, (end, cy, complete) in rows["week"].items()
    )
    months = tuple(
        HistoryPoint(start, end, cy, _prior(rows["month"], _year_before(start)), complete)
        for start, (end, cy, complete) in rows["month"].items()
    )
    return weeks, months


_PY_SHIFT = timedelta(days=PY_WEEK_OFFSET_DAYS)  # the prior-year week: weekdays line up


def _year_before(month_start: date) -> date:
    return month_start.replace(year=month_start.year - 1)


def _prior(rows: dict[date, tuple[date, float | None, bool]], start: date) -> float | None:
    found = rows.get(start)
    return found[1] if found is not None else None


def _links(registry: Registry, names: tuple[str, ...]) -> tuple[MetricLink, ...]:
    by_name = registry.metrics_by_name
    return tuple(MetricLink(name, by_name[name].label) for name in names if name in by_name)


def build_metric_page(
    engine: Engine, registry: Registry, metric_name: str, week_ending: date
) -> MetricPage | None:
    """The page of `metric_name` (None when there is no such metric)."""
    metric = registry.metrics_by_name.get(metric_name)
    if metric is None:
        return None
    weeks, months = _history(engine, metric.name)
    flags = flags_for_metric(engine, metric.name)
    notes = DeckNotes(engine, {flag.week_ending for flag in flags})
    annotated = notes.on_flags(metric.name, tuple(note(flag) for flag in flags))
    records = tuple(
        FlagRecord(flag=shown, comparison_week=flag.comparison_week, breakdown=flag.contributors)
        for flag, shown in sorted(
            zip(flags, annotated, strict=True), key=lambda pair: pair[0].week_ending, reverse=True
        )
    )
    driven_by = tuple(m.name for m in registry.metrics if metric.name in m.drives)
    return MetricPage(
        metric=metric.name,
        label=metric.label,
        description=metric.description,
        kind=metric.kind.value,
        owner=registry.owner_display(metric.owner),
        owner_key=metric.owner,
        unit=metric.unit.value,
        decimals=metric.decimals
        if metric.decimals is not None
        else DEFAULT_DECIMALS.get(metric.unit, 1),
        direction=metric.direction.value,
        definition=definition(metric),
        drives=_links(registry, metric.drives),
        driven_by=_links(registry, driven_by),
        week_ending=week_ending,
        weeks=weeks,
        months=months,
        flags=records,
    )
