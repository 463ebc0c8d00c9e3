"""The deck as plain typed objects: what every renderer (Dash, JSON) draws.

Nothing here knows about Dash or SQL. Values are floats or None; None always
means "not available" (no data, an incomplete base, a zero base) and is never
shown as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One x-axis position of a 6-12 chart: a week or a month, this year and last."""

    label: str  # "wk 38" or "Sep"
    start: date
    end: date
    cy: float | None
    py: float | None
    cy_complete: bool  # False: a day in the period has no data, so cy is None
    py_complete: bool
    py_start: date
    py_end: date
    target: float | None = None  # the plan for this period, when the metric has one


@dataclass(frozen=True, slots=True)
class Change:
    """A comparison of a current value with a base, in percent or basis points."""

    value: float | None  # None when the base is missing, incomplete or zero
    unit: str  # "percent" or "bps"


@dataclass(frozen=True, slots=True)
class BoxTotals:
    """The nine numbers under a 6-12 chart."""

    last_week: float | None
    wow: Change
    last_week_yoy: Change
    mtd: float | None
    mtd_yoy: Change
    qtd: float | None
    qtd_yoy: Change
    ytd: float | None
    ytd_yoy: Change


@dataclass(frozen=True, slots=True)
class PlanVariance:
    """Actual against plan for one period: the target, actual − target, and in percent."""

    target: float | None
    variance: float | None
    variance_pct: float | None


@dataclass(frozen=True, slots=True)
class PlanBox:
    """Variance to plan for the box's periods."""

    last_week: PlanVariance
    mtd: PlanVariance
    qtd: PlanVariance
    ytd: PlanVariance


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a metric table: actual, plan, variance, YoY, WoW or MoM."""

    label: str
    kind: str  # "value" (in the metric's unit), "percent" or "bps"
    cells: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class MetricTable:
    """The 6-week table (6 weeks, QTD, YTD) or the 12-month table of a metric."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class AnomalyNote:
    """A week the detector flagged, as the deck shows it: one sentence and the numbers."""

    week_ending: date
    detector: str  # "robust", "seasonal" or "wow"
    status: str  # "open" (the owner explains it) or "explained" (a known event)
    severity: str  # "low", "medium" or "high"
    is_bad: bool  # whether the move is bad for the business, given the metric's direction
    expected: float
    lower: float
    upper: float
    actual: float
    deviation_pct: float | None
    explanation: str  # "expected 41.2K ± 2.10K from …; got 35.0K, −15.0%"
    explained_by: str | None  # the known event's name
    drivers: tuple[str, ...]  # root-cause hints: "category=Electronics (85 % of the change)"
    flag_id: int | None  # the stored flag, for notes attached to it


@dataclass(frozen=True, slots=True)
class Chart:
    """A 6-12 chart for one metric, with its box of totals and who owns it."""

    metric: str
    label: str
    description: str
    kind: str  # "input" or "output"
    owner: str
    unit: str
    decimals: int
    direction: str
    comparison: str  # "percent" or "bps"
    drives: tuple[str, ...]
    weeks: tuple[SeriesPoint, ...]  # the trailing 6 weeks, oldest first
    months: tuple[SeriesPoint, ...]  # 12 months, oldest first
    box: BoxTotals
    plan: PlanBox | None = None  # None when the metric has no target
    tables: tuple[MetricTable, ...] = ()  # the 6-week table and the 12-month table
    anomalies: tuple[AnomalyNote, ...] = ()  # flagged weeks among the six shown, oldest first

    @property
    def x_labels(self) -> tuple[str, ...]:
        return tuple(point.label for point in (*self.weeks, *self.months))


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    charts: tuple[Chart, ...]


@dataclass(frozen=True, slots=True)
class Deck:
    title: str
    project: str
    week_ending: date
    week_number: int
    fiscal_year_end_month: int
    monthly_view: str
    currency_symbol: str
    generated_at: str  # ISO timestamp of the stored values the deck was built from
    sections: tuple[Section, ...]

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(chart for section in self.sections for chart in section.charts)
