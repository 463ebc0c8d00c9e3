"""The deck as one self-contained HTML file: styles, plotly.js and figures inlined.

The file makes no network request: the stylesheet (`deck.css`) and plotly.js
(from the `plotly` package, the version Dash draws with) are written into it, and
each chart's figure (`wbr.deck.figures`, the builder the Dash page uses) is JSON
in the page, drawn by a few lines of script. The exceptions come first, then the
sections of cards in deck order. The same file, printed by Chromium, is the PDF
(`wbr.export.pdf`).
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Final

from wbr.deck.figures import six_twelve_figure
from wbr.deck.format import format_timestamp, format_week_heading
from wbr.deck.model import Deck
from wbr.export.html_cards import card_html, exceptions_html

FIGURES_ELEMENT_ID: Final = "wbr-figures"
DECK_NOTE: Final = (
    "Controllable inputs come first, then the outputs they drive. "
    "Discuss exceptions only; owners explain moves outside the normal range."
)
# Draws every chart, then sets `window.wbrChartsDrawn` (the PDF waits for it). Hover
# stays on for the HTML file; the mode bar's buttons would only clutter paper.
DRAW_SCRIPT: Final = """
(function () {
  var figures = JSON.parse(document.getElementById("FIGURES_ID").textContent);
  var config = {displayModeBar: false, responsive: true};
  var drawn = Array.prototype.map.call(document.querySelectorAll("div.chart"), function (div) {
    var figure = figures[Number(div.dataset.figure)];
    // The stylesheet sets the chart's height (smaller on paper): the figure follows it.
    figure.layout.height = div.clientHeight || figure.layout.height;
    return Plotly.newPlot(div, figure.data, figure.layout, config);
  });
  Promise.all(drawn).then(function () { window.wbrChartsDrawn = drawn.length; });
})();
""".replace("FIGURES_ID", FIGURES_ELEMENT_ID)


@cache
def stylesheet() -> str:
    """The export's stylesheet: the screen look of the deck and its print rules."""
    return files("wbr.export").joinpath("deck.css").read_text(encoding="utf-8")


@cache
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def _script_json(value: object) -> str:
    """JSON safe inside <script>: "</" would end the element early."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _sections(deck: Deck) -> tuple[str, list[object]]:
    """The sections' HTML and the figures their chart placeholders index into."""
    labels = {chart.metric: chart.label for chart in deck.charts}
    figures: list[object] = []
    sections = []
    for index, section in enumerate(deck.sections):
        cards = []
        for chart in section.charts:
            cards.append(card_html(chart, deck, len(figures), labels))
            figures.append(six_twelve_figure(chart, deck.week_ending.year, deck.currency_symbol))
        sections.append(
            f'<section class="deck-section" id="section-{index}">'
            f'<h2 class="section-title">{escape(section.title)}</h2>{"".join(cards)}</section>'
        )
    return "".join(sections), figures


def deck_to_html(deck: Deck) -> str:
    """The whole deck as one HTML document that needs nothing but a browser."""
    sections, figures = _sections(deck)
    week = format_week_heading(deck.week_number, deck.week_ending)
    header = (
        '<header class="deck-header">'
        f"<h1>{escape(deck.title)}</h1>"
        f'<div class="deck-project">{escape(deck.project)}</div>'
        f'<div class="deck-week">{escape(week)}</div>'
        f'<p class="deck-note">{escape(DECK_NOTE)} Values as of '
        f"{escape(format_timestamp(deck.generated_at))}.</p></header>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(deck.title)} \u00b7 {escape(week)}</title>"
        f"<style>{stylesheet()}</style>"
        f"<script>{plotly_js()}</script></head>"
        f'<body><main class="page wbr-deck">{header}{exceptions_html(deck)}{sections}</main>'
        f'<script type="application/json" id="{FIGURES_ELEMENT_ID}">{_script_json(figures)}'
        f"</script><script>{DRAW_SCRIPT}</script></body></html>\n"
    )


def write_deck_html(deck: Deck, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(deck_to_html(deck), encoding="utf-8")
