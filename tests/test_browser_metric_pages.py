"""A metric's page and the inputs → outputs view, in headless Chromium on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import small_project as shop
from browser_support import RENDER_TIMEOUT_MS, RENDERS_JS, browser_marks, chromium_page
from sqlalchemy import Engine
from web_support import FLAGGED, build_store, served_site

from dashboards import ids
from dashboards.cells import raw_attribute
from dashboards.source import StoreDeckSource
from wbr.deck.format import format_change
from wbr.deck.history_figures import CY_HISTORY, FLAG_HISTORY, PY_HISTORY
from wbr.deck.metric_page import build_metric_page
from wbr.registry.models import Registry

pytestmark = browser_marks

HISTORY_TRACES_JS = """(id) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  return gd ? gd.data.map(t => ({uid: t.uid, x: Array.from(t.x), y: Array.from(t.y)})) : null;
}"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Engine, Registry, str]]:
    engine, project = build_store(f"sqlite:///{tmp_path / 'store.db'}", anonymous_read=True)
    with served_site(engine, project) as base:
        yield engine, project, base
    engine.dispose()


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page() as page:
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        yield page


def test_a_card_opens_its_metric_page_with_history_definition_and_flags(
    site: tuple[Engine, Registry, str], page: Any
) -> None:
    engine, project, base = site
    week = shop.WEEK_ENDING.isoformat()
    expected = build_metric_page(engine, project, FLAGGED, shop.WEEK_ENDING)
    assert expected is not None and expected.flags
    page.goto(f"{base}/?week={week}")
    page.locator(f"#{ids.card_id(FLAGGED)} .metric-label a").click()
    page.wait_for_selector(f"#{ids.METRIC_PAGE}")
    assert page.url.endswith(f"/metric?metric={FLAGGED}&week={week}")
    metric_page = page.locator(f"#{ids.METRIC_PAGE}")
    assert metric_page.locator(".metric-label").text_content() == expected.label
    assert metric_page.locator(".metric-owner").text_content() == "Owner: Ana"
    assert "Orders" in metric_page.locator(".metric-links").text_content()  # clicks drives orders
    definition = page.evaluate(
        """(id) => Array.from(document.querySelectorAll('#' + id + ' tr')).map(
             tr => [tr.querySelector('th').textContent, tr.querySelector('td').textContent])""",
        ids.METRIC_DEFINITION,
    )
    assert definition == [list(row) for row in expected.definition]
    assert ["source", "traffic"] in definition

    # Every flag with its sentence, newest first.
    flags = page.evaluate(
        """() => Array.from(document.querySelectorAll('.history-flag')).map(li => ({
             week: li.dataset.week, status: li.dataset.status,
             text: li.querySelector('.flag-text').textContent}))"""
    )
    assert flags == [
        {
            "week": record.flag.week_ending.isoformat(),
            "status": record.flag.status,
            "text": record.flag.explanation,
        }
        for record in expected.flags
    ]

    # The weekly history: every stored week, this year and last, each flag ringed.
    chart = ids.history_chart_id(FLAGGED, "weeks")
    page.locator(f"#{chart}").scroll_into_view_if_needed()
    page.wait_for_function(f"(id) => ({HISTORY_TRACES_JS})(id) !== null", arg=chart)
    traces = {t["uid"]: t for t in page.evaluate(HISTORY_TRACES_JS, chart)}
    assert traces[CY_HISTORY]["y"] == [point.cy for point in expected.weeks]
    assert traces[PY_HISTORY]["y"] == [point.py for point in expected.weeks]
    assert traces[CY_HISTORY]["x"] == [point.end.isoformat() for point in expected.weeks]
    assert traces[FLAG_HISTORY]["x"] == [r.flag.week_ending.isoformat() for r in expected.flags]
    assert len(expected.weeks) > 52 and expected.weeks[-1].end == shop.WEEK_ENDING
    assert any(point.py is not None for point in expected.weeks)  # last year is there
    months = ids.history_chart_id(FLAGGED, "months")
    page.locator(f"#{months}").scroll_into_view_if_needed()
    page.wait_for_function(f"(id) => ({HISTORY_TRACES_JS})(id) !== null", arg=months)
    monthly = {t["uid"]: t for t in page.evaluate(HISTORY_TRACES_JS, months)}
    assert monthly[CY_HISTORY]["y"] == [point.cy for point in expected.months]
    assert page.evaluate(RENDERS_JS) == {chart: 1, months: 1}


def test_the_inputs_to_outputs_view_shows_each_link_with_this_week_s_moves(
    site: tuple[Engine, Registry, str], page: Any
) -> None:
    engine, project, base = site
    deck = StoreDeckSource(engine, project).deck(shop.WEEK_ENDING)
    charts = {chart.metric: chart for chart in deck.charts}
    page.goto(f"{base}/drivers?week={shop.WEEK_ENDING.isoformat()}")
    page.wait_for_selector(f"#{ids.DRIVERS}")
    rows = page.evaluate(
        """() => Array.from(document.querySelectorAll('.driver-row')).map(row => ({
             id: row.id,
             input: row.querySelector('.driver-input .movement').dataset.metric,
             outputs: Array.from(row.querySelectorAll('.driver-outputs .movement'))
               .map(m => m.dataset.metric),
             moves: Array.from(row.querySelectorAll('.movement')).map(m => ({
               metric: m.dataset.metric,
               wow: m.querySelector('[data-field=wow]').dataset.raw,
               text: m.querySelector('[data-field=wow]').textContent,
               exception: Boolean(m.querySelector('.move-exception'))}))}))"""
    )
    assert [(row["input"], row["outputs"]) for row in rows] == [(FLAGGED, ["orders"])]
    assert rows[0]["id"] == ids.driver_row_id(FLAGGED)
    for move in rows[0]["moves"]:
        chart = charts[move["metric"]]
        assert move["wow"] == raw_attribute(chart.box.wow.value)
        assert move["text"] == f"WoW {format_change(chart.box.wow)}"
        assert move["exception"] == bool(deck.open_flags(chart))
    assert rows[0]["moves"][0]["exception"]  # clicks halved: this week's exception
    # The outputs no input drives close the view; each label opens the metric's page.
    undriven = page.evaluate(
        "() => Array.from(document.querySelectorAll('.undriven .movement'))"
        ".map(m => m.dataset.metric)"
    )
    assert undriven == ["revenue", "order_value"]
    page.locator(f"#{ids.driver_row_id(FLAGGED)} .driver-outputs a").click()
    page.wait_for_selector(f"#{ids.METRIC_PAGE}[data-metric=orders]")
