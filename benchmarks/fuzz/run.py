"""The long fuzz run: the suite's fuzz tests with many more cases and other seeds.

    .venv/bin/python benchmarks/fuzz/run.py                # x10 cases, seeds 1..3
    .venv/bin/python benchmarks/fuzz/run.py --scale 50 --seeds 7 8

Each seed runs tests/test_fuzz_registry.py and tests/test_fuzz_sources.py with
WBR_FUZZ_EXAMPLES (a multiplier of each test's own count) and WBR_FUZZ_SEED set;
a failure prints Hypothesis's smallest failing case and stops. Bounded: every test
has pytest's timeout, and the run stops at the first failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ["tests/test_fuzz_registry.py", "tests/test_fuzz_sources.py"]
# The suite's own counts, for the report (see the tests' *_CASES constants).
SUITE_CASES = {"registry text": 800, "registry data": 800, "source files": 150}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10, help="cases = suite's count × scale")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    cases = sum(SUITE_CASES.values()) * args.scale
    for seed in args.seeds:
        env = {**os.environ, "WBR_FUZZ_EXAMPLES": str(args.scale), "WBR_FUZZ_SEED": str(seed)}
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS]
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
        took = time.monotonic() - started
        print(f"seed {seed}: {cases:,.0f} cases in {took:.0f} s, exit {result.returncode}")
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
