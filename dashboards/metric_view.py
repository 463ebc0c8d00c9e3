"""A metric's page in the browser: history charts, definition, owner, flags over time.

Drawn from `wbr.deck.metric_page.MetricPage` as elements and two `dcc.Graph`s,
then sent as HTML text like the deck (`dashboards.html_text`), so deck.js draws
its charts. Every flag has its sentence, its owner's note and, when the metric
has `dimensions`, the table of what moved it: each dimension value's part of the
change from the comparison week.
"""

from __future__ import annotations

from typing import Final

from dash import dcc

from dashboards import ids
from dashboards.address import METRIC_PARAM, WEEK_PARAM
from dashboards.cells import data_attributes, raw_attribute
from dashboards.elements import Child, Element, element
from dashboards.notes_view import annotation_block
from wbr.deck.format import format_date, format_flag_badge, format_value_full
from wbr.deck.history_figures import monthly_history_figure, weekly_history_figure
from wbr.deck.metric_page import FlagRecord, MetricLink, MetricPage

METRIC_PATH: Final = "/metric"
GRAPH_CONFIG: Final[dcc.Graph.Config] = {"displayModeBar": False, "responsive": True}
BREAKDOWN_COLUMNS: Final = ("Dimension", "Value", "This week", "Comparison week", "Part of change")
NO_FLAGS_TEXT: Final = "No flags: every week of this metric was within its normal range."


def metric_href(metric: str, week: str | None) -> str:
    """The address of a metric's page, opened from the deck of `week`."""
    query = f"?{METRIC_PARAM}={metric}" + (f"&{WEEK_PARAM}={week}" if week else "")
    return METRIC_PATH + query


def _links(title: str, links: tuple[MetricLink, ...], week: str) -> Element | None:
    if not links:
        return None
    items: list[Child] = [element("Span", f"{title}: ", className="links-title")]
    for index, link in enumerate(links):
        if index:
            items.append(", ")
        items.append(element("A", link.label, href=metric_href(link.metric, week)))
    return element("P", items, className="metric-links")


def _definition(page: MetricPage) -> Element:
    rows = [
        element("Tr", [element("Th", key, scope="row"), element("Td", value)])
        for key, value in page.definition
    ]
    return element(
        "Table",
        [element("Caption", "Definition (metrics.yaml)"), element("Tbody", rows)],
        id=ids.METRIC_DEFINITION,
        className="metric-definition",
    )


def _breakdown(page: MetricPage, record: FlagRecord) -> Element | None:
    if not record.breakdown:
        return None

    def value(number: float) -> Element:
        text = format_value_full(number, page.unit, page.decimals)
        return element("Td", text, **data_attributes({ids.DATA_RAW: raw_attribute(number)}))

    rows = []
    for part in record.breakdown:
        share = "" if part.share is None else f" ({part.share * 100:.0f} %)"
        rows.append(
            element(
                "Tr",
                [
                    element("Td", part.dimension),
                    element("Td", part.value),
                    value(part.current),
                    value(part.comparison),
                    element(
                        "Td",
                        format_value_full(part.contribution, page.unit, page.decimals) + share,
                        **data_attributes({ids.DATA_RAW: raw_attribute(part.contribution)}),
                    ),
                ],
            )
        )
    against = (
        f" against w/e {format_date(record.comparison_week)}" if record.comparison_week else ""
    )
    return element(
        "Table",
        [
            element("Caption", f"What moved it{against}"),
            element("Thead", element("Tr", [element("Th", c) for c in BREAKDOWN_COLUMNS])),
            element("Tbody", rows),
        ],
        className="flag-breakdown",
    )


def _flag(page: MetricPage, record: FlagRecord) -> Element:
    flag = record.flag
    body: list[Child] = [
        element(
            "Div",
            [
                element("Span", format_flag_badge(flag), className="flag-badge"),
                element("Span", f"w/e {format_date(flag.week_ending)}", className="flag-week"),
                element("Span", flag.detector, className="flag-detector"),
            ],
            className="flag-head",
        ),
        element("P", flag.explanation, className="flag-text"),
        _breakdown(page, record),
    ]
    if flag.annotation is not None:
        body.append(annotation_block(page.metric, flag.annotation, may_write=False))
    return element(
        "Li",
        [part for part in body if part is not None],
        id=ids.flag_id(page.metric, flag.week_ending, flag.detector),
        className=f"history-flag flag-{flag.status}",
        **data_attributes(
            {
                ids.DATA_WEEK: flag.week_ending.isoformat(),
                ids.DATA_STATUS: flag.status,
                ids.DATA_SEVERITY: flag.severity,
            }
        ),
    )


def metric_page_layout(page: MetricPage) -> Element:
    """The whole metric page: header, history charts, definition, flags over time."""
    kind = page.kind.lower()
    week = page.week_ending.isoformat()
    head: list[Child] = [
        element("A", "\u2190 Back to the deck", href=f"/?{WEEK_PARAM}={week}", className="back"),
        element(
            "Div",
            [
                element("H1", page.label, className="metric-label"),
                element("Span", kind.upper(), className=f"badge badge-{kind}"),
                element("Span", f"Owner: {page.owner}", className="metric-owner"),
            ],
            className="card-head",
        ),
        element("P", page.description, className="metric-description"),
        _links("Drives", page.drives, week),
        _links("Driven by", page.driven_by, week),
    ]
    charts: list[Child] = [
        dcc.Graph(
            id=ids.history_chart_id(page.metric, "weeks"),
            figure=weekly_history_figure(page),
            config=GRAPH_CONFIG,
        ),
        dcc.Graph(
            id=ids.history_chart_id(page.metric, "months"),
            figure=monthly_history_figure(page),
            config=GRAPH_CONFIG,
        ),
    ]
    flags: Child = (
        element("Ol", [_flag(page, record) for record in page.flags], className="history-flags")
        if page.flags
        else element("P", NO_FLAGS_TEXT, className="no-data")
    )
    return element(
        "Article",
        [
            *(part for part in head if part is not None),
            element("Section", charts, className="history-charts"),
            _definition(page),
            element("H2", f"Flags ({len(page.flags)})", className="section-title"),
            flags,
        ],
        id=ids.METRIC_PAGE,
        className=f"metric-page metric-{kind}",
        **data_attributes({"data-metric": page.metric, "data-kind": kind}),
    )
