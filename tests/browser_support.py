"""Shared pieces of the browser tests: a served app, a Chromium page, DOM checks.

The app runs on werkzeug in a background thread; Playwright drives Debian's
/usr/bin/chromium (Playwright's own browser downloads need the internet).
In CI (WBR_REQUIRE_BROWSER=1) a missing Chromium fails the run instead of
skipping the browser tests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from dashboards import ids
from dashboards.app import DeckSource, create_app
from dashboards.figures import CY_MONTHS, CY_WEEKS, PY_MONTHS, PY_WEEKS
from dashboards.layout import BOX_COLUMNS, raw_attribute
from wbr.deck.format import format_change, format_date, format_value_full
from wbr.deck.model import Change, Deck

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
RENDER_TIMEOUT_MS = 20_000

REQUIRE_BROWSER_ENV = "WBR_REQUIRE_BROWSER"
MISSING_BROWSER = (
    f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium); "
    "Playwright's bundled browsers are not installed"
)
if not CHROMIUM.exists() and os.environ.get(REQUIRE_BROWSER_ENV):
    raise RuntimeError(f"{REQUIRE_BROWSER_ENV} is set but the browser tests {MISSING_BROWSER}")

browser_marks = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING_BROWSER),
]

# One pass over the DOM: sections, cards and box cells as plain data.
DECK_SNAPSHOT_JS = """() => Array.from(document.querySelectorAll('.deck-section')).map(s => ({
  id: s.id,
  title: s.querySelector('.section-title').textContent,
  cards: Array.from(s.querySelectorAll('.metric-card')).map(c => ({
    metric: c.dataset.metric,
    label: c.querySelector('.metric-label').textContent,
    badge: c.querySelector('.badge').textContent,
    owner: c.querySelector('.metric-owner').textContent,
    headers: Array.from(c.querySelectorAll('.box th')).map(th => th.textContent),
    cells: Array.from(c.querySelectorAll('.box td')).map(td => ({
      field: td.dataset.field, raw: td.dataset.raw, text: td.textContent,
      color: getComputedStyle(td).color,
    })),
  })),
}))"""

TRACES_JS = """(id) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  return gd.data.map(t => ({uid: t.uid, x: Array.from(t.x), y: Array.from(t.y)}));
}"""

PLOTS_READY_JS = """(count) => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return plots.length === count && plots.every(gd => gd.data && gd._fullLayout
    && gd.querySelector('.main-svg'));
}"""

# True once the chart shows `y0` as the first current-year weekly value.
CHART_SHOWS_JS = """([id, y0]) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  const trace = gd && gd.data && gd.data.find(t => t.uid === 'cy-weeks');
  return Boolean(trace) && trace.y[0] === y0;
}"""


@contextmanager
def served(source: DeckSource) -> Iterator[str]:
    """The Dash app for `source` on a free 127.0.0.1 port; yields its URL."""
    app = create_app(source)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wbr-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def chromium_page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1200, "height": 900})
        finally:
            browser.close()


def expected_box(deck: Deck, metric: str) -> list[dict[str, str]]:
    chart = next(c for c in deck.charts if c.metric == metric)
    cells = []
    for field, _ in BOX_COLUMNS:
        item = getattr(chart.box, field)
        if isinstance(item, Change):
            raw, text = raw_attribute(item.value), format_change(item)
        else:
            raw = raw_attribute(item)
            text = format_value_full(item, chart.unit, chart.decimals, deck.currency_symbol)
        cells.append({"field": field, "raw": raw, "text": text})
    return cells


def wait_for_deck(page: Any, deck: Deck) -> None:
    page.wait_for_function(PLOTS_READY_JS, arg=len(deck.charts), timeout=RENDER_TIMEOUT_MS)
    for chart in deck.charts:
        page.wait_for_function(
            CHART_SHOWS_JS,
            arg=[ids.chart_id(chart.metric), chart.weeks[0].cy],
            timeout=RENDER_TIMEOUT_MS,
        )


def assert_page_shows(page: Any, deck: Deck) -> None:
    """Every section, card, box number and plotted value on the page equals the model."""
    assert page.locator(f"#{ids.DECK_WEEK}").text_content() == (
        f"Week {deck.week_number} \u00b7 week ending {format_date(deck.week_ending)}"
    )
    sections = page.evaluate(DECK_SNAPSHOT_JS)
    assert [s["title"] for s in sections] == [s.title for s in deck.sections]
    assert [s["id"] for s in sections] == [ids.section_id(i) for i in range(len(deck.sections))]
    for shown, section in zip(sections, deck.sections, strict=True):
        assert [c["metric"] for c in shown["cards"]] == [c.metric for c in section.charts]
        for card, chart in zip(shown["cards"], section.charts, strict=True):
            assert card["label"] == chart.label
            assert card["badge"] == chart.kind.upper()
            assert card["owner"] == f"Owner: {chart.owner}"
            assert card["headers"] == [title for _, title in BOX_COLUMNS]
            cells = [{k: cell[k] for k in ("field", "raw", "text")} for cell in card["cells"]]
            assert cells == expected_box(deck, chart.metric)
            for cell in card["cells"]:  # the raw attribute is the model's float, exactly
                item = getattr(chart.box, cell["field"])
                number = item.value if isinstance(item, Change) else item
                assert (None if cell["raw"] == "null" else float(cell["raw"])) == number
    for chart in deck.charts:
        traces = {t["uid"]: t for t in page.evaluate(TRACES_JS, ids.chart_id(chart.metric))}
        assert traces[CY_WEEKS]["y"] == [p.cy for p in chart.weeks]
        assert traces[PY_WEEKS]["y"] == [p.py for p in chart.weeks]
        assert traces[CY_MONTHS]["y"] == [p.cy for p in chart.months]
        assert traces[PY_MONTHS]["y"] == [p.py for p in chart.months]
        assert traces[CY_WEEKS]["x"] + traces[CY_MONTHS]["x"] == list(chart.x_labels)
