"""A synthetic retailer at a chosen size: orders.csv over 3 years and a metrics.yaml of M metrics.

    .venv/bin/python benchmarks/perf/generate.py --rows 5000000 --metrics 300 --out bench-data/5m
    .venv/bin/python benchmarks/perf/generate.py --append-week --out bench-data/5m

Rows are written in chunks of days (numpy, seeded), so 20 M rows never sit in
memory at once. Orders grow over the three years and follow a weekly and a
yearly rhythm; customers come from a pool that grows, with repeat buyers.
`--append-week` adds the next seven days of rows to an existing orders.csv at
the latest pace: the weekly refresh's new data.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from metricset import DIMENSIONS, registry
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

LAST_DAY = date(2025, 12, 27)  # a Saturday: the data ends on a complete week
DAYS = 3 * 364  # three years of whole weeks
FIRST_DAY = LAST_DAY - timedelta(days=DAYS - 1)
CHUNK_ROWS = 500_000  # rows generated and written at once: about 60 MB of columns
GROWTH = 1.0  # the last day has (1 + GROWTH) times the first day's orders
WEEKDAY_FACTORS = np.array([0.95, 0.9, 0.92, 0.97, 1.1, 1.15, 1.01])  # Monday … Sunday
ORDERS_PER_CUSTOMER = 6  # over the three years: sets the size of the customer pool
COLUMNS = (
    "order_id",
    "order_date",
    "customer_id",
    "amount",
    "units",
    "discount",
    "delivery_days",
    "is_return",
    "is_prime",
    "region",
    "category",
    "channel",
)
CATEGORY_PRICE = np.array([2.2, 1.0, 0.8, 0.6, 0.7, 0.5, 0.4, 1.1])
SHARES = {
    "region": np.array([0.38, 0.27, 0.2, 0.09, 0.06]),
    "category": np.array([0.16, 0.15, 0.16, 0.1, 0.08, 0.17, 0.08, 0.1]),
    "channel": np.array([0.45, 0.4, 0.15]),
}


@dataclass(frozen=True)
class Pace:
    """How many rows each day gets, and how large the customer pool is that day."""

    rows: int

    def day_weights(self, offsets: np.ndarray) -> np.ndarray:
        trend = 1 + GROWTH * offsets / DAYS
        season = 1 + 0.12 * np.sin(2 * np.pi * offsets / 364 - 1.2)
        weekday = WEEKDAY_FACTORS[(FIRST_DAY.weekday() + offsets) % 7]
        return np.asarray(trend * season * weekday, dtype=np.float64)

    def rows_per_day(self) -> np.ndarray:
        """Exactly `rows` rows over DAYS days (largest remainders get the spare rows)."""
        weights = self.day_weights(np.arange(DAYS))
        exact = weights / weights.sum() * self.rows
        counts = np.floor(exact).astype(np.int64)
        spare = self.rows - int(counts.sum())
        counts[np.argsort(exact - counts)[::-1][:spare]] += 1
        return counts

    def pool(self, offsets: np.ndarray) -> np.ndarray:
        final = max(self.rows // ORDERS_PER_CUSTOMER, 10)
        return np.asarray(final * (0.3 + 0.7 * offsets / DAYS), dtype=np.float64)


def _chunk(
    rng: np.random.Generator, pace: Pace, offsets: np.ndarray, first_id: int
) -> pd.DataFrame:
    """Rows for the day offsets given (one entry per row), order ids from `first_id`."""
    n = len(offsets)
    picks = {name: rng.choice(len(v), n, p=SHARES[name]) for name, v in DIMENSIONS.items()}
    prime = rng.random(n) < 0.25 + 0.2 * offsets / DAYS
    amount = rng.lognormal(3.7, 0.6, n) * CATEGORY_PRICE[picks["category"]]
    discounted = rng.random(n) < 0.3
    delivery = rng.gamma(2.0, np.where(prime, 0.8, 1.5))
    delivery = np.where(picks["channel"] == 2, 0.0, delivery)  # in-store orders leave at once
    last = int(offsets.max()) + 1 if n else 0
    days = np.array([(FIRST_DAY + timedelta(days=d)).isoformat() for d in range(last)])
    frame = {
        "order_id": np.arange(first_id, first_id + n),
        "order_date": days[offsets],
        # Earlier customers buy more often: u ** 1.6 leans towards the low ids.
        "customer_id": (pace.pool(offsets) * rng.random(n) ** 1.6).astype(np.int64) + 1,
        "amount": np.round(amount, 2),
        "units": 1 + rng.poisson(0.7, n),
        "discount": np.where(discounted, np.round(amount * rng.uniform(0.05, 0.3, n), 2), 0.0),
        "delivery_days": np.round(delivery, 1),
        "is_return": (rng.random(n) < 0.06).astype(np.int8),
        "is_prime": prime.astype(np.int8),
    }
    for name, values in DIMENSIONS.items():
        frame[name] = np.asarray(values, dtype=object)[picks[name]]
    return pd.DataFrame(frame, columns=list(COLUMNS))


def write_orders(path: Path, rows: int, seed: int) -> None:
    """Write `rows` orders over DAYS days to `path`, one chunk of days at a time."""
    pace = Pace(rows)
    per_day = pace.rows_per_day()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".csv.part")
    next_id, day = 1, 0
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(COLUMNS) + "\n")
        chunk_index = 0
        while day < DAYS:
            end = day + 1
            while end < DAYS and per_day[day : end + 1].sum() <= CHUNK_ROWS:
                end += 1
            offsets = np.repeat(np.arange(day, end), per_day[day:end])
            rng = np.random.default_rng([seed, chunk_index])
            frame = _chunk(rng, pace, offsets, next_id)
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")
            next_id += len(frame)
            day, chunk_index = end, chunk_index + 1
    os.replace(temporary, path)


def _last_line(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(size - 4096, 0))
        return handle.read().decode("utf-8").rstrip("\n").rsplit("\n", 1)[-1]


def append_week(path: Path, rows: int, seed: int) -> tuple[date, int]:
    """Append the seven days after the file's last day; return (last day, rows added)."""
    fields = _last_line(path).split(",")
    last_id, last_day = int(fields[0]), date.fromisoformat(fields[1])
    start = (last_day - FIRST_DAY).days + 1
    pace = Pace(rows)
    weights = pace.day_weights(np.arange(start, start + 7))
    share = weights / pace.day_weights(np.arange(DAYS)).sum()
    per_day = np.maximum(np.rint(share * rows), 1).astype(np.int64)  # every day has data
    offsets = np.repeat(np.arange(start, start + 7), per_day)
    frame = _chunk(np.random.default_rng([seed, 1_000_000 + start]), pace, offsets, last_id + 1)
    with path.open("a", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, header=False, index=False, lineterminator="\n")
    return last_day + timedelta(days=7), len(frame)


def write_registry(folder: Path, metrics: int) -> Path:
    path = folder / "metrics.yaml"
    yaml = YAML()  # round-trip: keeps the keys in the order written
    yaml.width = 100
    body = registry(metrics, "orders.csv")
    for metric in body["metrics"]:
        metric["aggregation"] = _one_line(metric["aggregation"])
        if "drives" in metric:
            metric["drives"] = _one_line(metric["drives"])
    with path.open("w", encoding="utf-8") as handle:
        handle.write(f"# Generated by benchmarks/perf/generate.py: {metrics} metrics.\n")
        yaml.dump(body, handle)
    return path


def _one_line(value: Any) -> Any:
    """`value` as a YAML flow collection (`{type: sum, column: amount}`), nested ones too."""
    if isinstance(value, dict):
        mapping = CommentedMap((key, _one_line(item)) for key, item in value.items())
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        sequence = CommentedSeq(_one_line(item) for item in value)
        sequence.fa.set_flow_style()
        return sequence
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw order rows (3 years)")
    parser.add_argument("--metrics", type=int, default=300, help="metrics in metrics.yaml")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument(
        "--append-week",
        action="store_true",
        help="append the next week's rows to OUT/orders.csv (at the pace of --rows) and stop",
    )
    args = parser.parse_args(argv)
    csv_path = args.out / "orders.csv"
    if args.append_week:
        last_day, added = append_week(csv_path, args.rows, args.seed)
        print(f"appended {added:,} rows through {last_day} to {csv_path}")
        return
    write_orders(csv_path, args.rows, args.seed)
    registry_path = write_registry(args.out, args.metrics)
    print(f"wrote {args.rows:,} rows to {csv_path} and {args.metrics} metrics to {registry_path}")


if __name__ == "__main__":
    main()
