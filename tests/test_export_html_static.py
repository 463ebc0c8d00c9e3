"""The HTML export and the Dash page are two renderings of one deck: they read the same.

No browser: the export's HTML is parsed with the standard library, the Dash card
is the element tree `dashboards.layout` builds, and the texts a reader sees in
the box, the tables and the flag strips are compared cell by cell.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from deck_fixtures import sample_deck

from dashboards.flags import flag_strip
from dashboards.layout import box_table
from dashboards.tables import metric_tables
from wbr.export import PdfExportError, deck_to_html, export_pdf
from wbr.export.html_cards import box_html, card_html, flag_html, table_html
from wbr.export.pdf import CHROMIUM_ENV


class _Texts(HTMLParser):
    """The text of every element with class `wanted`, in document order."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted = wanted
        self.depth = 0  # > 0 inside a wanted element
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.depth:
            self.depth += 1
        elif self.wanted in classes:
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


def _texts(html: str, wanted: str) -> list[str]:
    parser = _Texts(wanted)
    parser.feed(html)
    return parser.texts


def _element_texts(node: Any, tag: str) -> list[str]:
    """The text of every `tag` element in a Dash element tree, in order."""
    found: list[str] = []

    def text(item: Any) -> str:
        if item is None:
            return ""
        if isinstance(item, str):
            return item
        if isinstance(item, list):
            return "".join(map(text, item))
        return text(item["props"].get("children"))

    def walk(item: Any) -> None:
        if isinstance(item, list):
            for child in item:
                walk(child)
        elif isinstance(item, dict):
            if item.get("type") == tag:
                found.append(text(item))
            walk(item["props"].get("children"))

    walk(node)
    return found


def test_the_box_and_tables_read_as_on_the_dash_page() -> None:
    deck = sample_deck()
    for chart in deck.charts:
        dash_box = box_table(chart, deck.currency_symbol)
        export_box = box_html(chart, deck.currency_symbol)
        assert len(_all_cells(export_box)) >= 9
        assert _all_cells(export_box) == _element_texts(dash_box, "Td"), chart.metric
        dash_tables = metric_tables(chart, deck.currency_symbol)
        export_tables = "".join(table_html(t, chart, deck.currency_symbol) for t in chart.tables)
        assert _all_cells(export_tables) == _element_texts(dash_tables, "Td"), chart.metric


def test_the_flags_read_as_on_the_dash_page() -> None:
    deck = sample_deck()
    flagged = [chart for chart in deck.charts if chart.anomalies]
    assert flagged
    for chart in flagged:
        dash = flag_strip(chart)
        assert dash is not None
        labels = {c.metric: c.label for c in deck.charts}
        card = card_html(chart, deck, 0, labels)
        for wanted in ("flag-badge", "flag-week", "flag-text", "flag-drivers"):
            dash_texts = [
                text
                for li in dash["props"]["children"]
                for span in li["props"]["children"]
                if isinstance(span, dict) and span["props"].get("className") == wanted
                for text in [span["props"]["children"]]
            ]
            assert dash_texts or wanted == "flag-drivers", wanted
            assert _texts(card, wanted) == dash_texts, (chart.metric, wanted)
        assert all(flag_html(chart, note) in card for note in chart.anomalies)


def test_the_page_is_one_document_with_every_card() -> None:
    deck = sample_deck()
    page = deck_to_html(deck)
    assert page.count("<article ") == len(deck.charts)
    assert page.count('<div class="chart" data-figure=') == len(deck.charts)
    assert "<script src=" not in page and "<link " not in page  # nothing fetched


def _all_cells(html: str) -> list[str]:
    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.cells: list[str] = []
            self.inside = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "td":
                self.inside = True
                self.cells.append("")

        def handle_endtag(self, tag: str) -> None:
            if tag == "td":
                self.inside = False

        def handle_data(self, data: str) -> None:
            if self.inside:
                self.cells[-1] += data

    parser = Cells()
    parser.feed(html)
    return parser.cells


def test_a_missing_chromium_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-chromium"))
    with pytest.raises(PdfExportError, match=f"no-such-chromium.*{CHROMIUM_ENV}"):
        export_pdf(sample_deck(), tmp_path / "deck.pdf")
    assert not (tmp_path / "deck.pdf").exists()
