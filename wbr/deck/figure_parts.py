"""The layout of the 6-12 chart (`wbr.deck.figures`): axes, legend, fonts, the gap's rule.

`plotly.graph_objects.Figure` used to embed Plotly's default template ("plotly",
7 KB of JSON a chart) in every layout. The few of its values that these charts use
are written out here (`TEMPLATE_*`), so the browser draws what it drew with it.
"""

from __future__ import annotations

from typing import Any, Final

from wbr.deck.model import Chart

GAP_LABEL: Final = " "  # the blank category between the weeks and the months
FIGURE_HEIGHT_PX: Final = 280
GRID_COLOR: Final = "#ececec"
AXIS_TEXT_COLOR: Final = "#555555"
FONT_FAMILY: Final = "Helvetica Neue, Helvetica, Arial, sans-serif"
UNIT_TICK_SUFFIX: Final = {"milliseconds": " ms", "seconds": " s", "days": " d"}

# What the "plotly" template set and these charts use: every axis makes room for its
# tick labels, hover labels are left-aligned, numeric strings stay categories. Left
# out: its colourway and colour scales (every trace has its own colours), its title
# position (no title) and its zero-line style (the value axes have no zero line, and a
# category axis never draws one).
TEMPLATE_AUTOTYPENUMBERS: Final = "strict"
TEMPLATE_HOVER_ALIGN: Final = "left"
TEMPLATE_TITLE_STANDOFF: Final = 15
TEMPLATE_BAR_LINE_COLOR: Final = "#E5ECF6"  # a bar's outline: drawn nowhere at width 0


def _axis(**values: Any) -> dict[str, Any]:
    """An axis: the template's defaults for every axis, then `values`."""
    return {"automargin": True, "title": {"standoff": TEMPLATE_TITLE_STANDOFF}, **values}


def _value_axis(chart: Chart, currency_symbol: str, **extra: Any) -> dict[str, Any]:
    axis = _axis(
        showgrid=True,
        gridcolor=GRID_COLOR,
        gridwidth=1,
        zeroline=False,
        showline=False,
        ticks="",
        tickfont={"size": 10, "color": AXIS_TEXT_COLOR},
        nticks=5,
        fixedrange=True,
    )
    if chart.unit == "percent":
        axis["tickformat"] = f",.{chart.decimals}~%"
    elif chart.unit == "currency":
        axis["tickprefix"] = currency_symbol
    axis["ticksuffix"] = UNIT_TICK_SUFFIX.get(chart.unit, "")
    axis.update(extra)
    return axis


def figure_layout(chart: Chart, currency_symbol: str) -> dict[str, Any]:
    """The layout of `chart`'s 6-12 figure: one category axis, weeks left, months right."""
    categories = [*(p.label for p in chart.weeks), GAP_LABEL, *(p.label for p in chart.months)]
    return {
        "height": FIGURE_HEIGHT_PX,
        "margin": {"l": 8, "r": 8, "t": 28, "b": 8},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": FONT_FAMILY, "size": 11, "color": "#222222"},
        "autotypenumbers": TEMPLATE_AUTOTYPENUMBERS,
        "hovermode": "x unified",
        "hoverlabel": {"bgcolor": "white", "font": {"size": 11}, "align": TEMPLATE_HOVER_ALIGN},
        "legend": {
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 11},
            "traceorder": "normal",  # by LEGEND_RANK: "2026", "2025", "Plan"
        },
        "xaxis": _axis(
            type="category",
            categoryorder="array",
            categoryarray=categories,
            range=[-0.5, len(categories) - 0.5],
            showgrid=False,
            showline=True,
            linecolor="#999999",
            ticks="",
            tickfont={"size": 10, "color": AXIS_TEXT_COLOR},
            fixedrange=True,
        ),
        "yaxis": _value_axis(chart, currency_symbol, side="left"),
        "yaxis2": _value_axis(
            chart, currency_symbol, side="right", overlaying="y", showgrid=False, tickmode="auto"
        ),
        "yaxis3": _axis(overlaying="y", range=[0, 1], visible=False, fixedrange=True),
        "shapes": [
            {  # a thin rule in the gap: weeks on the left, months on the right
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": GAP_LABEL,
                "x1": GAP_LABEL,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#d0d0d0", "width": 1, "dash": "dot"},
            }
        ],
    }
