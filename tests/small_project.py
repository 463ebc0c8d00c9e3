"""A small hand-checkable business, used by the compute, deck and browser tests.

2023: every day 10 clicks, 100 impressions and two orders of $5.
2024 (through Saturday 16 March): 12 clicks, 200 impressions, three orders of $5.
So a 2024 week has 84 clicks against 70 a year earlier (+20 %), CTR 0.06
against 0.10 (-400 bps), 21 orders against 14 (+50 %).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from ruamel.yaml import YAML

from wbr.registry.models import Registry

FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2024, 3, 16)  # a Saturday
WEEK_ENDING = LAST_DAY


def days(first: date = FIRST_DAY, last: date = LAST_DAY) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def traffic_frame(missing: tuple[date, ...] = ()) -> pd.DataFrame:
    rows = [
        {
            "day": day,
            "clicks": 12 if day.year == 2024 else 10,
            "impressions": 200 if day.year == 2024 else 100,
        }
        for day in days()
        if day not in missing
    ]
    return pd.DataFrame(rows)


def orders_frame() -> pd.DataFrame:
    rows = []
    for day in days():
        for n in range(3 if day.year == 2024 else 2):
            rows.append({"order_id": f"{day}-{n}", "order_date": day, "amount": 5.0})
    return pd.DataFrame(rows)


def write_csvs(folder: Path, missing: tuple[date, ...] = ()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    traffic_frame(missing).to_csv(folder / "traffic.csv", index=False)
    orders_frame().to_csv(folder / "orders.csv", index=False)


def _metric(name: str, kind: str, aggregation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "description": f"{name} for the tests.",
        "kind": kind,
        "owner": "Test Owner (QA)",
        "aggregation": aggregation,
        **extra,
    }


REGISTRY_DATA: dict[str, Any] = {
    "project": {"name": "Small Shop", "week_ends_on": "saturday", "fiscal_year_end_month": 12},
    "sources": {
        "traffic": {"kind": "csv", "path": "data/traffic.csv", "date_column": "day"},
        "orders": {"kind": "csv", "path": "data/orders.csv", "date_column": "order_date"},
    },
    "metrics": [
        _metric(
            "clicks",
            "input",
            {"type": "sum", "column": "clicks"},
            source="traffic",
            drives=["orders"],
        ),
        _metric("impressions", "input", {"type": "sum", "column": "impressions"}, source="traffic"),
        _metric(
            "ctr",
            "input",
            {"type": "ratio", "numerator": "clicks", "denominator": "impressions"},
            unit="percent",
        ),
        _metric("orders", "output", {"type": "count"}, source="orders"),
        _metric(
            "revenue",
            "output",
            {"type": "sum", "column": "amount"},
            source="orders",
            unit="currency",
        ),
        _metric(
            "order_value",
            "output",
            {"type": "mean", "column": "amount"},
            source="orders",
            unit="currency",
            decimals=2,
        ),
    ],
    "deck": {
        "title": "Small Shop WBR",
        "sections": [
            {"title": "Inputs", "metrics": ["clicks", "ctr"]},
            {"title": "Outputs", "metrics": ["orders", "revenue", "order_value"]},
        ],
    },
}


def registry() -> Registry:
    return Registry.model_validate(REGISTRY_DATA)


def write_project(folder: Path, missing: tuple[date, ...] = ()) -> Path:
    """A project folder with metrics.yaml and its CSVs; returns the registry file."""
    write_csvs(folder / "data", missing)
    registry_file = folder / "metrics.yaml"
    with registry_file.open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(REGISTRY_DATA, handle)
    return registry_file
