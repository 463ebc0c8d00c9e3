"""Benchmark: how long headless Chromium takes to show a deck of N charts, all plots drawn.

Serves the Dash app on 127.0.0.1 over a synthetic deck (`tests/deck_fixtures.SyntheticSource`)
and opens it in Debian's /usr/bin/chromium (Playwright), as the browser tests do. For each
size it reports, median of `--runs` page loads:

- layout: when the `_dash-layout` response ended (the server built and sent the deck);
- cards: when every metric card was in the DOM (React rendered the layout);
- plots: when every chart was drawn (each `dcc.Graph` has its Plotly SVG);

all in ms from the start of navigation, and the size of the layout response.

    .venv/bin/python benchmarks/page/bench_browser.py                  # 17 and 100 charts
    .venv/bin/python benchmarks/page/bench_browser.py --charts 300 --runs 1
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

from browser_support import CHROMIUM, PLOTS_READY_JS, chromium_page, served  # noqa: E402
from deck_fixtures import SyntheticSource  # noqa: E402

DEFAULT_CHARTS = (17, 100)
DEFAULT_RUNS = 3
TIMEOUT_MS = 1_800_000  # 300 charts take minutes (see README.md)
POLLING_MS = 20

# Each returns performance.now() (ms since navigation started) once its condition holds.
CARDS_READY_JS = """(count) => document.querySelectorAll('.metric-card').length === count
  && performance.now()"""
PLOTS_DRAWN_JS = f"""(count) => ({PLOTS_READY_JS})(count) && performance.now()"""
LAYOUT_TIMING_JS = """() => {
  const entry = performance.getEntriesByType('resource')
    .find(e => e.name.includes('_dash-layout'));
  return entry ? {end: entry.responseEnd, bytes: entry.encodedBodySize} : null;
}"""


def load_once(page: Any, url: str, charts: int) -> dict[str, float]:
    """Open `url` in a fresh document; ms from navigation to the layout, cards and plots."""
    page.goto("about:blank")
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    wait = {"arg": charts, "timeout": TIMEOUT_MS, "polling": POLLING_MS}
    cards = page.wait_for_function(CARDS_READY_JS, **wait).json_value()
    plots = page.wait_for_function(PLOTS_DRAWN_JS, **wait).json_value()
    layout = page.evaluate(LAYOUT_TIMING_JS)
    return {
        "layout": layout["end"] if layout else float("nan"),
        "cards": cards,
        "plots": plots,
        "bytes": float(layout["bytes"]) if layout else float("nan"),
    }


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
        "--runs", type=int, default=DEFAULT_RUNS, help="page loads per size (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log
    header = f"{'charts':>6} | {'layout ms':>9} | {'cards ms':>8} | {'plots ms':>8} | {'KB':>6}"
    print(f"median of {args.runs} page loads, ms from the start of navigation")
    print(header)
    print("-" * len(header))
    with chromium_page() as page:
        for charts in args.charts:
            with served(SyntheticSource(charts)) as url:
                urlopen(f"{url}_dash-layout").read()  # warm up: Dash's first-request setup
                runs = [load_once(page, url, charts) for _ in range(args.runs)]
            median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            print(
                f"{charts:>6} | {median['layout']:>9.0f} | {median['cards']:>8.0f} | "
                f"{median['plots']:>8.0f} | {median['bytes'] / 1024:>6.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
