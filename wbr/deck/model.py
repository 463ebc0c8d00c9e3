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
class NoteRevision:
    """One revision of an owner's note, as its history on the deck lists it."""

    revision: int
    action: str  # "written", "deleted", "restored" or "imported"
    status: str
    category: str | None
    text: str
    author: str  # the person's key
    author_name: str
    created_at: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class Annotation:
    """An owner's note on a flag (detector set) or on a metric-week (detector "")."""

    note_id: int
    week_ending: date
    detector: str
    revision: int  # the current revision; an edit must be based on it
    status: str  # "explained", "investigating", "action planned", "known event", "not an issue"
    category: str | None  # an optional cause category ("promotion", "supply", …)
    text: str  # Markdown, as written
    text_html: str  # the text rendered and sanitised: safe to put in a page as HTML
    author: str  # who wrote the current revision (a person's key)
    author_name: str
    updated_at: str  # ISO 8601, UTC
    history: tuple[NoteRevision, ...]  # oldest first

    @property
    def answered(self) -> bool:
        """False while the owner is still investigating: the flag is still waiting."""
        return self.status != "investigating"


@dataclass(frozen=True, slots=True)
class ExceptionCounts:
    """This week's exceptions and how many the owners have answered."""

    total: int  # metrics with an open flag in the deck's week
    explained: int  # every such flag carries an answering note
    investigating: int  # a note says the owner is on it, none is answered yet
    waiting: int  # no note yet

    @property
    def pending(self) -> int:
        return self.investigating + self.waiting


@dataclass(frozen=True, slots=True)
class AnomalyNote:
    """A week the detector flagged, as the deck shows it: one sentence and the numbers."""

    week_ending: date
    detector: str  # "robust", "seasonal", "wow" or "level_shift"
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
    flag_id: int | None  # the stored flag row (rewritten by detection; notes use the identity)
    annotation: Annotation | None = None  # the owner's note on this flag


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
    notes: tuple[Annotation, ...] = ()  # notes on the metric-weeks shown (not on a flag)
    owner_key: str = ""  # `owner:` as written in metrics.yaml: the key of the person who owns it

    @property
    def x_labels(self) -> tuple[str, ...]:
        return tuple(point.label for point in (*self.weeks, *self.months))


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    charts: tuple[Chart, ...]


@dataclass(frozen=True, slots=True)
class Freshness:
    """How fresh the deck's data is, and what the schedule does next (ISO 8601 times)."""

    data_as_of: str | None  # when the newest successful refresh finished (UTC)
    last_status: str | None  # the newest refresh's outcome: "succeeded", "failed", …
    last_error: str | None  # its error, when it failed: the deck shows the last good data
    next_refresh: str | None  # the schedule's next fire time, in its time zone
    explanations_due: str | None  # the deadline for this week's explanations
    meeting: str | None  # this week's meeting


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
    freshness: Freshness | None = None  # None: no refresh was ever recorded

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(chart for section in self.sections for chart in section.charts)

    def open_flags(self, chart: Chart) -> tuple[AnomalyNote, ...]:
        """The chart's open flags of the deck's week: what the meeting discusses."""
        return tuple(
            note
            for note in chart.anomalies
            if note.status == "open" and note.week_ending == self.week_ending
        )

    def response(self, chart: Chart) -> str | None:
        """ "explained", "investigating" or "waiting" for an exception; None for no exception."""
        flags = self.open_flags(chart)
        if not flags:
            return None
        notes = [flag.annotation for flag in flags]
        if all(note is not None and note.answered for note in notes):
            return "explained"
        return "investigating" if any(note is not None for note in notes) else "waiting"

    @property
    def exception_counts(self) -> ExceptionCounts:
        responses = [self.response(chart) for chart in self.charts]
        return ExceptionCounts(
            total=sum(response is not None for response in responses),
            explained=responses.count("explained"),
            investigating=responses.count("investigating"),
            waiting=responses.count("waiting"),
        )
