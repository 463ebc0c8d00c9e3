"""The deck as a PDF: the HTML export (`wbr.export.html_page`) printed by headless Chromium.

Chromium is driven through Playwright (the `pdf` extra). It uses Debian's
`chromium` (or whatever `WBR_CHROMIUM` names), never a browser download. The page
is loaded from a temporary file in an offline browser context in which every
request that is not to the file itself is aborted: the deck is printed from what
it carries, nothing else. Chromium draws the header (the deck, its week, its
exceptions) and the footer (page x of y) on every page; the stylesheet's print
rules keep each card on one page and put the exceptions summary on the first.

`export_pdf` is synchronous (Playwright's sync API): call it from a thread, not
from inside a running asyncio event loop.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final

from wbr.deck.format import format_exception_count, format_timestamp, format_week_heading
from wbr.deck.model import Deck
from wbr.errors import WbrError
from wbr.export.html_page import deck_to_html

if TYPE_CHECKING:
    from playwright._impl._api_structures import PdfMargins
    from playwright.sync_api import Route

CHROMIUM_ENV: Final = "WBR_CHROMIUM"
CHROMIUM_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "chrome")
# --no-sandbox: Chromium's sandbox needs user namespaces, which containers and root
# often lack; the page is the deck itself with the network cut, so nothing untrusted runs.
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
)
PAPER_SIZES_MM: Final = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
PAPERS: Final = tuple(PAPER_SIZES_MM)
# Room for Chromium's header and footer above and below the page's content.
MARGINS_MM: Final = {"top": 16.0, "bottom": 14.0, "left": 12.0, "right": 12.0}
CSS_PX_PER_MM: Final = 96 / 25.4  # CSS pixels are 1/96 inch
# The page printed at 82 %: two cards (chart, box and both tables) fit on A4 or Letter.
PRINT_SCALE: Final = 0.82
# A deck of 300 charts takes Plotly a while to draw on two shared cores.
DRAW_TIMEOUT_MS: Final = 180_000
ALLOWED_SCHEMES: Final = ("file:", "data:", "about:", "blob:")
HEADER_STYLE: Final = (
    "font-family: Helvetica, Arial, 'Liberation Sans', sans-serif; font-size: 8px; "
    "color: #6b6b70; width: 100%; margin: 0 12mm; display: flex; justify-content: space-between;"
)


class PdfExportError(WbrError):
    """The PDF could not be printed: Playwright or Chromium is missing or failed."""


def chromium_path() -> str | None:
    """The Chromium to drive: $WBR_CHROMIUM, else the first on PATH; None: Playwright's own."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def _header(deck: Deck) -> str:
    week = format_week_heading(deck.week_number, deck.week_ending)
    exceptions = format_exception_count(deck.exception_counts.total)
    return (
        f'<div style="{HEADER_STYLE}"><span>{escape(deck.title)} \u00b7 {escape(week)}</span>'
        f"<span>{escape(exceptions)}</span></div>"
    )


def _footer(deck: Deck) -> str:
    # Chromium fills the elements of class pageNumber and totalPages on each page.
    return (
        f'<div style="{HEADER_STYLE}"><span>{escape(deck.project)} \u00b7 values as of '
        f"{escape(format_timestamp(deck.generated_at))}</span>"
        '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span>'
        "</div>"
    )


def _margins() -> PdfMargins:
    return {
        "top": f"{MARGINS_MM['top']}mm",
        "bottom": f"{MARGINS_MM['bottom']}mm",
        "left": f"{MARGINS_MM['left']}mm",
        "right": f"{MARGINS_MM['right']}mm",
    }


def _content_width_px(paper: str) -> int:
    width_mm = PAPER_SIZES_MM[paper][0] - MARGINS_MM["left"] - MARGINS_MM["right"]
    # The page lays out at the width that, scaled down, fills the paper.
    return round(width_mm * CSS_PX_PER_MM / PRINT_SCALE)


def _only_the_file(route: Route) -> None:
    if route.request.url.startswith(ALLOWED_SCHEMES):
        route.continue_()
    else:
        route.abort("internetdisconnected")


def export_pdf(deck: Deck, path: Path, paper: str = "A4") -> Path:
    """Print `deck` to the PDF file `path` on A4 or Letter paper; returns `path`."""
    if paper not in PAPER_SIZES_MM:
        raise PdfExportError(f"paper {paper!r} is not supported; use one of {', '.join(PAPERS)}")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise PdfExportError(
            "the PDF export needs Playwright: pip install 'wbr[pdf]' (and Chromium: "
            "apt-get install chromium)"
        ) from error
    path.parent.mkdir(parents=True, exist_ok=True)
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="wbr-pdf-") as folder:
        page_file = Path(folder) / "deck.html"
        page_file.write_text(deck_to_html(deck), encoding="utf-8")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=executable, args=list(CHROMIUM_ARGS)
                )
                try:
                    context = browser.new_context(
                        offline=True,
                        viewport={"width": _content_width_px(paper), "height": 1000},
                    )
                    page = context.new_page()
                    page.route("**/*", _only_the_file)
                    # Print rules apply before the charts are drawn, so they are drawn
                    # at their printed size.
                    page.emulate_media(media="print")
                    page.goto(page_file.as_uri(), wait_until="load")
                    page.wait_for_function(
                        "window.wbrChartsDrawn !== undefined", timeout=DRAW_TIMEOUT_MS
                    )
                    page.pdf(
                        path=str(path),
                        format=paper,
                        print_background=True,
                        scale=PRINT_SCALE,
                        display_header_footer=True,
                        header_template=_header(deck),
                        footer_template=_footer(deck),
                        margin=_margins(),
                        outline=True,
                        tagged=True,
                    )
                finally:
                    browser.close()
        except PlaywrightError as error:
            where = executable or "Playwright's own Chromium"
            raise PdfExportError(
                f"Chromium ({where}) could not print the deck: {error.message.splitlines()[0]}. "
                f"Install Debian's chromium or set {CHROMIUM_ENV} to a Chromium binary."
            ) from error
    return path
