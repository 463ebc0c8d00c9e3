"""The deck in a real headless Chromium: what the reader sees equals the model.

Set WBR_DECK_SCREENSHOT=/some/file.png to keep a screenshot for a human to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    DECK_SNAPSHOT_JS,
    RENDER_TIMEOUT_MS,
    TRACES_JS,
    assert_page_shows,
    browser_marks,
    chromium_page,
    open_tables,
    served,
    wait_for_deck,
)
from deck_fixtures import SampleSource, sample_deck

from dashboards import ids
from wbr.deck.figures import FLAG_COLORS, FLAGS
from wbr.deck.flag_marks import FLAG_BAD, FLAG_EXPLAINED
from wbr.deck.format import format_date

SCREENSHOT_ENV = "WBR_DECK_SCREENSHOT"
WEEKS = (date(2021, 9, 18), date(2021, 9, 25))

pytestmark = browser_marks


@pytest.fixture
def deck_url() -> Iterator[str]:
    with served(SampleSource(WEEKS)) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page() as page:
        yield page


def test_deck_in_browser_matches_the_model(page: Any, deck_url: str, tmp_path: Path) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    latest = sample_deck(WEEKS[-1])
    page.goto(deck_url)
    wait_for_deck(page, latest)
    assert page.title() == latest.title
    assert_page_shows(page, latest)

    # Colours follow each metric's direction: latency (lower is better) rose, so it is red.
    snapshot = page.evaluate(DECK_SNAPSHOT_JS)
    latency = snapshot[0]["cards"][0]
    assert latency["metric"] == "page_latency_p90"
    wow = next(cell for cell in latency["cells"] if cell["field"] == "wow")
    assert wow["text"].startswith("+") and wow["color"] == "rgb(197, 34, 31)"
    revenue = snapshot[1]["cards"][0]
    assert revenue["cells"][0]["text"] == "N/A"  # the week is incomplete: never 0
    # Revenue has a plan: ahead of it month to date (green), behind quarter to date (red).
    plan = {cell["field"]: cell for cell in revenue["plan"]["cells"]}
    assert plan["mtd"]["color"] == "rgb(19, 115, 51)"
    assert plan["qtd"]["color"] == "rgb(197, 34, 31)"
    assert [card["plan"] for card in snapshot[0]["cards"]] == [None, None]

    # Latency's latest week is this week's one exception: a red rule and ring; the
    # in-stock drop a known event explains is grey.
    in_stock = snapshot[0]["cards"][1]
    assert [flag["rule"] for flag in latency["flags"]] == ["rgb(197, 34, 31)"]
    assert [flag["status"] for flag in in_stock["flags"]] == ["explained"]
    assert in_stock["flags"][0]["rule"] != latency["flags"][0]["rule"]
    for metric, tone in (("page_latency_p90", FLAG_BAD), ("in_stock_rate", FLAG_EXPLAINED)):
        traces = {t["uid"]: t for t in page.evaluate(TRACES_JS, ids.chart_id(metric))}
        assert traces[FLAGS]["colors"] == [FLAG_COLORS[tone]]
    assert snapshot[1]["cards"][0]["flags"] == []  # revenue: nothing flagged
    # The header's link goes straight to the card.
    page.locator(f"#{ids.DECK_EXCEPTIONS} a").click()
    assert page.evaluate("() => location.hash") == f"#{ids.card_id('page_latency_p90')}"

    # The tables are collapsed until the reader opens them; opened, they show the model.
    open_tables(page, latest, "revenue")
    opened = {
        card["metric"]: [d["open"] for d in card["details"]]
        for section in page.evaluate(DECK_SNAPSHOT_JS)
        for card in section["cards"]
    }
    assert opened == {"page_latency_p90": [False], "in_stock_rate": [False], "revenue": [True]}

    page.screenshot(path=str(tmp_path / "deck.png"), full_page=True)
    if os.environ.get(SCREENSHOT_ENV):
        page.screenshot(path=os.environ[SCREENSHOT_ENV], full_page=True)

    # Switch to the week before: every number on the page follows.
    before = sample_deck(WEEKS[0])
    page.locator(f"#{ids.WEEK_SELECTOR}").click()
    page.get_by_role("option", name=f"w/e {format_date(WEEKS[0])}").click()
    page.wait_for_function(
        "([id, text]) => document.getElementById(id).textContent.startsWith(text)",
        arg=[ids.DECK_WEEK, f"Week {before.week_number} "],
        timeout=RENDER_TIMEOUT_MS,
    )
    wait_for_deck(page, before)
    assert_page_shows(page, before)
    assert before.charts[0].box.last_week != latest.charts[0].box.last_week
    assert problems == []
