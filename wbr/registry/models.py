"""Typed, frozen models of `metrics.yaml`.

Every model forbids unknown keys, so a typo such as `ownr:` is an error with a
line number instead of a silently ignored field. Cross-references between
metrics (a ratio's parts, `drives:`, the deck's metric lists) are checked in
`wbr.registry.rules`, not here, so that every problem is reported at once.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from wbr.registry.access import Access, PersonEntry
from wbr.registry.aggregations import (
    FROM_METRICS,
    Aggregation,
    CountAggregation,
    FormulaAggregation,
    MeanAggregation,
    RatioAggregation,
    SumAggregation,
)
from wbr.registry.anomaly_settings import AnomalySettings, KnownEvent
from wbr.registry.base import NAME_PATTERN, StrictModel
from wbr.registry.formula import formula_references
from wbr.registry.ritual import Notifications, Schedule
from wbr.registry.sources import CsvSource, KeepColumns, Source
from wbr.registry.vocabulary import Unit, Weekday

MONTH_KEY_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class MetricKind(StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Comparison(StrEnum):
    """How a period is compared with its base: relative change or rate difference."""

    PERCENT = "percent"  # (CY / PY - 1) * 100
    BASIS_POINTS = "bps"  # (CY - PY) * 10_000, for rates


class MonthlyView(StrEnum):
    TRAILING_TWELVE_MONTHS = "trailing_twelve_months"
    FISCAL_YEAR = "fiscal_year"


class Project(StrictModel):
    name: str = "Weekly Business Review"
    week_ends_on: Weekday = Weekday.SATURDAY
    fiscal_year_end_month: Annotated[int, Field(ge=1, le=12)] = 12
    currency_symbol: str = "$"
    events: tuple[KnownEvent, ...] = ()  # explain the weeks they touch in advance

    @field_validator("fiscal_year_end_month", mode="before")
    @classmethod
    def _month_name_to_number(cls, value: object) -> object:
        """Accept `dec`/`December` as well as 12, as the reference app's configs do."""
        if isinstance(value, str) and not value.strip().isdigit():
            key = value.strip().lower()[:3]
            if key in MONTH_NAMES:
                return MONTH_NAMES.index(key) + 1
            raise ValueError(f"unknown month {value!r}; use 1-12 or a name such as 'dec'")
        return value

    @field_validator("week_ends_on", mode="before")
    @classmethod
    def _lowercase_weekday(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class Target(StrictModel):
    """The plan a metric is measured against: another metric, or values typed in here."""

    metric: str | None = None  # a metric whose period values are the plan
    weeks: dict[date, float] = Field(default_factory=dict)  # week-ending date → target
    months: dict[str, float] = Field(default_factory=dict)  # "2026-11" → target

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if self.metric is not None and (self.weeks or self.months):
            raise ValueError("give either `metric` or `weeks`/`months`, not both")
        if self.metric is None and not (self.weeks or self.months):
            raise ValueError("give `metric`, or `weeks`/`months` values")
        for key in self.months:
            if not MONTH_KEY_RE.match(key):
                raise ValueError(f"month {key!r} is not YYYY-MM")
        return self


class Metric(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    label: str
    description: str
    kind: MetricKind
    owner: str = Field(min_length=1)
    source: str | None = None  # a name under `sources:`; not needed for ratios
    date_column: str | None = None  # defaults to the source's date column
    aggregation: Aggregation
    unit: Unit = Unit.COUNT
    decimals: Annotated[int, Field(ge=0, le=6)] | None = None
    direction: Direction = Direction.HIGHER_IS_BETTER
    comparison: Comparison | None = None  # None: bps for percent units, percent otherwise
    drives: tuple[str, ...] = ()
    target: Target | None = None
    dimensions: tuple[str, ...] = ()  # columns to break a change down by (region, channel)
    anomaly: AnomalySettings = Field(default_factory=AnomalySettings)

    @property
    def compared_as(self) -> Comparison:
        if self.comparison is not None:
            return self.comparison
        return Comparison.BASIS_POINTS if self.unit is Unit.PERCENT else Comparison.PERCENT

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Other metrics this one is computed from."""
        agg = self.aggregation
        if isinstance(agg, RatioAggregation):
            return (agg.numerator, agg.denominator)
        if isinstance(agg, FormulaAggregation):
            return formula_references(agg.expression)
        return ()

    @property
    def columns_aggregated(self) -> set[str]:
        """The raw columns the aggregation reads: its column and its filters' columns."""
        agg = self.aggregation
        columns = {condition.column for condition in getattr(agg, "filters", ())}
        column = getattr(agg, "column", None)
        if column is not None:
            columns.add(column)
        return columns

    @property
    def reads_source(self) -> bool:
        """True when the value comes from raw rows, not from other metrics."""
        return not isinstance(self.aggregation, FROM_METRICS)


class Section(StrictModel):
    title: str
    metrics: tuple[str, ...] = Field(min_length=1)
    monthly_view: MonthlyView | None = None  # None: the deck's `monthly_view`


class Deck(StrictModel):
    title: str = "Weekly Business Review"
    monthly_view: MonthlyView = MonthlyView.TRAILING_TWELVE_MONTHS
    sections: tuple[Section, ...] = Field(min_length=1)


class Registry(StrictModel):
    """The whole of a validated `metrics.yaml`."""

    project: Project = Project()
    sources: dict[str, Source] = Field(default_factory=dict)
    metrics: tuple[Metric, ...]
    deck: Deck
    people: tuple[PersonEntry, ...] = ()  # the directory of owners (wbr/registry/access.py)
    access: Access = Access()
    schedule: Schedule | None = None  # the weekly job (wbr/registry/ritual.py); None: by hand
    notifications: Notifications = Notifications()

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(name)

    @property
    def metrics_by_name(self) -> dict[str, Metric]:
        return {metric.name: metric for metric in self.metrics}

    def columns_read(self, source_name: str) -> frozenset[str] | None:
        """The columns of a source that its raw table holds; None for all of them.

        The source's own date column, key, cursor and declared `columns:`, and every
        column a metric of it aggregates, filters on or dates by, and the breakdown
        columns (`dimensions`) of the metrics whose root cause is measured on it: its
        own, and those of ratios whose numerator it feeds (`wbr.anomalies.rootcause`).
        `keep_columns: all` keeps every column.
        """
        source = self.sources[source_name]
        if source.keep_columns is KeepColumns.ALL:
            return None
        names = {source.date_column, *source.key, *source.columns}
        if source.cursor is not None:
            names.add(source.cursor)
        by_name = self.metrics_by_name
        for metric in self.metrics:
            measured = metric
            if isinstance(metric.aggregation, RatioAggregation):
                measured = by_name.get(metric.aggregation.numerator, metric)
            if measured.source == source_name:
                names.update(metric.dimensions)
            if metric.source != source_name or not metric.reads_source:
                continue
            if metric.date_column is not None:
                names.add(metric.date_column)
            names.update(metric.columns_aggregated)
        return frozenset(names)

    def person(self, key: str) -> PersonEntry | None:
        return next((person for person in self.people if person.key == key), None)

    def owner_display(self, owner: str) -> str:
        """How the deck names a metric's owner: the person's name, or the owner as written."""
        person = self.person(owner)
        return person.display if person is not None else owner


__all__ = [
    "Aggregation",
    "Comparison",
    "CountAggregation",
    "CsvSource",
    "Deck",
    "Direction",
    "MeanAggregation",
    "Metric",
    "MetricKind",
    "MonthlyView",
    "Project",
    "RatioAggregation",
    "Registry",
    "Section",
    "Source",
    "SumAggregation",
    "Unit",
    "Weekday",
]
