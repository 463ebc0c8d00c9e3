"""A small hand-made deck for renderer tests: 2 sections, 3 charts.

`sample_deck(week_ending)` is deterministic and its numbers depend on the week,
so a test can switch weeks and see them change. It covers the awkward cases:
a metric without prior-year data (`in_stock_rate` is new: py is None for the
first months and weeks), an incomplete latest week (`revenue`: a day is
missing, so its cy is None and the box shows N/A), a lower-is-better metric
(`page_latency_p90`), and each unit family (milliseconds, percent, currency).

Revenue has a plan: targets for the latest five weeks (not the first week shown)
and for the current year's months (not last year's), and a plan box whose last
week has a target but no variance (the week is incomplete). Every chart has the
6-week and 12-month tables, built by `wbr.deck.tables` from the chart's own series.

Two charts have flagged weeks, with the detector's own sentences: page latency
jumped in the latest week (open and bad, with drivers: the meeting's one
exception), and the in-stock rate fell three weeks earlier during a known event
(explained, no drivers).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta
from typing import Any

from wbr.anomalies.explain import sentence
from wbr.anomalies.model import DetectorName, severity_of
from wbr.comparisons import compare, variance_to_plan
from wbr.deck.model import AnomalyNote, BoxTotals, Chart, Deck, PlanBox, Section, SeriesPoint
from wbr.deck.tables import six_week_table, twelve_month_table
from wbr.registry.models import Comparison

WEEKS_SHOWN = 6
MONTHS_SHOWN = 12
PY_WEEK_OFFSET_DAYS = 364  # keeps weekdays aligned
PLANNED_WEEKS = 5  # the plan covers the latest five of the six weeks shown
MONTHLY_TABLE_TITLE = "Trailing 12 months"
BASELINE_WEEKS = 8  # the detector's default baseline, named in its sentence
# The open flag: the latest week is 5.5 % above its expectation, whose band is ± 2.5 %.
OPEN_FLAG_ABOVE_EXPECTED = 1.055
OPEN_FLAG_HALF_WIDTH = 0.025
OPEN_FLAG_DRIVERS = ("region=APAC (71 % of the change)", "device=mobile (64 % of the change)")
# The explained flag: in-stock fell this many weeks before the latest, during an event.
EXPLAINED_WEEKS_BACK = 3
IN_STOCK_EXPECTED = 0.951
IN_STOCK_HALF_WIDTH = 0.012  # ± 120 bps
KNOWN_EVENT = "Warehouse migration"
MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _wave(base: float, amplitude: float, day: date, seed: int) -> float:
    """A deterministic, gently varying value for `day`."""
    phase = day.toordinal() / 7 + seed
    return round(base * (1 + amplitude * math.sin(phase) + amplitude / 2 * math.cos(phase / 3)), 4)


def _month_starts(week_ending: date) -> list[date]:
    """The first days of the 12 complete months before the week-ending's month."""
    year, month = week_ending.year, week_ending.month
    starts = []
    for _ in range(MONTHS_SHOWN):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        starts.append(date(year, month, 1))
    return starts[::-1]


def _month_end(start: date) -> date:
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _shift_year(day: date) -> date:
    return (
        day.replace(year=day.year - 1) if (day.month, day.day) != (2, 29) else day - timedelta(365)
    )


def _chart(
    week_ending: date,
    *,
    metric: str,
    base: float,
    seed: int,
    monthly_factor: float,
    py_from: date | None = None,
    incomplete_last_week: bool = False,
    plan_ratio: float | None = None,
    **fields: Any,
) -> Chart:
    """One chart; prior-year values before `py_from` are missing (a new metric).

    With `plan_ratio`, the metric has a plan about `plan_ratio` times its usual value.
    """

    def py_value(day: date) -> float | None:
        if py_from is not None and day < py_from:
            return None
        return _wave(base * 0.93, 0.04, day, seed + 1)

    def target(day: date, planned: bool, factor: float = 1.0) -> float | None:
        if plan_ratio is None or not planned:
            return None
        return round(_wave(base * plan_ratio, 0.02, day, seed + 5) * factor, 4)

    weeks = []
    for back in range(WEEKS_SHOWN - 1, -1, -1):
        end = week_ending - timedelta(weeks=back)
        start = end - timedelta(days=6)
        py_end = end - timedelta(days=PY_WEEK_OFFSET_DAYS)
        complete = not (incomplete_last_week and back == 0)
        weeks.append(
            SeriesPoint(
                label=f"wk {end.isocalendar().week}",
                start=start,
                end=end,
                cy=_wave(base, 0.05, end, seed) if complete else None,
                py=py_value(py_end),
                cy_complete=complete,
                py_complete=True,
                py_start=py_end - timedelta(days=6),
                py_end=py_end,
                target=target(end, planned=back < PLANNED_WEEKS),
            )
        )
    months = []
    for start in _month_starts(week_ending):
        end = _month_end(start)
        py_start, py_end = _shift_year(start), _shift_year(end)
        py_week = py_value(py_end)
        months.append(
            SeriesPoint(
                label=MONTH_LABELS[start.month - 1],
                start=start,
                end=end,
                cy=round(_wave(base, 0.05, end, seed) * monthly_factor, 4),
                py=None if py_week is None else round(py_week * monthly_factor, 4),
                cy_complete=True,
                py_complete=True,
                py_start=py_start,
                py_end=py_end,
                target=target(end, planned=start.year == week_ending.year, factor=monthly_factor),
            )
        )
    how = Comparison(fields["comparison"])
    last, previous = weeks[-1], weeks[-2]
    # Period-to-date totals: rough multiples of the latest complete week's value.
    anchor = next(p.cy for p in reversed(weeks) if p.cy is not None)
    assert anchor is not None
    additive = fields["unit"] not in ("percent", "milliseconds")

    def to_date(multiple: float, py_ratio: float | None) -> tuple[float, float | None]:
        cy = round(anchor * (multiple if additive else 1 - multiple / 2000), 4)
        py = None if py_ratio is None else round(cy * py_ratio, 4)
        return cy, py

    def to_date_target(actual: float, ratio: float) -> float | None:
        return None if plan_ratio is None else round(actual * ratio, 4)

    mtd, mtd_py = to_date(3.4, 0.95)
    qtd, qtd_py = to_date(12.4, 0.97 if py_from is None else None)
    ytd, ytd_py = to_date(38.4, 0.96 if py_from is None else None)
    box = BoxTotals(
        last_week=last.cy,
        wow=compare(last.cy, previous.cy, how),
        last_week_yoy=compare(last.cy, last.py, how),
        mtd=mtd,
        mtd_yoy=compare(mtd, mtd_py, how),
        qtd=qtd,
        qtd_yoy=compare(qtd, qtd_py, how),
        ytd=ytd,
        ytd_yoy=compare(ytd, ytd_py, how),
    )
    # Ahead of plan month to date, behind it quarter to date, about on plan for the year.
    mtd_plan, qtd_plan, ytd_plan = (
        to_date_target(mtd, 0.97),
        to_date_target(qtd, 1.02),
        to_date_target(ytd, 0.9995),
    )
    plan = (
        None
        if plan_ratio is None
        else PlanBox(
            last_week=variance_to_plan(last.cy, last.target),
            mtd=variance_to_plan(mtd, mtd_plan),
            qtd=variance_to_plan(qtd, qtd_plan),
            ytd=variance_to_plan(ytd, ytd_plan),
        )
    )
    week_before = _wave(base, 0.05, weeks[0].end - timedelta(weeks=1), seed)
    month_before_end = months[0].start - timedelta(days=1)
    month_before = round(_wave(base, 0.05, month_before_end, seed) * monthly_factor, 4)
    tables = (
        six_week_table(
            weeks,
            week_before,
            [("QTD", qtd, qtd_py, qtd_plan), ("YTD", ytd, ytd_py, ytd_plan)],
            how,
        ),
        twelve_month_table(MONTHLY_TABLE_TITLE, months, month_before, how),
    )
    return Chart(
        metric=metric,
        weeks=tuple(weeks),
        months=tuple(months),
        box=box,
        plan=plan,
        tables=tables,
        **fields,
    )


def _note(
    chart: Chart,
    point: SeriesPoint,
    *,
    expected: float,
    half_width: float,
    explained_by: str | None,
    drivers: tuple[str, ...],
    flag_id: int,
) -> AnomalyNote:
    """A robust detector's flag of `point`, with the sentence the detector writes."""
    assert point.cy is not None
    actual = point.cy
    lower, upper = round(expected - half_width, 4), round(expected + half_width, 4)
    worse = actual < expected if chart.direction == "higher_is_better" else actual > expected
    return AnomalyNote(
        week_ending=point.end,
        detector=DetectorName.ROBUST.value,
        status="open" if explained_by is None else "explained",
        severity=severity_of((actual - expected) / half_width).value,
        is_bad=worse,
        expected=expected,
        lower=lower,
        upper=upper,
        actual=actual,
        deviation_pct=round((actual / expected - 1) * 100, 2),
        explanation=sentence(
            DetectorName.ROBUST,
            expected=expected,
            lower=lower,
            upper=upper,
            actual=actual,
            baseline_size=BASELINE_WEEKS,
            period="week",
            unit=chart.unit,
            explained_by=explained_by,
        ),
        explained_by=explained_by,
        drivers=drivers,
        flag_id=flag_id,
    )


def _with_open_flag(chart: Chart) -> Chart:
    """The chart with its latest week flagged, above the expectation, and not explained."""
    latest = chart.weeks[-1]
    assert latest.cy is not None
    expected = round(latest.cy / OPEN_FLAG_ABOVE_EXPECTED, 4)
    note = _note(
        chart,
        latest,
        expected=expected,
        half_width=round(expected * OPEN_FLAG_HALF_WIDTH, 4),
        explained_by=None,
        drivers=OPEN_FLAG_DRIVERS,
        flag_id=101,
    )
    return dataclasses.replace(chart, anomalies=(note,))


def _with_explained_flag(chart: Chart) -> Chart:
    """The chart with an earlier week flagged low, during a known event."""
    note = _note(
        chart,
        chart.weeks[-1 - EXPLAINED_WEEKS_BACK],
        expected=IN_STOCK_EXPECTED,
        half_width=IN_STOCK_HALF_WIDTH,
        explained_by=KNOWN_EVENT,
        drivers=(),
        flag_id=102,
    )
    return dataclasses.replace(chart, anomalies=(note,))


def sample_deck(week_ending: date = date(2021, 9, 25)) -> Deck:
    """A two-section deck (inputs, then outputs) for the week ending `week_ending`."""
    latency = _chart(
        week_ending,
        metric="page_latency_p90",
        base=412.0,
        seed=1,
        monthly_factor=1.0,
        label="Page latency (p90)",
        description="90th percentile of page load time on the detail page.",
        kind="input",
        owner="Priya Raman",
        unit="milliseconds",
        decimals=0,
        direction="lower_is_better",
        comparison="percent",
        drives=("revenue",),
    )
    in_stock = _chart(
        week_ending,
        metric="in_stock_rate",
        base=0.93,
        seed=2,
        monthly_factor=1.0,
        py_from=week_ending - timedelta(days=PY_WEEK_OFFSET_DAYS + 21),
        label="In-stock rate",
        description="Share of detail-page views where the item could ship today.",
        kind="input",
        owner="Marco Diaz",
        unit="percent",
        decimals=1,
        direction="higher_is_better",
        comparison="bps",
        drives=("revenue",),
    )
    revenue = _chart(
        week_ending,
        metric="revenue",
        base=1_234_567.0,
        seed=3,
        monthly_factor=4.35,
        incomplete_last_week=True,
        plan_ratio=1.01,
        label="Revenue",
        description="Ordered product sales, before returns.",
        kind="output",
        owner="Ana Lopez",
        unit="currency",
        decimals=2,
        direction="higher_is_better",
        comparison="percent",
        drives=(),
    )
    return Deck(
        title="Weekly Business Review",
        project="Example Retail",
        week_ending=week_ending,
        week_number=week_ending.isocalendar().week,
        fiscal_year_end_month=12,
        monthly_view="trailing_twelve_months",
        currency_symbol="$",
        generated_at=f"{week_ending + timedelta(days=1)}T06:00:00+00:00",
        sections=(
            Section(
                "Customer experience (inputs)",
                (_with_open_flag(latency), _with_explained_flag(in_stock)),
            ),
            Section("Financials (outputs)", (revenue,)),
        ),
    )


class SampleSource:
    """A `DeckSource` over `sample_deck`: two weeks, newest last."""

    def __init__(self, weeks: tuple[date, ...] = (date(2021, 9, 18), date(2021, 9, 25))) -> None:
        self._weeks = list(weeks)

    def weeks(self) -> list[date]:
        return list(self._weeks)

    def deck(self, week_ending: date | None) -> Deck:
        return sample_deck(self._weeks[-1] if week_ending is None else week_ending)


def synthetic_chart(week_ending: date, index: int) -> Chart:
    """The `index`-th chart of a synthetic deck: one of sample_deck's three kinds, own numbers.

    Charts cycle through a latency metric with an open flag, an in-stock rate with an
    explained flag (and no prior year for its first weeks) and a revenue metric with a
    plan and an incomplete latest week; `index` sets the metric's name and its values.
    """
    group, kind = divmod(index, 3)
    seed = 10 + index
    revenue = f"revenue_{group}"
    common: dict[str, Any] = {"owner": f"Owner {group}", "comparison": "percent"}
    if kind == 0:
        return _with_open_flag(
            _chart(
                week_ending,
                metric=f"page_latency_{group}",
                base=300.0 + 7 * group,
                seed=seed,
                monthly_factor=1.0,
                label=f"Page latency #{group}",
                description="90th percentile of page load time on one page.",
                kind="input",
                unit="milliseconds",
                decimals=0,
                direction="lower_is_better",
                drives=(revenue,),
                **common,
            )
        )
    if kind == 1:
        return _with_explained_flag(
            _chart(
                week_ending,
                metric=f"in_stock_rate_{group}",
                base=0.93,
                seed=seed,
                monthly_factor=1.0,
                py_from=week_ending - timedelta(days=PY_WEEK_OFFSET_DAYS + 21),
                label=f"In-stock rate #{group}",
                description="Share of detail-page views where the item could ship today.",
                kind="input",
                unit="percent",
                decimals=1,
                direction="higher_is_better",
                drives=(revenue,),
                **{**common, "comparison": "bps"},
            )
        )
    return _chart(
        week_ending,
        metric=revenue,
        base=1_000_000.0 + 12_345.0 * group,
        seed=seed,
        monthly_factor=4.35,
        incomplete_last_week=True,
        plan_ratio=1.01,
        label=f"Revenue #{group}",
        description="Ordered product sales, before returns.",
        kind="output",
        unit="currency",
        decimals=2,
        direction="higher_is_better",
        drives=(),
        **common,
    )


def synthetic_deck(
    charts: int, week_ending: date = date(2021, 9, 25), per_section: int = 10
) -> Deck:
    """A deck of `charts` synthetic charts (`synthetic_chart`), `per_section` to a section."""
    made = [synthetic_chart(week_ending, index) for index in range(charts)]
    sections = tuple(
        Section(f"Section {start // per_section + 1}", tuple(made[start : start + per_section]))
        for start in range(0, charts, per_section)
    )
    deck = sample_deck(week_ending)
    return dataclasses.replace(deck, title=f"Synthetic deck of {charts} charts", sections=sections)


class SyntheticSource:
    """A `DeckSource` over `synthetic_deck(charts)`: two weeks, newest last."""

    def __init__(
        self, charts: int, weeks: tuple[date, ...] = (date(2021, 9, 18), date(2021, 9, 25))
    ) -> None:
        self._charts = charts
        self._weeks = list(weeks)

    def weeks(self) -> list[date]:
        return list(self._weeks)

    def deck(self, week_ending: date | None) -> Deck:
        week = self._weeks[-1] if week_ending is None else week_ending
        return synthetic_deck(self._charts, week)
