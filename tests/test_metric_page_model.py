"""The metric page's model and its HTML: history with last year, definition, breakdown."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import small_project as shop
from web_support import FLAGGED, build_store

from dashboards.html_text import payload
from dashboards.metric_view import BREAKDOWN_COLUMNS, metric_page_layout
from wbr.anomalies.model import Contributor
from wbr.calendar import PY_WEEK_OFFSET_DAYS
from wbr.deck.drivers import driver_map
from wbr.deck.metric_page import FlagRecord, MetricPage, build_metric_page
from wbr.deck.model import AnomalyNote
from wbr.registry.models import Registry


class _Cells(HTMLParser):
    """The text of every table cell inside `.flag-breakdown`, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._inside = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "flag-breakdown") in attrs:
            self._inside += 1
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._inside:
            self._inside -= 1
        elif self._inside and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_history_pairs_each_week_with_the_week_364_days_before(tmp_path: Path) -> None:
    engine, project = build_store(f"sqlite:///{tmp_path / 'store.db'}")
    page = build_metric_page(engine, project, FLAGGED, shop.WEEK_ENDING)
    assert page is not None and build_metric_page(engine, project, "nope", shop.WEEK_ENDING) is None
    by_end = {point.end: point for point in page.weeks}
    paired = [p for p in page.weeks if p.end - timedelta(days=PY_WEEK_OFFSET_DAYS) in by_end]
    assert paired
    for point in paired:
        assert point.py == by_end[point.end - timedelta(days=PY_WEEK_OFFSET_DAYS)].cy
    assert [p.end for p in page.weeks] == sorted(by_end)
    assert page.months and all(m.start.day == 1 for m in page.months)
    assert dict(page.definition)["source"] == "traffic"
    assert "label" not in dict(page.definition)  # shown in the header, not twice
    assert [link.metric for link in page.drives] == ["orders"]
    orders = build_metric_page(engine, project, "orders", shop.WEEK_ENDING)
    assert orders is not None and [link.metric for link in orders.driven_by] == [FLAGGED]
    engine.dispose()


def _page_with_breakdown() -> MetricPage:
    week = date(2024, 3, 16)
    flag = AnomalyNote(
        week_ending=week,
        detector="robust",
        status="open",
        severity="high",
        is_bad=True,
        expected=84.0,
        lower=60.0,
        upper=108.0,
        actual=42.0,
        deviation_pct=-50.0,
        explanation="expected 84.0 ± 23.4 from the last 8 weeks; got 42.0, −50.0%",
        explained_by=None,
        drivers=(),
        flag_id=1,
    )
    parts = (
        Contributor("region", "EU", 10.0, 48.0, -38.0, 0.9),
        Contributor("region", "US", 32.0, 36.0, -4.0, None),
    )
    return MetricPage(
        metric="clicks",
        label="Clicks",
        description="Clicks.",
        kind="input",
        owner="Ana",
        owner_key="ana",
        unit="count",
        decimals=0,
        direction="higher_is_better",
        definition=(("source", "traffic"),),
        drives=(),
        driven_by=(),
        week_ending=week,
        weeks=(),
        months=(),
        flags=(FlagRecord(flag, week - timedelta(days=7), parts),),
    )


def test_a_flag_shows_the_dimension_breakdown_behind_it() -> None:
    cells = _Cells()
    cells.feed(payload(metric_page_layout(_page_with_breakdown()), "k")["html"])
    assert cells.rows == [
        list(BREAKDOWN_COLUMNS),
        ["region", "EU", "10", "48", "\u221238 (90 %)"],
        ["region", "US", "32", "36", "\u22124"],
    ]


def test_driver_map_links_each_input_to_the_outputs_it_drives(tmp_path: Path) -> None:
    from dashboards.source import StoreDeckSource

    engine, project = build_store(f"sqlite:///{tmp_path / 'store.db'}")
    deck = StoreDeckSource(engine, project).deck(shop.WEEK_ENDING)
    drivers = driver_map(deck)
    assert [(link.input.metric, [o.metric for o in link.outputs]) for link in drivers.links] == [
        (FLAGGED, ["orders"])
    ]
    assert [move.metric for move in drivers.undriven_outputs] == ["revenue", "order_value"]
    clicks = next(chart for chart in deck.charts if chart.metric == FLAGGED)
    assert drivers.links[0].input.wow == clicks.box.wow
    assert drivers.links[0].input.flagged
    assert isinstance(project, Registry)
    engine.dispose()
