"""The deck page in headless Chromium: charts drawn once, as they come into view; the
address opens the same view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from browser_support import (
    CARDS_SHOWN_JS,
    RENDER_TIMEOUT_MS,
    RENDERS_JS,
    browser_marks,
    chromium_page,
    served,
)
from deck_fixtures import SyntheticSource, synthetic_deck

from dashboards import ids
from dashboards.layout import exceptions_only
from dashboards.router import FIRST_CARDS
from wbr.deck.format import format_date

pytestmark = browser_marks
WEEKS = (date(2021, 9, 18), date(2021, 9, 25))
CHARTS = 30  # three sections of ten: more than the first part's twelve
SCROLL_STEP_PX = 400
# A4 landscape less pages.css's 10 mm margins: 190 mm high, at 96 px to the inch.
A4_LANDSCAPE_PRINTABLE_PX = 190 / 25.4 * 96


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page() as page:
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        yield page


# Resolves once the browser has laid out a frame after a scroll and run the tasks it
# queued, the IntersectionObserver's callback among them. A fixed pause is not enough on
# a loaded machine: a chart scrolled past between two late frames is never "near".
AFTER_NEXT_FRAME_JS = """() => new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0))))"""


def _scroll_through(page: Any) -> None:
    """Scroll to the bottom a step at a time, as a reader does, then back to the top."""
    at_bottom = "() => window.scrollY + window.innerHeight >= document.body.scrollHeight - 1"
    while not page.evaluate(at_bottom):
        page.evaluate("(step) => window.scrollBy(0, step)", SCROLL_STEP_PX)
        page.evaluate(AFTER_NEXT_FRAME_JS)
    height = page.evaluate("() => window.scrollY")
    page.wait_for_function(
        "(n) => Object.keys(window.wbrDeck.renders).length === n",
        arg=CHARTS,
        timeout=RENDER_TIMEOUT_MS,
    )
    for y in range(height, -SCROLL_STEP_PX, -SCROLL_STEP_PX * 4):
        page.evaluate("(y) => window.scrollTo(0, y)", y)
        page.evaluate(AFTER_NEXT_FRAME_JS)


def test_charts_are_drawn_as_they_scroll_into_view_and_never_twice(page: Any) -> None:
    deck = synthetic_deck(CHARTS, WEEKS[-1])
    with served(SyntheticSource(CHARTS, WEEKS)) as url:
        page.goto(url)
        page.wait_for_function(CARDS_SHOWN_JS, arg=CHARTS)  # the first twelve, then the rest
        page.wait_for_function("() => Object.keys(window.wbrDeck.renders).length > 0")
        drawn_first = page.evaluate(RENDERS_JS)
        # Only the charts near the top were drawn: the rest wait for the reader.
        assert 0 < len(drawn_first) < FIRST_CARDS
        assert set(drawn_first) <= {ids.chart_id(c.metric) for c in deck.charts[:FIRST_CARDS]}
        _scroll_through(page)
        renders = page.evaluate(RENDERS_JS)
        assert renders == {ids.chart_id(chart.metric): 1 for chart in deck.charts}

        # Another week: a new deck, each of its charts drawn once too.
        page.locator(f"#{ids.WEEK_SELECTOR}").click()
        page.get_by_role("option", name=f"w/e {format_date(WEEKS[0])}").click()
        page.wait_for_function(
            "([id, text]) => document.getElementById(id).textContent.startsWith(text)",
            arg=[ids.DECK_WEEK, f"Week {synthetic_deck(1, WEEKS[0]).week_number} "],
        )
        page.wait_for_function(CARDS_SHOWN_JS, arg=CHARTS)
        assert "week=2021-09-18" in page.url
        _scroll_through(page)
        assert page.evaluate(RENDERS_JS) == {ids.chart_id(c.metric): 1 for c in deck.charts}


def _shown(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => ({
          week: document.getElementById('deck-week').textContent,
          sections: Array.from(document.querySelectorAll('.deck-section .section-title'))
            .map(h => h.textContent),
          cards: Array.from(document.querySelectorAll('.metric-card'))
            .map(c => c.dataset.metric),
        })"""
    )


def test_the_address_opens_the_same_week_view_and_section(page: Any) -> None:
    before = synthetic_deck(CHARTS, WEEKS[0])
    second = before.sections[1]
    flagged = exceptions_only(before)
    expected = [c.metric for s in flagged.sections if s.title == second.title for c in s.charts]
    assert expected and len(expected) < len(second.charts)
    with served(SyntheticSource(CHARTS, WEEKS)) as url:
        page.goto(f"{url}?week=2021-09-18&view=exceptions&section=section-2")
        page.wait_for_function(CARDS_SHOWN_JS, arg=len(expected))
        shown = _shown(page)
        assert shown["week"].startswith(f"Week {before.week_number} ")
        assert shown["sections"] == [second.title]
        assert shown["cards"] == expected
        # The pickers show the address's view.
        assert page.locator(f"#{ids.VIEW_SELECTOR} input:checked").get_attribute("value") == (
            "exceptions"
        )
        assert second.title in page.locator(f"#{ids.SECTION_SELECTOR}").text_content()

        # Picking "All metrics" rewrites the address; opening it again shows that view.
        page.locator(f"#{ids.VIEW_SELECTOR} input[value=all]").check()
        page.wait_for_function(CARDS_SHOWN_JS, arg=len(second.charts))
        page.wait_for_url("**/?week=2021-09-18&section=section-2")
        page.goto("about:blank")
        page.goto(f"{url}?week=2021-09-18&section=section-2")
        page.wait_for_function(CARDS_SHOWN_JS, arg=len(second.charts))
        assert _shown(page)["cards"] == [c.metric for c in second.charts]

        # An unknown section or view falls back to the whole deck, never an empty page.
        page.goto(f"{url}?view=nonsense&section=no-such-section")
        page.wait_for_function(CARDS_SHOWN_JS, arg=CHARTS)


def test_print_draws_every_chart_once_and_keeps_each_card_in_one_block(page: Any) -> None:
    deck = synthetic_deck(CHARTS, WEEKS[-1])
    with served(SyntheticSource(CHARTS, WEEKS)) as url:
        page.goto(url)
        page.wait_for_function(CARDS_SHOWN_JS, arg=CHARTS)
        page.wait_for_function("() => Object.keys(window.wbrDeck.renders).length > 0")
        page.emulate_media(media="print")
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        page.wait_for_function(
            "(n) => Object.keys(window.wbrDeck.renders).length === n", arg=CHARTS
        )
        assert page.evaluate(RENDERS_JS) == {ids.chart_id(c.metric): 1 for c in deck.charts}
        styles = page.evaluate(
            """() => ({
              bar: getComputedStyle(document.querySelector('.top-bar')).display,
              cards: Array.from(document.querySelectorAll('.metric-card'))
                .map(c => getComputedStyle(c).breakInside),
              charts: Array.from(document.querySelectorAll('.chart'))
                .map(c => getComputedStyle(c).breakInside),
            })"""
        )
        assert styles["bar"] == "none"
        assert styles["cards"] == ["avoid"] * CHARTS
        assert styles["charts"] == ["avoid"] * CHARTS
        # Printed, the deck is a PDF whose every card fits a page, so none is split.
        page_height = page.evaluate(
            "() => Math.max(...Array.from(document.querySelectorAll('.metric-card'))"
            ".map(c => c.getBoundingClientRect().height))"
        )
        assert page_height < A4_LANDSCAPE_PRINTABLE_PX
        assert page.pdf(format="A4", landscape=True).startswith(b"%PDF")
