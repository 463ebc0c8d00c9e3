"""Benchmark: build the Dash layout of a deck of N charts and serialize it, as a page view does.

A page view calls `dashboards.layout.deck_layout(deck)` and Dash then writes the
component tree as JSON (`plotly.io.json.to_json_plotly`). This times both on a
synthetic deck (`tests/deck_fixtures.synthetic_deck`: sample_deck's three kinds of
chart, repeated with their own numbers), median of `--runs` runs each.

    .venv/bin/python benchmarks/page/bench_page.py                       # 17, 100 and 300 charts
    .venv/bin/python benchmarks/page/bench_page.py --charts 300 --runs 9
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the deck fixtures live with the tests

from deck_fixtures import synthetic_deck  # noqa: E402
from plotly.io.json import to_json_plotly  # noqa: E402

from dashboards.layout import deck_layout  # noqa: E402

DEFAULT_CHARTS = (17, 100, 300)
DEFAULT_RUNS = 5


def _median_seconds(work: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of `runs` calls of `work`, and the last call's result."""
    times = []
    result = None
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(charts: int, runs: int) -> dict[str, float]:
    """Seconds to build the layout and to serialize it, and the JSON's size in bytes."""
    deck = synthetic_deck(charts)
    deck_layout(deck)  # warm up: imports and first-call caches
    layout_s, layout = _median_seconds(lambda: deck_layout(deck), runs)
    json_s, text = _median_seconds(lambda: to_json_plotly(layout.to_plotly_json()), runs)
    return {"layout": layout_s, "json": json_s, "bytes": float(len(text.encode()))}


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
        "--runs", type=int, default=DEFAULT_RUNS, help="runs per measure (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    header = (
        f"{'charts':>6} | {'layout ms':>9} | {'json ms':>8} | {'total ms':>8} | "
        f"{'ms/chart':>8} | {'JSON KB':>8}"
    )
    print(f"median of {args.runs} runs")
    print(header)
    print("-" * len(header))
    for charts in args.charts:
        result = measure(charts, args.runs)
        total = result["layout"] + result["json"]
        print(
            f"{charts:>6} | {result['layout'] * 1000:>9.1f} | {result['json'] * 1000:>8.1f} | "
            f"{total * 1000:>8.1f} | {total * 1000 / charts:>8.2f} | "
            f"{result['bytes'] / 1024:>8.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
