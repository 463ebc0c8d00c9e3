"""Benchmark: how long headless Chromium takes until a deck of N charts is usable.

Serves the Dash app on 127.0.0.1 over a synthetic deck (`tests/deck_fixtures.SyntheticSource`)
and opens it in Debian's /usr/bin/chromium (Playwright), as the browser tests do, in a
1440 × 900 window. For each size it reports, in ms from the start of navigation:

- layout: when the `_dash-layout` response ended (the page shell and the first cards);
- card: when the first metric card was on the page;
- chart: when the first chart was drawn (charts are drawn as they come into view);
- picker: when the week picker was on the page, ready to be used;
- usable: the later of chart and picker — the target of issue 14 is under 2,000 ms;
- all cards: when every card was on the page (the rest follow the first twelve);
- switch: from picking the other week until that week's first chart was drawn;

for the first load in a fresh browser (nothing cached: plotly.js is fetched and
compiled) and as the median of `--runs` loads after it (the browser's cache warm, as
for a leader who opened the deck before).

    .venv/bin/python benchmarks/page/bench_browser.py                  # 300 charts
    .venv/bin/python benchmarks/page/bench_browser.py --charts 17 100 300 --runs 5
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the deck fixtures and browser helpers live there

from browser_support import CHROMIUM, CHROMIUM_ARGS, RENDER_TIMEOUT_MS, served  # noqa: E402
from deck_fixtures import SyntheticSource  # noqa: E402

from dashboards import ids  # noqa: E402
from wbr.deck.format import format_date  # noqa: E402

DEFAULT_CHARTS = (300,)
DEFAULT_RUNS = 5
VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 120_000

# Records, from the first paint on, when each milestone is first seen (ms since navigation).
MILESTONES_JS = f"""
window.__wbrBench = {{}};
(function poll() {{
  const seen = window.__wbrBench, now = performance.now();
  const mark = (name, found) => {{ if (!seen[name] && found) seen[name] = now; }};
  mark('card', document.querySelector('.metric-card'));
  mark('chart', document.querySelector('.js-plotly-plot .main-svg'));
  // Dash's dropdown shows its value once its (lazily loaded) code has mounted it.
  mark('picker', document.querySelector('#{ids.WEEK_SELECTOR} .dash-dropdown-value-item'));
  if (window.__wbrCards) mark('all', document.querySelectorAll('.metric-card').length
    === window.__wbrCards);
  if (!seen.all) requestAnimationFrame(poll);
}})();
"""
DONE_JS = "() => ['all', 'chart', 'picker'].every(name => window.__wbrBench[name])"
LAYOUT_END_JS = """() => {
  const entry = performance.getEntriesByType('resource')
    .find(e => e.name.includes('_dash-layout'));
  return entry ? entry.responseEnd : null;
}"""
# Ms from now until the deck of `week` has a chart drawn.
SWITCHED_JS = """([id, text]) => document.getElementById(id).textContent.startsWith(text)
  && Object.keys(window.wbrDeck.renders).length > 0"""


def load_once(page: Any, url: str, charts: int) -> dict[str, float]:
    """Open `url` in a fresh document; ms from navigation to each milestone."""
    page.goto("about:blank")
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    page.wait_for_function(DONE_JS, timeout=TIMEOUT_MS, polling=50)
    seen = page.evaluate("() => window.__wbrBench")
    layout = page.evaluate(LAYOUT_END_JS)
    return {
        "layout": float(layout) if layout is not None else float("nan"),
        "card": seen["card"],
        "chart": seen["chart"],
        "picker": seen["picker"],
        "usable": max(seen["chart"], seen["picker"]),
        "all": seen["all"],
    }


def switch_week(page: Any, source: SyntheticSource) -> float:
    """Pick the other week in the picker; ms until its deck has a chart drawn."""
    week = source.weeks()[0]
    heading = f"Week {source.deck(week).week_number} "
    page.locator(f"#{ids.WEEK_SELECTOR}").click()
    start = page.evaluate("() => performance.now()")
    page.get_by_role("option", name=f"w/e {format_date(week)}").click()
    page.wait_for_function(SWITCHED_JS, arg=[ids.DECK_WEEK, heading], timeout=TIMEOUT_MS)
    switched = float(page.evaluate("() => performance.now()")) - float(start)
    # Let the rest of that deck arrive, so the next load does not share the server with it.
    page.wait_for_function(
        "(n) => document.querySelectorAll('.metric-card').length === n",
        arg=len(source.deck(week).charts),
        timeout=TIMEOUT_MS,
    )
    return switched


def measure(playwright: Any, charts: int, runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """The first load in a fresh browser, and the median of `runs` loads after it."""
    source = SyntheticSource(charts)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(RENDER_TIMEOUT_MS)
        page.add_init_script(f"window.__wbrCards = {charts};\n{MILESTONES_JS}")
        with served(source) as url:
            urlopen(f"{url}_dash-layout").read()  # warm up the server: Dash's first-request setup
            cold = load_once(page, url, charts)
            cold["switch"] = switch_week(page, source)
            warm_runs = []
            for _ in range(runs):
                run = load_once(page, url, charts)
                run["switch"] = switch_week(page, source)
                warm_runs.append(run)
        warm = {key: statistics.median(run[key] for run in warm_runs) for key in warm_runs[0]}
        return cold, warm
    finally:
        browser.close()


COLUMNS = ("layout", "card", "chart", "picker", "usable", "all", "switch")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--charts",
        type=int,
        nargs="+",
        default=list(DEFAULT_CHARTS),
        help="deck sizes to measure (default: %(default)s)",
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help="warm loads per size (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log
    header = f"{'charts':>6} | {'load':>11} | " + " | ".join(f"{name:>7}" for name in COLUMNS)
    print(f"ms from the start of navigation; warm: median of {args.runs} loads")
    print(header)
    print("-" * len(header))
    with sync_playwright() as playwright:
        for charts in args.charts:
            cold, warm = measure(playwright, charts, args.runs)
            for label, row in (("cold", cold), (f"warm ×{args.runs}", warm)):
                cells = " | ".join(f"{row[name]:>7.0f}" for name in COLUMNS)
                print(f"{charts:>6} | {label:>11} | {cells}", flush=True)


if __name__ == "__main__":
    main()
