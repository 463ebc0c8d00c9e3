"""Shared by the fuzz tests and their longer run (benchmarks/fuzz/run.py).

How many cases and which seed come from the environment, so the suite stays
quick (a fixed seed, a few thousand cases in all) while the benchmark runs the
same tests with many more. Hypothesis keeps no example database here: every run
of the suite tries exactly the same cases.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings

EXAMPLES_ENV = "WBR_FUZZ_EXAMPLES"  # multiplies each test's own number of cases
SEED_ENV = "WBR_FUZZ_SEED"
SEED = int(os.environ.get(SEED_ENV, "14"))
SCALE = float(os.environ.get(EXAMPLES_ENV, "1"))

# Odd characters a hand-edited or pasted file carries: NUL and control characters, a
# BOM, right-to-left override, zero-width space, combining accent, emoji, CJK, NEL.
ODD_TEXT = [
    "\x00",
    "\x07",
    "\x1b[31m",
    "\ufeff",
    "\u202e",
    "\u200b",
    "e\u0301",
    "\U0001f600",
    "数据",
    "\x85",
    "\r",
    "\t",
    "'",
    '"',
    "\\",
    ": ",
    "#",
    "&a",
    "*a",
    "!!python/object:os.system",
    "{",
    "[",
    "- ",
    "%",
    "@",
    "`",
]
HUGE_NUMBERS = ["9" * 5000, "1e999", "-1e400", "1" + "0" * 400, "0x" + "f" * 200, "nan", ".inf"]


def fuzz_settings(examples: int) -> settings:
    """`examples` cases (times WBR_FUZZ_EXAMPLES), no deadline: a test never measures time."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


def names_a_line(message: str, file: Path) -> bool:
    """Whether `message` points at `file` with a line number ("…/metrics.yaml:12: …" or
    "… line 12")."""
    placed = re.search(rf"{re.escape(str(file))}:\d+", message)
    return placed is not None or re.search(r"\bline \d+", message) is not None
