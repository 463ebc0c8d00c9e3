"""`wbr export --format html|pdf` on the demo: offline in real Chromium, and the printed PDF.

The demo store is built once by the real `wbr demo --no-serve` in a subprocess;
the HTML and PDF are written by the real `wbr export`, and the deck they render is
read back from `wbr export --format json` (the same stored values). The HTML is
opened in Chromium with the network off (an offline context, and every request
that is not the file itself aborted and recorded); the PDF is read with
poppler's `pdfinfo` and `pdftotext`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RENDER_TIMEOUT_MS,
    browser_marks,
    expected_box,
    expected_tables,
)
from deck_fixtures import sample_deck

from wbr.deck.figures import six_twelve_figure
from wbr.deck.format import (
    format_exception_count,
    format_flag_badge,
    format_response_counts,
    format_value_full,
    format_week_heading,
)
from wbr.deck.model import Annotation, Deck
from wbr.export import PdfExportError, deck_from_dict, export_pdf, write_deck_html

ROOT = Path(__file__).resolve().parents[1]
PDF_TOOLS = ("pdfinfo", "pdftotext")
MISSING_POPPLER = "needs poppler-utils (pdfinfo, pdftotext): apt-get install poppler-utils"
needs_poppler = pytest.mark.skipif(not all(map(shutil.which, PDF_TOOLS)), reason=MISSING_POPPLER)
pytestmark = browser_marks
# Points per inch: pdfinfo gives page sizes in points.
A4_POINTS = (595.92, 842.88)
LETTER_POINTS = (612.0, 792.0)


@dataclass(frozen=True)
class Exported:
    deck: Deck
    html: Path
    pdf: Path


def _wbr(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env_drop = {"WBR_DATABASE_URL", "WBR_RAW_DATABASE_URL", "WBR_REGISTRY"}
    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    return subprocess.run(
        [sys.executable, "-m", "wbr.cli", *args],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


def _ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    folder = tmp_path_factory.mktemp("export")
    shutil.copy(ROOT / "metrics.yaml", folder / "metrics.yaml")
    _ok(_wbr(folder, "demo", "--no-serve"))
    _ok(_wbr(folder, "export", "--format", "json", "-o", "deck.json"))
    _ok(_wbr(folder, "export", "--format", "html", "-o", "deck.html"))
    _ok(_wbr(folder, "export", "--format", "pdf", "--paper", "A4", "-o", "deck.pdf"))
    deck = deck_from_dict(json.loads((folder / "deck.json").read_text(encoding="utf-8")))
    return Exported(deck, folder / "deck.html", folder / "deck.pdf")


# --- the HTML file, offline -----------------------------------------------------------

SNAPSHOT_JS = """() => {
  const text = el => el ? el.textContent : null;
  const main = document.querySelector('main');
  return {
    first: main.children[1].id,
    exceptions: Array.from(document.querySelectorAll('#exceptions li.exception'))
                     .map(li => li.dataset.metric),
    exceptionsCount: text(document.querySelector('#exceptions .exceptions-count')),
    cards: Array.from(document.querySelectorAll('article.metric-card')).map(card => {
      const chart = card.querySelector('div.chart');
      return {
        metric: card.dataset.metric,
        label: text(card.querySelector('.metric-label')),
        drawn: chart.classList.contains('js-plotly-plot') && !!chart.querySelector('svg.main-svg'),
        uids: (chart._fullData || []).map(trace => trace.uid),
        box: Array.from(card.querySelectorAll('.box-values td'))
                  .map(td => ({field: td.dataset.field, text: td.textContent})),
        tables: Array.from(card.querySelectorAll('table.metric-table')).map(t =>
          Array.from(t.querySelectorAll('tbody tr')).map(tr =>
            Array.from(tr.querySelectorAll('td')).map(td => td.textContent))),
        flags: Array.from(card.querySelectorAll('li.flag')).map(li => ({
          badge: text(li.querySelector('.flag-badge')), text: text(li.querySelector('.flag-text')),
          week: li.dataset.week, note: text(li.querySelector('.note-text')),
          noteStatus: text(li.querySelector('.note-status-badge'))})),
      };
    }),
  };
}"""


def _open_offline(html: Path) -> tuple[dict[str, Any], list[str]]:
    """Open `html` in Chromium with the network off; the page's snapshot and what it asked for."""
    from playwright.sync_api import Route, sync_playwright

    asked: list[str] = []

    def only_the_file(route: Route) -> None:
        if route.request.url == html.as_uri():
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.route("**/*", only_the_file)
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_function(
                "window.wbrChartsDrawn !== undefined", timeout=RENDER_TIMEOUT_MS * 3
            )
            snapshot: dict[str, Any] = page.evaluate(SNAPSHOT_JS)
        finally:
            browser.close()
    return snapshot, asked


def test_the_html_file_draws_every_chart_with_the_network_off(exported: Exported) -> None:
    deck = exported.deck
    snapshot, asked = _open_offline(exported.html)
    assert asked == []  # not one request beyond the file itself
    cards = snapshot["cards"]
    assert [card["metric"] for card in cards] == [chart.metric for chart in deck.charts]
    assert len(deck.charts) > 10
    assert sum(card["drawn"] for card in cards) == len(deck.charts)
    for card, chart in zip(cards, deck.charts, strict=True):
        figure = six_twelve_figure(chart, deck.week_ending.year, deck.currency_symbol)
        assert card["uids"] == [trace["uid"] for trace in figure["data"]], chart.metric
        assert card["label"] == chart.label
        box = [{"field": c["field"], "text": c["text"]} for c in expected_box(deck, chart.metric)]
        assert card["box"] == box, chart.metric
        tables = [
            [[cell["text"] for cell in row["cells"]] for row in table["rows"]]
            for table in expected_tables(deck, chart)
        ]
        assert card["tables"] == tables, chart.metric


def test_the_html_file_starts_with_the_exceptions_and_shows_every_flag(exported: Exported) -> None:
    deck = exported.deck
    snapshot, _ = _open_offline(exported.html)
    assert snapshot["first"] == "exceptions"  # right after the deck's header
    assert snapshot["exceptionsCount"] == format_response_counts(deck.exception_counts)
    flagged = [chart.metric for chart in deck.charts if deck.open_flags(chart)]
    assert flagged, "the demo has exceptions this week"
    assert snapshot["exceptions"] == flagged
    total = 0
    for card, chart in zip(snapshot["cards"], deck.charts, strict=True):
        newest_first = sorted(chart.anomalies, key=lambda n: n.week_ending, reverse=True)
        assert [(f["week"], f["badge"], f["text"]) for f in card["flags"]] == [
            (n.week_ending.isoformat(), format_flag_badge(n), n.explanation) for n in newest_first
        ], chart.metric
        total += len(card["flags"])
    assert total == sum(len(chart.anomalies) for chart in deck.charts) > 0


def _with_owner_note(deck: Deck) -> tuple[Deck, Annotation]:
    """The sample deck with an owner's note on its first open flag."""
    chart = next(chart for chart in deck.charts if deck.open_flags(chart))
    flag = deck.open_flags(chart)[0]
    note = Annotation(
        note_id=1,
        week_ending=flag.week_ending,
        detector=flag.detector,
        revision=1,
        status="explained",
        category="promotion",
        text="The **spring sale** ran two days longer.",
        text_html="<p>The <strong>spring sale</strong> ran two days longer.</p>",
        author="dana",
        author_name="Dana Whitfield",
        updated_at="2021-09-27T09:30:00+00:00",
        history=(),
    )
    flags = tuple(replace(n, annotation=note) if n == flag else n for n in chart.anomalies)
    new_chart = replace(chart, anomalies=flags)
    sections = tuple(
        replace(s, charts=tuple(new_chart if c == chart else c for c in s.charts))
        for s in deck.sections
    )
    return replace(deck, sections=sections), note


def test_an_owners_note_is_shown_under_its_flag(tmp_path: Path) -> None:
    deck, note = _with_owner_note(sample_deck())
    write_deck_html(deck, tmp_path / "deck.html")
    snapshot, asked = _open_offline(tmp_path / "deck.html")
    assert asked == []
    notes = [f for card in snapshot["cards"] for f in card["flags"] if f["note"] is not None]
    assert [(f["noteStatus"], f["note"]) for f in notes] == [
        ("Explained", "The spring sale ran two days longer.")
    ]
    assert note.week_ending.isoformat() == notes[0]["week"]


# --- the PDF ---------------------------------------------------------------------------


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]


def _page_size(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout, re.M)
    assert found is not None, info.stdout
    return float(found.group(1)), float(found.group(2))


def _page_texts(pdf: Path) -> list[str]:
    """Each page's text with runs of whitespace made one space (pdftotext breaks lines)."""
    texts = []
    for number in range(1, _pages(pdf) + 1):
        done = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        texts.append(" ".join(done.stdout.split()))
    return texts


def _on_pages(texts: list[str], needle: str) -> list[int]:
    wanted = " ".join(needle.split())
    return [number for number, text in enumerate(texts, start=1) if wanted in text]


@needs_poppler
def test_the_pdf_has_every_metric_its_last_week_and_no_split_card(exported: Exported) -> None:
    deck = exported.deck
    texts = _page_texts(exported.pdf)
    pages = len(texts)
    assert _page_size(exported.pdf) == A4_POINTS
    # Two cards to a page at most, and the exceptions page first.
    assert 1 + len(deck.charts) / 2 <= pages <= 1 + len(deck.charts) + len(deck.sections)
    week = format_week_heading(deck.week_number, deck.week_ending)
    for number, text in enumerate(texts, start=1):
        assert week in text, f"page {number} has no header"
        assert f"Page {number} of {pages}" in text, f"page {number} has no page number"
    # The exceptions summary is the first page, and no card is on it.
    assert format_response_counts(deck.exception_counts) in texts[0]
    for chart in deck.charts:
        if deck.open_flags(chart):  # each exception with its number, on the first page
            value = format_value_full(
                chart.box.last_week, chart.unit, chart.decimals, deck.currency_symbol
            )
            assert f"{chart.label} {value}" in texts[0], chart.metric
    # Every later page starts with a section title or a card's label, never mid-card.
    # (pdftotext reads the header's right-hand part wherever it falls: it is taken out.)
    header = f"{deck.title} \u00b7 {week} "
    exceptions = format_exception_count(deck.exception_counts.total) + " "
    page_starts = tuple(s.title.upper() for s in deck.sections) + tuple(
        f"{c.label} " for c in deck.charts
    )
    for number, text in enumerate(texts[1:], start=2):
        assert text.startswith(header), (number, text[:120])
        body = text[len(header) :].replace(exceptions, "", 1)
        assert body.startswith(page_starts), (number, body[:120])
    for chart in deck.charts:
        last_week = format_value_full(
            chart.box.last_week, chart.unit, chart.decimals, deck.currency_symbol
        )
        # The card starts with its description and ends with its foot ("metric <key>").
        starts = _on_pages(texts, chart.description)
        ends = _on_pages(texts, f"metric {chart.metric} \u00b7 ")
        assert len(starts) == 1 and starts == ends, (chart.metric, starts, ends)
        page = texts[starts[0] - 1]
        assert chart.label in page and last_week in page, (chart.metric, last_week)
        assert starts[0] > 1


@needs_poppler
def test_letter_paper_and_a_wrong_paper(tmp_path: Path) -> None:
    deck = sample_deck()
    path = export_pdf(deck, tmp_path / "deck.pdf", paper="Letter")
    assert _page_size(path) == LETTER_POINTS
    assert _pages(path) >= 2  # the exceptions, then the cards
    with pytest.raises(PdfExportError, match=r"A3.*A4, Letter"):
        export_pdf(deck, tmp_path / "other.pdf", paper="A3")


def test_a_pdf_needs_an_output_file(tmp_path: Path) -> None:
    done = _wbr(tmp_path, "export", "--format", "pdf")
    assert done.returncode == 2
    assert "--output" in done.stderr
