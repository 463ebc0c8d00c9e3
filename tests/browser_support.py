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
from dashboards.cells import raw_attribute
from dashboards.layout import BOX_COLUMNS, PLAN_COLUMNS, PLAN_LABEL
from dashboards.tables import DIFFERENCE_ROWS, TABLES_SUMMARY
from wbr.deck.figures import (
    CY_MONTHS,
    CY_WEEKS,
    FLAG_BANDS,
    FLAGS,
    PLAN_MONTHS,
    PLAN_WEEKS,
    PY_MONTHS,
    PY_WEEKS,
)
from wbr.deck.format import (
    OPEN,
    format_cell,
    format_change,
    format_date,
    format_drivers,
    format_exception_count,
    format_flag_badge,
    format_value_full,
)
from wbr.deck.model import AnomalyNote, Change, Chart, Deck, SeriesPoint

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

# One pass over the DOM: sections, cards, flag strips, box cells, plan rows and tables.
# Table cells are read with textContent, so they are there even while collapsed.
DECK_SNAPSHOT_JS = """() => {
  const cell = td => ({field: td.dataset.field, raw: td.dataset.raw, text: td.textContent,
                       color: getComputedStyle(td).color, title: td.title});
  const plan = tr => tr && ({label: tr.querySelector('th').textContent,
                             cells: Array.from(tr.querySelectorAll('td')).map(cell)});
  const table = t => ({
    id: t.id,
    caption: t.querySelector('caption').textContent,
    headers: Array.from(t.querySelectorAll('thead th')).map(th => th.textContent),
    rows: Array.from(t.querySelectorAll('tbody tr')).map(tr => ({
      label: tr.querySelector('th').textContent,
      cells: Array.from(tr.querySelectorAll('td')).map(td => ({
        row: td.dataset.row, column: td.dataset.column, raw: td.dataset.raw,
        text: td.textContent})),
    })),
  });
  const text = (root, selector) => {
    const found = root.querySelector(selector);
    return found ? found.textContent : null;
  };
  const flag = li => ({id: li.id, week: li.dataset.week, status: li.dataset.status,
                       severity: li.dataset.severity, badge: text(li, '.flag-badge'),
                       label: text(li, '.flag-week'), text: text(li, '.flag-text'),
                       drivers: text(li, '.flag-drivers'),
                       rule: getComputedStyle(li).borderLeftColor});
  return Array.from(document.querySelectorAll('.deck-section')).map(s => ({
    id: s.id,
    title: s.querySelector('.section-title').textContent,
    cards: Array.from(s.querySelectorAll('.metric-card')).map(c => ({
      metric: c.dataset.metric,
      label: c.querySelector('.metric-label').textContent,
      badge: c.querySelector('.badge').textContent,
      owner: c.querySelector('.metric-owner').textContent,
      strip: (c.querySelector('.flag-strip') || {}).id || null,
      flags: Array.from(c.querySelectorAll('.flag-strip > li')).map(flag),
      headers: Array.from(c.querySelectorAll('.box thead th')).map(th => th.textContent),
      cells: Array.from(c.querySelectorAll('.box tr.box-values td')).map(cell),
      plan: plan(c.querySelector('.box tr.box-plan')) || null,
      details: Array.from(c.querySelectorAll('details.metric-tables')).map(d => ({
        id: d.id, open: d.open, summary: d.querySelector('summary').textContent,
        tables: Array.from(d.querySelectorAll('table')).map(table),
      })),
    })),
  }));
}"""

# The tables of one card as the reader sees them: innerText is "" for hidden cells.
VISIBLE_TABLES_JS = """(id) => Array.from(document.querySelectorAll('#' + id + ' table')).map(t =>
  Array.from(t.querySelectorAll('tbody td')).map(td => ({
    row: td.dataset.row, column: td.dataset.column, raw: td.dataset.raw, text: td.innerText,
  })))"""

TRACES_JS = """(id) => {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  return gd.data.map(t => ({uid: t.uid, x: Array.from(t.x), y: Array.from(t.y),
                            base: t.base ? Array.from(t.base) : null,
                            colors: t.marker && Array.isArray(t.marker.color)
                              ? t.marker.color : null}));
}"""

# The header's summary of this week's exceptions: its text and its links to the cards.
EXCEPTIONS_JS = """(id) => {
  const summary = document.getElementById(id);
  return {text: summary.textContent, links: Array.from(summary.querySelectorAll('a')).map(
    a => ({text: a.textContent, href: a.getAttribute('href')}))};
}"""

PLOTS_READY_JS = """(count) => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return plots.length === count && plots.every(gd => gd.data && gd._fullLayout
    && gd.querySelector('.main-svg'));
}"""

CARDS_SHOWN_JS = """(count) => document.querySelectorAll('.metric-card').length === count"""

# How often deck.js drew each chart of the deck on the page: {chart id: draws}.
RENDERS_JS = "() => Object.assign({}, window.wbrDeck.renders)"

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


def expected_plan(deck: Deck, chart: Chart) -> dict[str, Any] | None:
    """The "vs Plan" row of a box: the variances in percent, or None without a plan."""
    if chart.plan is None:
        return None
    cells = []
    for field, _ in PLAN_COLUMNS:
        change = Change(getattr(chart.plan, field).variance_pct, "percent")
        cells.append(
            {"field": field, "raw": raw_attribute(change.value), "text": format_change(change)}
        )
    return {"label": PLAN_LABEL, "cells": cells}


def expected_tables(deck: Deck, chart: Chart) -> list[dict[str, Any]]:
    """Each metric table of a chart: caption, header row and every cell's raw and text."""
    tables = []
    for index, table in enumerate(chart.tables):
        rows = []
        for row in table.rows:
            difference = row.label in DIFFERENCE_ROWS
            cells = [
                {
                    "row": row.label,
                    "column": column,
                    "raw": raw_attribute(value),
                    "text": format_cell(
                        value,
                        row.kind,
                        chart.unit,
                        chart.decimals,
                        deck.currency_symbol,
                        difference=difference,
                    ),
                }
                for column, value in zip(table.columns, row.cells, strict=True)
            ]
            rows.append({"label": row.label, "cells": cells})
        tables.append(
            {
                "id": ids.metric_table_id(chart.metric, index),
                "caption": table.title,
                "headers": ["", *table.columns],
                "rows": rows,
            }
        )
    return tables


def _flagged_week(chart: Chart, note: AnomalyNote) -> SeriesPoint | None:
    return next((point for point in chart.weeks if point.end == note.week_ending), None)


def expected_flags(chart: Chart) -> list[dict[str, Any]]:
    """The lines of a chart's flag strip, newest first: attributes and what the reader sees."""
    lines = []
    for note in sorted(chart.anomalies, key=lambda n: n.week_ending, reverse=True):
        point = _flagged_week(chart, note)
        lines.append(
            {
                "id": ids.flag_id(chart.metric, note.week_ending, note.detector),
                "week": note.week_ending.isoformat(),
                "status": note.status,
                "severity": note.severity,
                "badge": format_flag_badge(note),
                "label": point.label if point else f"w/e {format_date(note.week_ending)}",
                "text": note.explanation,
                "drivers": format_drivers(note.drivers) if note.drivers else None,
            }
        )
    return lines


def expected_exceptions(deck: Deck) -> dict[str, Any]:
    """The header's summary: the charts with an open flag in the deck's week, in deck order."""
    flagged = [
        chart
        for chart in deck.charts
        if any(n.status == OPEN and n.week_ending == deck.week_ending for n in chart.anomalies)
    ]
    heading = format_exception_count(len(flagged))
    if flagged:
        open_notes = [
            [
                n.annotation
                for n in c.anomalies
                if n.status == OPEN and n.week_ending == deck.week_ending
            ]
            for c in flagged
        ]
        explained = sum(all(a is not None and a.answered for a in notes) for notes in open_notes)
        waiting = sum(all(a is None for a in notes) for notes in open_notes)
        investigating = len(flagged) - explained - waiting
        parts = [heading, f"{explained} explained"]
        parts += [f"{investigating} investigating"] if investigating else []
        heading = " \u00b7 ".join([*parts, f"{waiting} waiting"])
    labels = ", ".join(chart.label for chart in flagged)
    return {
        "text": f"{heading}: {labels}" if flagged else heading,
        "links": [
            {"text": chart.label, "href": f"#{ids.card_id(chart.metric)}"} for chart in flagged
        ],
    }


def _number(raw: str) -> float | None:
    return None if raw == "null" else float(raw)


def wait_for_deck(page: Any, deck: Deck) -> None:
    """Wait until every card is on the page and every chart drawn, scrolling to each.

    Charts are drawn as they come into view (dashboards/assets/deck.js), so each
    is scrolled to before it is waited for.
    """
    page.wait_for_function(CARDS_SHOWN_JS, arg=len(deck.charts), timeout=RENDER_TIMEOUT_MS)
    for chart in deck.charts:
        page.locator(f"#{ids.chart_id(chart.metric)}").scroll_into_view_if_needed()
        page.wait_for_function(
            CHART_SHOWS_JS,
            arg=[ids.chart_id(chart.metric), chart.weeks[0].cy],
            timeout=RENDER_TIMEOUT_MS,
        )


def assert_page_shows(page: Any, deck: Deck) -> None:
    """Every section, card, flag, box number and plotted value on the page equals the model."""
    assert page.locator(f"#{ids.DECK_WEEK}").text_content() == (
        f"Week {deck.week_number} \u00b7 week ending {format_date(deck.week_ending)}"
    )
    assert page.evaluate(EXCEPTIONS_JS, ids.DECK_EXCEPTIONS) == expected_exceptions(deck)
    sections = page.evaluate(DECK_SNAPSHOT_JS)
    assert [s["title"] for s in sections] == [s.title for s in deck.sections]
    assert [s["id"] for s in sections] == [ids.section_id(i) for i in range(len(deck.sections))]
    for shown, section in zip(sections, deck.sections, strict=True):
        assert [c["metric"] for c in shown["cards"]] == [c.metric for c in section.charts]
        for card, chart in zip(shown["cards"], section.charts, strict=True):
            assert card["label"] == chart.label
            assert card["badge"] == chart.kind.upper()
            assert card["owner"] == f"Owner: {chart.owner}"
            assert card["strip"] == (ids.flags_id(chart.metric) if chart.anomalies else None)
            flags = [{k: v for k, v in flag.items() if k != "rule"} for flag in card["flags"]]
            assert flags == expected_flags(chart)
            assert card["headers"] == [title for _, title in BOX_COLUMNS]
            cells = [{k: cell[k] for k in ("field", "raw", "text")} for cell in card["cells"]]
            assert cells == expected_box(deck, chart.metric)
            for cell in card["cells"]:  # the raw attribute is the model's float, exactly
                item = getattr(chart.box, cell["field"])
                number = item.value if isinstance(item, Change) else item
                assert _number(cell["raw"]) == number
            _assert_plan_row(card["plan"], deck, chart)
            _assert_tables(card["details"], deck, chart)
    for chart in deck.charts:
        traces = {t["uid"]: t for t in page.evaluate(TRACES_JS, ids.chart_id(chart.metric))}
        assert traces[CY_WEEKS]["y"] == [p.cy for p in chart.weeks]
        assert traces[PY_WEEKS]["y"] == [p.py for p in chart.weeks]
        assert traces[CY_MONTHS]["y"] == [p.cy for p in chart.months]
        assert traces[PY_MONTHS]["y"] == [p.py for p in chart.months]
        assert traces[CY_WEEKS]["x"] + traces[CY_MONTHS]["x"] == list(chart.x_labels)
        for uid, points in ((PLAN_WEEKS, chart.weeks), (PLAN_MONTHS, chart.months)):
            planned = [p for p in points if p.target is not None]
            if not planned:
                assert uid not in traces
                continue
            assert traces[uid]["x"] == [p.label for p in planned]
            assert traces[uid]["y"] == [p.target for p in planned]
        _assert_flag_traces(traces, chart)


def _assert_flag_traces(traces: dict[str, Any], chart: Chart) -> None:
    """A ring on each flagged week's point, over a band from the flag's lower to upper bound."""
    shown = [(n, p) for n in chart.anomalies if (p := _flagged_week(chart, n)) is not None]
    if not shown:
        assert FLAGS not in traces and FLAG_BANDS not in traces
        return
    labels = [point.label for _, point in shown]
    assert traces[FLAGS]["x"] == labels
    assert traces[FLAGS]["y"] == [n.actual if p.cy is None else p.cy for n, p in shown]
    assert traces[FLAG_BANDS]["x"] == labels
    assert traces[FLAG_BANDS]["base"] == [note.lower for note, _ in shown]
    assert traces[FLAG_BANDS]["y"] == [note.upper - note.lower for note, _ in shown]


def _assert_plan_row(shown: dict[str, Any] | None, deck: Deck, chart: Chart) -> None:
    expected = expected_plan(deck, chart)
    if expected is None or shown is None:
        assert shown == expected, f"{chart.metric}: plan row"
        return
    cells = [{k: cell[k] for k in ("field", "raw", "text")} for cell in shown["cells"]]
    assert {"label": shown["label"], "cells": cells} == expected
    assert chart.plan is not None
    for cell in shown["cells"]:
        variance = getattr(chart.plan, cell["field"])
        assert _number(cell["raw"]) == variance.variance_pct
        if variance.target is not None:  # the target is in the hover title
            target = format_value_full(
                variance.target, chart.unit, chart.decimals, deck.currency_symbol
            )
            assert cell["title"].startswith(f"Plan {target}")


def _assert_tables(details: list[dict[str, Any]], deck: Deck, chart: Chart) -> None:
    if not chart.tables:
        assert details == []
        return
    assert len(details) == 1
    (section,) = details
    assert section["id"] == ids.tables_id(chart.metric)
    assert section["summary"] == TABLES_SUMMARY
    assert section["tables"] == expected_tables(deck, chart)
    for table, model in zip(section["tables"], chart.tables, strict=True):
        for row, model_row in zip(table["rows"], model.rows, strict=True):
            assert [_number(cell["raw"]) for cell in row["cells"]] == list(model_row.cells)


def open_tables(page: Any, deck: Deck, metric: str) -> None:
    """Open one card's tables and check what the reader now sees equals the model."""
    chart = next(c for c in deck.charts if c.metric == metric)
    details = page.locator(f"#{ids.tables_id(metric)}")
    assert details.evaluate("d => d.open") is False  # collapsed by default
    assert not page.locator(f"#{ids.metric_table_id(metric, 0)}").is_visible()
    details.locator("summary").click()
    page.locator(f"#{ids.metric_table_id(metric, 0)}").wait_for(
        state="visible", timeout=RENDER_TIMEOUT_MS
    )
    assert details.evaluate("d => d.open") is True
    shown = page.evaluate(VISIBLE_TABLES_JS, ids.tables_id(metric))
    expected = [
        [cell for row in table["rows"] for cell in row["cells"]]
        for table in expected_tables(deck, chart)
    ]
    assert shown == expected
    for table, model in zip(shown, chart.tables, strict=True):
        cells = [value for row in model.rows for value in row.cells]
        assert [_number(cell["raw"]) for cell in table] == cells
