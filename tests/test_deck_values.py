"""The deck reads exactly the stored values of its periods, in one query."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from wbr import calendar as cal
from wbr.calendar import Grain, Period
from wbr.deck.values import DeckPeriods, StoredValue, load_values
from wbr.registry.models import MonthlyView
from wbr.store.schema import metric_values

WEEK_ENDING = date(2024, 3, 16)
COMPUTED_AT = datetime(2024, 3, 17, 9, 30, tzinfo=UTC)


def row(
    metric: str, grain: Grain, start: date, end: date, value: float | None, complete: bool
) -> dict[str, object]:
    return {
        "metric": metric,
        "grain": grain.value,
        "period_start": start,
        "period_end": end,
        "value": value,
        "numerator": None,
        "denominator": None,
        "days_present": 7,
        "days_expected": 7,
        "complete": complete,
        "computed_at": COMPUTED_AT,
    }


def test_only_the_asked_metrics_and_periods_are_read(store_engine: Engine) -> None:
    week = cal.week(WEEK_ENDING)
    february = cal.month(2024, 2)
    rows = [
        row("clicks", Grain.WEEK, week.start, week.end, 84.0, True),
        row("clicks", Grain.MONTH, february.start, february.end, None, False),
        # The same end date, another grain that was not asked for.
        row("clicks", Grain.MTD, date(2024, 3, 1), WEEK_ENDING, 200.0, True),
        # The same grain and end date, another start.
        row("clicks", Grain.WEEK, date(2024, 3, 9), WEEK_ENDING, 99.0, True),
        # A metric that was not asked for.
        row("orders", Grain.WEEK, week.start, week.end, 12.0, True),
        # A week that was not asked for.
        row("clicks", Grain.WEEK, date(2024, 3, 3), date(2024, 3, 9), 70.0, True),
    ]
    with store_engine.begin() as connection:
        connection.execute(metric_values.insert(), rows)

    found = load_values(store_engine, ["clicks", "ctr"], {week, february})

    assert found == {
        ("clicks", Grain.WEEK, week.start, week.end): StoredValue(84.0, True),
        ("clicks", Grain.MONTH, february.start, february.end): StoredValue(None, False),
    }
    assert load_values(store_engine, [], {week}) == {}
    assert load_values(store_engine, ["clicks"], set()) == {}


@pytest.mark.parametrize("view", list(MonthlyView))
def test_the_shown_periods_carry_the_calendars_labels_and_prior_years(view: MonthlyView) -> None:
    periods = DeckPeriods.for_week(WEEK_ENDING, 12, view)

    assert [s.current for s in periods.shown_weeks] == periods.weeks
    assert [s.label for s in periods.shown_weeks] == [cal.week_label(w) for w in periods.weeks]
    assert [s.prior_year for s in periods.shown_weeks] == [
        cal.prior_year_week(w) for w in periods.weeks
    ]
    assert [s.current for s in periods.shown_months] == periods.months
    assert [s.label for s in periods.shown_months] == [cal.month_label(m) for m in periods.months]
    assert [s.prior_year for s in periods.shown_months] == [
        cal.prior_year_month(m) for m in periods.months
    ]
    expected: set[Period] = {*periods.weeks, periods.week_before, *periods.months}
    expected |= {cal.prior_year_week(w) for w in periods.weeks}
    expected |= {periods.month_before} | {cal.prior_year_month(m) for m in periods.months}
    for to_date in periods.to_dates:
        expected |= {to_date.current, to_date.prior_year}
    assert periods.all_periods() == expected
