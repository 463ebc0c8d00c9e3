"""The 6-week and 12-month tables of a metric, as the reference decks show them.

Columns: the six weeks, QTD and YTD; or the twelve months. Rows: actual, plan,
variance to plan (absolute and percent), YoY, and WoW or MoM. Every number is
derived from the same stored values as the chart; nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence

from wbr.comparisons import compare, variance_to_plan
from wbr.deck.model import MetricTable, SeriesPoint, TableRow
from wbr.registry.models import Comparison

Value = float | None


def _changes(current: Sequence[Value], base: Sequence[Value], how: Comparison) -> tuple[Value, ...]:
    return tuple(compare(c, b, how).value for c, b in zip(current, base, strict=True))


def _plan_rows(actual: Sequence[Value], plan: Sequence[Value]) -> list[TableRow]:
    if all(target is None for target in plan):
        return []
    variances = [variance_to_plan(a, p) for a, p in zip(actual, plan, strict=True)]
    return [
        TableRow("Plan", "value", tuple(plan)),
        TableRow("Vs plan", "value", tuple(v.variance for v in variances)),
        TableRow("Vs plan %", "percent", tuple(v.variance_pct for v in variances)),
    ]


def _table(
    title: str,
    columns: Sequence[str],
    actual: Sequence[Value],
    plan: Sequence[Value],
    prior_year: Sequence[Value],
    previous: Sequence[Value],
    previous_label: str,
    how: Comparison,
) -> MetricTable:
    change_kind = how.value
    rows = [
        TableRow("Actual", "value", tuple(actual)),
        *_plan_rows(actual, plan),
        TableRow("YoY", change_kind, _changes(actual, prior_year, how)),
        TableRow(previous_label, change_kind, _changes(actual, previous, how)),
    ]
    return MetricTable(title=title, columns=tuple(columns), rows=tuple(rows))


def six_week_table(
    weeks: Sequence[SeriesPoint],
    week_before: Value,
    to_dates: Sequence[tuple[str, Value, Value, Value]],
    how: Comparison,
) -> MetricTable:
    """Six weeks, then QTD and YTD (`to_dates`: label, actual, prior year, plan)."""
    actual = [p.cy for p in weeks] + [td[1] for td in to_dates]
    prior_year = [p.py for p in weeks] + [td[2] for td in to_dates]
    plan = [p.target for p in weeks] + [td[3] for td in to_dates]
    # WoW compares each week with the one before; a to-date column has no WoW.
    previous = [week_before, *(p.cy for p in weeks[:-1])] + [None] * len(to_dates)
    columns = [p.label for p in weeks] + [td[0] for td in to_dates]
    return _table("Trailing 6 weeks", columns, actual, plan, prior_year, previous, "WoW", how)


def twelve_month_table(
    title: str, months: Sequence[SeriesPoint], month_before: Value, how: Comparison
) -> MetricTable:
    actual = [p.cy for p in months]
    previous = [month_before, *actual[:-1]]
    return _table(
        title,
        [p.label for p in months],
        actual,
        [p.target for p in months],
        [p.py for p in months],
        previous,
        "MoM",
        how,
    )
