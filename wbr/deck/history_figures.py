"""A metric page's history charts as plain Plotly figure dicts (no Dash, no plotly import).

Two charts: every stored week, and every stored month, each with the current year
as a bold line and the same period a year earlier as a faint one, on a date axis.
The weekly chart rings every flagged week in its flag's tone (as on the deck).
Incomplete periods are gaps, never zero.
"""

from __future__ import annotations

from typing import Any, Final

from wbr.deck.figure_parts import FONT_FAMILY
from wbr.deck.figures import (
    CY_COLOR,
    CY_LINE_WIDTH,
    FLAG_COLORS,
    FLAG_RING_SIZE,
    FLAG_RING_WIDTH,
    PY_COLOR,
    PY_LINE_WIDTH,
    SixTwelveFigure,
)
from wbr.deck.flag_marks import flag_tone
from wbr.deck.format import format_value
from wbr.deck.metric_page import HistoryPoint, MetricPage

HISTORY_HEIGHT_PX: Final = 300
CY_HISTORY: Final = "cy-history"
PY_HISTORY: Final = "py-history"
FLAG_HISTORY: Final = "flag-history"


def _axis(page: MetricPage) -> dict[str, Any]:
    axis: dict[str, Any] = {"zeroline": False, "gridcolor": "#ececec", "fixedrange": True}
    if page.unit == "percent":
        axis["tickformat"] = f",.{page.decimals}~%"
    return axis


def _lines(page: MetricPage, points: tuple[HistoryPoint, ...]) -> list[dict[str, Any]]:
    x = [point.end.isoformat() for point in points]
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "uid": PY_HISTORY,
            "name": "Last year",
            "x": x,
            "y": [point.py for point in points],
            "line": {"color": PY_COLOR, "width": PY_LINE_WIDTH},
            "hovertemplate": "last year %{y}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "uid": CY_HISTORY,
            "name": "This year",
            "x": x,
            "y": [point.cy for point in points],
            "line": {"color": CY_COLOR, "width": CY_LINE_WIDTH},
            "customdata": [
                format_value(point.cy, page.unit, page.decimals) if point.complete else "incomplete"
                for point in points
            ],
            "hovertemplate": "%{customdata}<extra></extra>",
        },
    ]


def _layout(title: str, page: MetricPage) -> dict[str, Any]:
    return {
        "height": HISTORY_HEIGHT_PX,
        "title": {"text": title, "font": {"size": 13}, "x": 0, "xanchor": "left"},
        "margin": {"l": 48, "r": 12, "t": 40, "b": 32},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": FONT_FAMILY, "size": 11, "color": "#222222"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.1},
        "xaxis": {"type": "date", "showgrid": False, "fixedrange": True},
        "yaxis": _axis(page),
    }


def _flag_y(value: float | None, actual: float) -> float:
    """The ring sits on the week's stored value, or on the flagged actual when there is none."""
    return actual if value is None else value


def weekly_history_figure(page: MetricPage) -> SixTwelveFigure:
    """Every stored week, this year and last, with a ring on each flagged week."""
    data = _lines(page, page.weeks)
    values = {point.end: point.cy for point in page.weeks}
    flags = [record.flag for record in page.flags]
    if flags:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "uid": FLAG_HISTORY,
                "name": "Flagged",
                "x": [flag.week_ending.isoformat() for flag in flags],
                "y": [_flag_y(values.get(flag.week_ending), flag.actual) for flag in flags],
                "marker": {
                    "symbol": "circle-open",
                    "size": FLAG_RING_SIZE,
                    "line": {"width": FLAG_RING_WIDTH},
                    "color": [FLAG_COLORS[flag_tone(flag)] for flag in flags],
                },
                "customdata": [flag.explanation for flag in flags],
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )
    return {"data": data, "layout": _layout("Every week", page)}


def monthly_history_figure(page: MetricPage) -> SixTwelveFigure:
    """Every stored month, this year and last."""
    return {"data": _lines(page, page.months), "layout": _layout("Every month", page)}
