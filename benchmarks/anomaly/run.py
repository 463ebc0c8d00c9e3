"""Measure wbr's anomaly detectors on labelled real series, injected anomalies and clean series.

    .venv/bin/python benchmarks/anomaly/run.py --seeds 20              # held-out seeds
    .venv/bin/python benchmarks/anomaly/run.py --seeds 20 --split tune # the tuning seeds

Prints precision / recall / F1 per detector per set (the week-over-week rule
at 10 % and at its best threshold on each set), recall per kind of injected
anomaly, false alarms per 100 metric-weeks on clean series, and the time to
score 300 metrics x 156 weeks. See docs/anomalies.md for the conventions and
the measured results.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
from cases import (
    Case,
    cdnow_real_events_ignored,
    cdnow_weekly,
    demo_weekly,
    nyc_taxi,
    peyton_manning_weekly,
)
from inject import inject
from scoring import Alarms, Tally, recall_by_kind, tally
from synthetic import synthetic_metrics
from timing import time_project, time_series_api

from wbr.anomalies.model import FlagStatus
from wbr.anomalies.series import SeriesContext, detect_series, score_series
from wbr.registry.anomaly_settings import AnomalySettings, DetectionMethod

# Injections are drawn from seeds 0..N-1 while the detector is tuned, and
# reported from seeds HELD_OUT_SEED_BASE..+N-1, which no tuning has looked at.
HELD_OUT_SEED_BASE = 1000
WOW_THRESHOLDS_PCT = tuple(range(2, 61))  # the sweep for the rule's best threshold
SENSITIVITIES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0)  # the default's sweep
DETECTORS = {
    "auto (default)": AnomalySettings(),
    "robust": AnomalySettings(method=DetectionMethod.ROBUST),
    "seasonal": AnomalySettings(method=DetectionMethod.SEASONAL),
    "wow 10%": AnomalySettings(method=DetectionMethod.WEEK_OVER_WEEK),
}


def _context(case: Case) -> SeriesContext:
    return SeriesContext(metric=case.name, grain=case.grain, unit=case.unit, events=case.events)  # type: ignore[arg-type]


def alarms_with(settings: AnomalySettings) -> Callable[[Case], Alarms]:
    def alarms(case: Case) -> Alarms:
        flags = detect_series(case.values, settings, _context(case))
        position = {stamp.date(): i for i, stamp in enumerate(case.values.index)}
        found = np.zeros(len(case.values), dtype=np.bool_)
        for flag in flags:
            if flag.status is FlagStatus.OPEN:
                found[position[flag.week_ending]] = True
        return found

    return alarms


def _wow_changes(case: Case) -> np.ndarray:
    """|change| in % of the previous period; 0 where the rule cannot score or an event explains."""
    one_pct = AnomalySettings(method=DetectionMethod.WEEK_OVER_WEEK, wow_threshold_pct=1)
    frame = score_series(case.values, one_pct, _context(case))
    changes = np.abs(frame["score"].to_numpy(dtype=float))
    return np.where(frame["event"].isna().to_numpy() & ~np.isnan(changes), changes, 0.0)


def best_wow(cases: Sequence[Case]) -> tuple[int, Tally]:
    changes = {case.name: _wow_changes(case) for case in cases}

    def at(pct: int) -> Callable[[Case], Alarms]:
        return lambda case: np.asarray(changes[case.name] >= pct)

    results = [(pct, tally(list(cases), at(pct))) for pct in WOW_THRESHOLDS_PCT]
    return max(results, key=lambda item: (item[1].f1, -item[0]))


def best_sensitivity(cases: Sequence[Case]) -> tuple[float, Tally]:
    """The default detector at its best sensitivity on this set (an oracle, like wow best)."""
    results = [
        (value, tally(list(cases), alarms_with(AnomalySettings(sensitivity=value))))
        for value in SENSITIVITIES
    ]
    return max(results, key=lambda item: (item[1].f1, -abs(item[0] - 1)))


def _row(name: str, result: Tally) -> str:
    return (
        f"| {name} | {result.precision:.2f} | {result.recall:.2f} | {result.f1:.2f} | "
        f"{result.alarms} | {result.caught}/{result.windows} |"
    )


def _windows_ignored(case: Case) -> Case:
    """The case's labelled real anomalies count neither way; it has no windows of its own."""
    ignore = case.ignore.copy()
    for lo, hi in case.windows:
        ignore[lo : hi + 1] = True
    return replace(case, windows=[], ignore=ignore)


def seed_range(seeds: int, split: str) -> range:
    base = HELD_OUT_SEED_BASE if split == "holdout" else 0
    return range(base, base + seeds)


def labelled_sets(seeds: int, split: str = "holdout") -> dict[str, list[Case]]:
    bases = {
        "cdnow (from April 1997)": [cdnow_weekly()],
        "cdnow (from its first week)": [cdnow_weekly(first_week=None)],
        "cdnow (from its first week; its real events count neither way)": [
            cdnow_real_events_ignored(cdnow_weekly(first_week=None))
        ],
        "nyc_taxi": [_windows_ignored(nyc_taxi("week"))],
        "peyton_manning": [_windows_ignored(peyton_manning_weekly())],
        "demo": demo_weekly(),
    }
    sets: dict[str, list[Case]] = {
        "nyc_taxi weekly (NAB labels)": [nyc_taxi("week")],
        "nyc_taxi daily (NAB labels)": [nyc_taxi("day")],
        "peyton_manning weekly (playoff labels)": [peyton_manning_weekly()],
    }
    for base, cases in bases.items():
        sets[f"injected into {base} weekly"] = [
            inject(case, np.random.default_rng([seed, index]), f"seed{seed}")
            for seed in seed_range(seeds, split)
            for index, case in enumerate(cases)
        ]
    return sets


def report_labelled(sets: dict[str, list[Case]]) -> None:
    for name, cases in sets.items():
        print(f"\n### {name}: {len(cases)} series\n")
        print("| detector | precision | recall | F1 | alarms | anomalies caught |")
        print("|---|---|---|---|---|---|")
        for label, settings in DETECTORS.items():
            print(_row(label, tally(cases, alarms_with(settings))))
        pct, result = best_wow(cases)
        print(_row(f"wow best ({pct}%)", result))
        sensitivity, tuned = best_sensitivity(cases)
        print(_row(f"auto best (sensitivity {sensitivity})", tuned))
        if any(case.kinds for case in cases):
            kinds = {
                label: recall_by_kind(cases, alarms_with(settings))
                for label, settings in DETECTORS.items()
            }
            print(
                "\nrecall by kind: "
                + "; ".join(
                    f"{label}: " + ", ".join(f"{k} {v:.2f}" for k, v in by_kind.items())
                    for label, by_kind in kinds.items()
                )
            )


def report_clean() -> None:
    nyc_week, nyc_day = _windows_ignored(nyc_taxi("week")), _windows_ignored(nyc_taxi("day"))
    sets = {
        "demo weekly (story events ignored)": demo_weekly(),
        "synthetic weekly (300 metrics)": synthetic_metrics(300),
        "nyc_taxi weekly (outside NAB windows)": [nyc_week],
        "nyc_taxi daily (outside NAB windows)": [nyc_day],
        "cdnow weekly (unlabelled real bursts)": [cdnow_weekly()],
        "peyton_manning weekly (outside playoff weeks)": [
            _windows_ignored(peyton_manning_weekly())
        ],
    }
    print("\n### false alarms per 100 metric-periods on clean series\n")
    print("| set | periods | " + " | ".join(DETECTORS) + " |")
    print("|---|---|" + "---|" * len(DETECTORS))
    for name, cases in sets.items():
        results = [tally(cases, alarms_with(settings)) for settings in DETECTORS.values()]
        cells = " | ".join(f"{r.false_alarms_per_100:.2f}" for r in results)
        print(f"| {name} | {results[0].periods} | {cells} |")


def report_timing(metrics: int) -> None:
    seconds, weeks, flags = time_series_api(metrics)
    print(f"\n### timing ({os.cpu_count()} CPUs, Python {platform.python_version()})\n")
    print(
        f"- detect_series, method auto: {metrics} metrics x {weeks} weeks in {seconds:.2f} s "
        f"({flags} flags)"
    )
    first, second, stored = time_project(metrics)
    print(
        f"- detect_project on SQLite, reading metric_values and writing flags: {first:.2f} s "
        f"({stored} flags), rerun {second:.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=20,
        help="random seeds of injections per base series (default 20)",
    )
    parser.add_argument(
        "--split",
        choices=["holdout", "tune"],
        default="holdout",
        help="injection seeds: the held-out ones reported in docs (default) or the tuning ones",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="labelled sets whose name contains this text only (a quicker run)",
    )
    parser.add_argument(
        "--timing-metrics", type=int, default=300, help="metrics in the timing run (default 300)"
    )
    parser.add_argument(
        "--skip",
        choices=["labelled", "clean", "timing"],
        action="append",
        default=[],
        help="leave out a part",
    )
    args = parser.parse_args(argv)
    if "labelled" not in args.skip:
        sets = labelled_sets(args.seeds, args.split)
        if args.only:
            sets = {name: cases for name, cases in sets.items() if args.only in name}
        report_labelled(sets)
    if "clean" not in args.skip:
        report_clean()
    if "timing" not in args.skip:
        report_timing(args.timing_metrics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
