"""Properties of the roll-up that must hold for any data (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wbr import calendar as cal
from wbr.compute.daily import DailySeries
from wbr.compute.percentiles import _weighted_percentile
from wbr.compute.periods import combine_ratio, range_extremes, roll_up
from wbr.registry.aggregations import RatioAggregation
from wbr.registry.models import Metric

FIRST_DAY = date(2023, 1, 1)
SATURDAY = 5


def metric(aggregation: dict[str, object]) -> Metric:
    return Metric.model_validate(
        {
            "name": "m",
            "label": "m",
            "description": "m",
            "kind": "output",
            "owner": "o",
            "source": "s",
            "aggregation": aggregation,
        }
    )


SUM = metric({"type": "sum", "column": "x"})
MAX = metric({"type": "max", "column": "x"})

daily_values = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=14, max_size=120
)


def series(values: list[float], gaps: set[int] | None = None) -> DailySeries:
    gaps = gaps or set()
    present = np.array([i not in gaps for i in range(len(values))])
    sums = np.where(present, np.array(values), 0.0)
    return DailySeries(
        FIRST_DAY, present, sums, present.astype(float), np.where(present, values, np.nan)
    )


def weeks_in(n_days: int) -> list[cal.Period]:
    last = FIRST_DAY + timedelta(days=n_days - 1)
    week_ending = cal.latest_week_ending(last, SATURDAY)
    weeks = []
    while week_ending - timedelta(days=6) >= FIRST_DAY:
        weeks.append(cal.week(week_ending))
        week_ending -= timedelta(days=7)
    return weeks


@given(daily_values)
def test_a_weeks_value_is_the_sum_of_its_days(values: list[float]) -> None:
    weeks = weeks_in(len(values))
    result = roll_up(SUM, series(values), weeks)
    for i, week in enumerate(weeks):
        offset = (week.start - FIRST_DAY).days
        assert np.isclose(result.value[i], sum(values[offset : offset + 7]), rtol=1e-9)
        assert result.complete[i]


@given(daily_values, daily_values)
def test_a_ratio_is_the_ratio_of_period_sums(tops: list[float], bottoms: list[float]) -> None:
    n = min(len(tops), len(bottoms))
    tops, bottoms = tops[:n], bottoms[:n]
    weeks = weeks_in(n)
    top, bottom = roll_up(SUM, series(tops), weeks), roll_up(SUM, series(bottoms), weeks)
    ratio = combine_ratio(
        RatioAggregation(type="ratio", numerator="t", denominator="b"), (top, bottom)
    )
    for i, week in enumerate(weeks):
        offset = (week.start - FIRST_DAY).days
        total_bottom = sum(bottoms[offset : offset + 7])
        if total_bottom == 0:
            assert np.isnan(ratio.value[i])  # N/A, never 0 or infinity
        else:
            assert np.isclose(ratio.value[i], sum(tops[offset : offset + 7]) / total_bottom)


@given(daily_values, st.data())
def test_gaps_make_periods_incomplete_never_wrong(values: list[float], data: st.DataObject) -> None:
    gaps = data.draw(st.sets(st.integers(min_value=0, max_value=len(values) - 1), max_size=5))
    weeks = weeks_in(len(values))
    result = roll_up(SUM, series(values, gaps), weeks)
    for i, week in enumerate(weeks):
        offset = (week.start - FIRST_DAY).days
        days = range(offset, offset + 7)
        missing = [d for d in days if d in gaps]
        assert bool(result.complete[i]) == (not missing)
        if missing:
            assert np.isnan(result.value[i])  # never a total of the days that are there
            assert result.days_present[i] == 7 - len(missing)
        else:
            assert np.isclose(result.value[i], sum(values[d] for d in days))


@settings(max_examples=200)
@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=80),
    st.data(),
)
def test_range_extremes_equal_a_plain_scan(values: list[float], data: st.DataObject) -> None:
    n = len(values)
    starts = np.array(data.draw(st.lists(st.integers(-3, n + 3), min_size=1, max_size=10)))
    lengths = np.array(
        data.draw(st.lists(st.integers(0, n), min_size=len(starts), max_size=len(starts)))
    )
    ends = starts + lengths - 1
    array = np.array(values)
    for largest in (False, True):
        found = range_extremes(array, starts, ends, largest)
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            window = array[max(start, 0) : max(min(end + 1, n), 0)]
            if len(window) == 0:
                assert np.isnan(found[i])
            else:
                assert found[i] == (window.max() if largest else window.min())


@given(daily_values)
def test_max_of_a_week_is_the_max_of_its_days(values: list[float]) -> None:
    weeks = weeks_in(len(values))
    result = roll_up(MAX, series(values), weeks)
    for i, week in enumerate(weeks):
        offset = (week.start - FIRST_DAY).days
        assert result.value[i] == max(values[offset : offset + 7])


@given(
    st.lists(
        st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.integers(1, 5)), min_size=1, max_size=60
    ),
    st.floats(0.01, 0.99),
)
def test_percentile_from_counts_equals_percentile_cont(
    pairs: list[tuple[float, int]], quantile: float
) -> None:
    numbers = np.array([number for number, _ in pairs])
    counts = np.array([count for _, count in pairs])
    expected = np.percentile(np.repeat(numbers, counts), quantile * 100, method="linear")
    assert np.isclose(
        _weighted_percentile(numbers, counts, quantile), expected, rtol=1e-9, atol=1e-6
    )
