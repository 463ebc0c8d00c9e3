"""A digest of every flag the default detector raises, and the CPU time it takes.

    .venv/bin/python benchmarks/anomaly/digest.py [--repeat 3]

Scores the 300 synthetic metrics of the timing run and the four real series (CDNOW,
Peyton Manning, NYC taxi weekly and daily) with `detect_series`, then prints the
best CPU seconds of --repeat rounds, the number of flags and a SHA-1 of every
flag's week, status, expectation, band and score. A change meant to leave detection
as it was (a faster scorer) must print the same digest before and after; run the
two versions alternately to compare their times on a shared machine.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cases import Case, cdnow_weekly, nyc_taxi, peyton_manning_weekly
from synthetic import synthetic_metrics

from wbr.anomalies.model import Flag
from wbr.anomalies.series import SeriesContext, detect_series


def _flags(cases: list[Case]) -> list[list[Flag]]:
    return [
        detect_series(
            case.values,
            context=SeriesContext(
                metric=case.name,
                grain=case.grain,  # type: ignore[arg-type]
                unit=case.unit,
                events=case.events,
            ),
        )
        for case in cases
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest counts")
    args = parser.parse_args()
    cases = [
        *synthetic_metrics(300, seed=1),
        cdnow_weekly(),
        peyton_manning_weekly(),
        nyc_taxi("week"),
        nyc_taxi("day"),
    ]
    best = float("inf")
    for _ in range(args.repeat):
        started = time.process_time()
        flags = _flags(cases)
        best = min(best, time.process_time() - started)
    seen = [
        [(f.week_ending, f.status, f.expected, f.lower, f.upper, f.score) for f in found]
        for found in flags
    ]
    digest = hashlib.sha1(repr(seen).encode()).hexdigest()[:12]
    count = sum(len(found) for found in flags)
    print(f"{len(cases)} series: {best:.3f} s CPU (best of {args.repeat}), {count} flags, {digest}")


if __name__ == "__main__":
    main()
