"""The 6-12 chart: the trailing 6 weeks and 12 months of one metric, as a Plotly figure.

One categorical x-axis: six week labels, a blank gap, twelve month labels. The
weeks are drawn against the left y-axis and the months against the right one,
because a month's total is about four times a week's. The current year is a
bold line with markers, the prior year a faint grey line; weeks and months are
separate traces so the line never runs across the gap. A period with a missing
day is incomplete: its value is None (a gap in the line) and a hollow marker at
the foot of the chart says so on hover. When the metric has a plan, each week or
month with a target gets a short dark dash at the target, on the same axis as
that part's actuals.

A flagged week (`Chart.anomalies`) gets a ring around its current-year point, red
for an open bad move, green for a good one, grey once a known event explains it,
and a faint band behind it from the expectation's lower to upper bound, so the
reader sees how far outside its normal range the week fell. Hovering the ring
shows the detector's sentence.

The figure is a plain dict (`{"data": [...], "layout": {...}}`), which `dcc.Graph`
takes as it is: building `plotly.graph_objects` validates every property, about
40 ms a chart, which a deck of hundreds of metrics cannot afford. The layout's
parts and the defaults that used to come from Plotly's template are in
`wbr.deck.figure_parts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypedDict

from wbr.deck.figure_parts import GAP_LABEL as GAP_LABEL
from wbr.deck.figure_parts import TEMPLATE_BAR_LINE_COLOR, figure_layout
from wbr.deck.flag_marks import FLAG_BAD, FLAG_EXPLAINED, FLAG_GOOD, flag_tone, flagged_point
from wbr.deck.format import format_value
from wbr.deck.model import AnomalyNote, Chart, SeriesPoint

INCOMPLETE_TEXT: Final = "incomplete: a day is missing"

# Trace uids: renderers and tests find a series by these, never by position.
CY_WEEKS: Final = "cy-weeks"
PY_WEEKS: Final = "py-weeks"
CY_MONTHS: Final = "cy-months"
PY_MONTHS: Final = "py-months"
INCOMPLETE: Final = "incomplete"
PLAN_WEEKS: Final = "plan-weeks"
PLAN_MONTHS: Final = "plan-months"
PLAN_NAME: Final = "Plan"
FLAGS: Final = "flags"  # a ring on each flagged week's current-year point
FLAG_BANDS: Final = "flag-bands"  # the expected range (lower..upper) behind each ring

CY_COLOR: Final = "#1f4e8c"
PY_COLOR: Final = "#b5b5b5"
PLAN_COLOR: Final = "#2b2b2b"  # neutral and dark: a target, not a third year
# The flag tones of dashboards/flags.py, in the colours of the box's good and bad changes.
FLAG_COLORS: Final = {FLAG_BAD: "#c5221f", FLAG_GOOD: "#137333", FLAG_EXPLAINED: "#8a8a90"}
FLAG_BAND_COLOR: Final = "rgba(31, 78, 140, 0.10)"  # the current year's blue, faint
FLAG_RING_SIZE: Final = 17  # about twice a current-year dot: a ring around it
FLAG_RING_WIDTH: Final = 2
FLAG_BAND_WIDTH: Final = 0.44  # of a category: narrower than the gap between weeks
CY_LINE_WIDTH: Final = 3
PY_LINE_WIDTH: Final = 1.5
MARKER_SIZE: Final = 7
PLAN_MARKER_SIZE: Final = 16  # a dash a little wider than the current-year dots
PLAN_MARKER_WIDTH: Final = 2.5
# Legend order: this year, last year, then the plan.
LEGEND_RANK: Final = {"cy": 1, "py": 2, "plan": 3}
INCOMPLETE_MARKER_Y: Final = 0.05  # on a hidden 0-1 axis: just above the x-axis
HOVER_TEMPLATE: Final = "%{customdata}<extra></extra>"  # each point's own text, no trace box

Trace = dict[str, Any]


class SixTwelveFigure(TypedDict):
    """A Plotly figure as `dcc.Graph(figure=...)` takes it: traces and a layout."""

    data: list[Trace]
    layout: dict[str, Any]


def _hover_texts(
    points: Sequence[SeriesPoint], chart: Chart, currency_symbol: str, *, cy: bool
) -> list[str]:
    """Hover text per point, e.g. "2021: $1.21M", naming the period's own year.

    The trailing twelve months straddle two calendar years, so "Dec" may be last year's.
    """
    texts = []
    for point in points:
        value = point.cy if cy else point.py
        complete = point.cy_complete if cy else point.py_complete
        year = point.end.year if cy else point.py_end.year
        text = f"{year}: {format_value(value, chart.unit, chart.decimals, currency_symbol)}"
        texts.append(text if complete else f"{text} ({INCOMPLETE_TEXT})")
    return texts


def _series_traces(
    chart: Chart,
    points: Sequence[SeriesPoint],
    *,
    period: str,
    yaxis: str,
    year: int,
    currency_symbol: str,
) -> list[Trace]:
    """The prior-year and current-year traces of one part (weeks or months)."""
    x = [point.label for point in points]
    first = period == "weeks"  # only the weekly pair appears in the legend
    prior = {
        "type": "scatter",
        "x": x,
        "y": [point.py for point in points],
        "uid": f"py-{period}",
        "name": str(year - 1),
        "legendgroup": "py",
        "legendrank": LEGEND_RANK["py"],
        "showlegend": first,
        "mode": "lines",
        "line": {"color": PY_COLOR, "width": PY_LINE_WIDTH},
        "yaxis": yaxis,
        "customdata": _hover_texts(points, chart, currency_symbol, cy=False),
        "hovertemplate": HOVER_TEMPLATE,
        "connectgaps": False,
    }
    current = {
        "type": "scatter",
        "x": list(x),
        "y": [point.cy for point in points],
        "uid": f"cy-{period}",
        "name": str(year),
        "legendgroup": "cy",
        "legendrank": LEGEND_RANK["cy"],
        "showlegend": first,
        "mode": "lines+markers",
        "line": {"color": CY_COLOR, "width": CY_LINE_WIDTH},
        "marker": {
            "size": MARKER_SIZE,
            "color": CY_COLOR,
            "symbol": ["circle" if p.cy_complete else "circle-open" for p in points],
            "line": {"width": 2, "color": CY_COLOR},
        },
        "yaxis": yaxis,
        "customdata": _hover_texts(points, chart, currency_symbol, cy=True),
        "hovertemplate": HOVER_TEMPLATE,
        "connectgaps": False,
    }
    return [prior, current]


def _plan_trace(
    chart: Chart,
    points: Sequence[SeriesPoint],
    *,
    uid: str,
    yaxis: str,
    show_legend: bool,
    currency_symbol: str,
    name_year: bool,
) -> Trace | None:
    """A dash at each target of one part (weeks or months); None when it has no targets.

    The hover names the period, "Plan wk 38: $1.20M"; with `name_year` also its year,
    "Plan Sep 2020: $5.20M", because the trailing twelve months straddle two years.
    """
    planned = [p for p in points if p.target is not None]
    if not planned:
        return None
    return {
        "type": "scatter",
        "x": [p.label for p in planned],
        "y": [p.target for p in planned],
        "uid": uid,
        "name": PLAN_NAME,
        "legendgroup": "plan",
        "legendrank": LEGEND_RANK["plan"],
        "showlegend": show_legend,
        "mode": "markers",
        "marker": {
            "symbol": "line-ew",
            "size": PLAN_MARKER_SIZE,
            "color": PLAN_COLOR,
            "line": {"width": PLAN_MARKER_WIDTH, "color": PLAN_COLOR},
        },
        "yaxis": yaxis,
        "customdata": [
            f"{PLAN_NAME} {_period_name(p, name_year)}: "
            f"{format_value(p.target, chart.unit, chart.decimals, currency_symbol)}"
            for p in planned
        ],
        "hovertemplate": HOVER_TEMPLATE,
    }


def _period_name(point: SeriesPoint, name_year: bool) -> str:
    return f"{point.label} {point.end.year}" if name_year else point.label


def _plan_traces(chart: Chart, currency_symbol: str) -> list[Trace]:
    """The weekly and monthly plan dashes; only the first present one is in the legend."""
    weekly = _plan_trace(
        chart,
        chart.weeks,
        uid=PLAN_WEEKS,
        yaxis="y",
        show_legend=True,
        currency_symbol=currency_symbol,
        name_year=False,
    )
    monthly = _plan_trace(
        chart,
        chart.months,
        uid=PLAN_MONTHS,
        yaxis="y2",
        show_legend=weekly is None,
        currency_symbol=currency_symbol,
        name_year=True,
    )
    return [trace for trace in (weekly, monthly) if trace is not None]


def _incomplete_trace(points: Sequence[SeriesPoint]) -> Trace:
    """Hollow markers at the foot of the chart for the incomplete current-year `points`."""
    return {
        "type": "scatter",
        "x": [p.label for p in points],
        "y": [INCOMPLETE_MARKER_Y] * len(points),
        "customdata": [f"{p.label} {p.end.year}: {INCOMPLETE_TEXT}" for p in points],
        "uid": INCOMPLETE,
        "name": "incomplete",
        "showlegend": False,
        "mode": "markers",
        "marker": {"size": MARKER_SIZE, "color": CY_COLOR, "symbol": "circle-open"},
        "yaxis": "y3",
        "hovertemplate": HOVER_TEMPLATE,
    }


def _flagged(chart: Chart) -> list[tuple[AnomalyNote, SeriesPoint]]:
    """The chart's flags with the week each one marks (flags of weeks not shown are left out)."""
    return [
        (note, point)
        for note in chart.anomalies
        if (point := flagged_point(chart, note)) is not None
    ]


def _band_trace(flagged: Sequence[tuple[AnomalyNote, SeriesPoint]]) -> Trace:
    """A faint bar from each flag's lower to upper bound: the week's normal range."""
    return {
        "type": "bar",
        "x": [point.label for _, point in flagged],
        "y": [note.upper - note.lower for note, _ in flagged],
        "base": [note.lower for note, _ in flagged],
        "uid": FLAG_BANDS,
        "name": "expected range",
        "showlegend": False,
        "width": FLAG_BAND_WIDTH,
        "marker": {
            "color": FLAG_BAND_COLOR,
            "line": {"width": 0, "color": TEMPLATE_BAR_LINE_COLOR},
        },
        "yaxis": "y",
        "hoverinfo": "skip",
    }


def _ring_trace(flagged: Sequence[tuple[AnomalyNote, SeriesPoint]]) -> Trace:
    """A ring around each flagged week's current-year point; its hover is the sentence."""
    colors = [FLAG_COLORS[flag_tone(note)] for note, _ in flagged]
    return {
        "type": "scatter",
        "x": [point.label for _, point in flagged],
        # On the point the reader sees; at the flag's own value if the week has none.
        "y": [note.actual if point.cy is None else point.cy for note, point in flagged],
        "uid": FLAGS,
        "name": "flagged",
        "showlegend": False,
        "mode": "markers",
        "marker": {
            "symbol": "circle-open",
            "size": FLAG_RING_SIZE,
            "color": colors,
            "line": {"width": FLAG_RING_WIDTH, "color": list(colors)},
        },
        "yaxis": "y",
        "customdata": [note.explanation for note, _ in flagged],
        "hovertemplate": HOVER_TEMPLATE,
    }


def six_twelve_figure(chart: Chart, year: int, currency_symbol: str = "$") -> SixTwelveFigure:
    """The 6-12 chart of `chart`; `year` is the deck's year (its week-ending date's)."""
    flagged = _flagged(chart)
    traces: list[Trace] = [
        *([_band_trace(flagged)] if flagged else []),  # behind the lines
        *_series_traces(
            chart,
            chart.weeks,
            period="weeks",
            yaxis="y",
            year=year,
            currency_symbol=currency_symbol,
        ),
        *_series_traces(
            chart,
            chart.months,
            period="months",
            yaxis="y2",
            year=year,
            currency_symbol=currency_symbol,
        ),
        *_plan_traces(chart, currency_symbol),
        *([_ring_trace(flagged)] if flagged else []),  # on top of them
    ]
    incomplete = [p for p in (*chart.weeks, *chart.months) if not p.cy_complete]
    if incomplete:
        traces.append(_incomplete_trace(incomplete))
    return {"data": traces, "layout": figure_layout(chart, currency_symbol)}
