"""The benchmark's metric registry: M metrics over the synthetic orders, as a real deck has them.

A real WBR reaches 200-300 metrics by repeating a few dozen definitions per
region, category and channel. This module does the same: one group of 19
metrics (every aggregation class the registry supports) for the whole business
(the outputs), then the same group filtered to each dimension value (the
controllable inputs, each `drives:` its total), then to region × channel pairs.
Within a group a ratio or formula comes after its parts, so the first M metrics
of the list are always a valid registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "region": ("na", "eu", "apac", "latam", "mea"),
    "category": ("electronics", "home", "apparel", "beauty", "toys", "grocery", "books", "sports"),
    "channel": ("web", "app", "store"),
}
PAIR = ("region", "channel")  # the third level: region × channel
OWNERS = {
    "total": "Avery Chen (Finance)",
    "region": "Jordan Patel (Regional Ops)",
    "category": "Marco Bianchi (Category Management)",
    "channel": "Dana Whitfield (Digital)",
    "pair": "Sam Lee (Sales Ops)",
}
LARGE_ORDER_AMOUNT = 150


@dataclass(frozen=True)
class Template:
    """One metric definition, repeated per slice of the business."""

    name: str
    label: str
    description: str
    aggregation: dict[str, Any]
    unit: str = "count"
    lower_is_better: bool = False


TEMPLATES: tuple[Template, ...] = (
    Template("orders", "Orders", "Orders placed, counted on the order date.", {"type": "count"}),
    Template(
        "revenue",
        "Revenue",
        "Sum of order amounts.",
        {"type": "sum", "column": "amount"},
        unit="currency",
    ),
    Template("units", "Units", "Units sold.", {"type": "sum", "column": "units"}),
    Template(
        "avg_order_value",
        "Average order value",
        "Mean order amount: the period's revenue over its orders.",
        {"type": "mean", "column": "amount"},
        unit="currency",
    ),
    Template(
        "returns",
        "Returns",
        "Orders returned.",
        {"type": "sum", "column": "is_return"},
        lower_is_better=True,
    ),
    Template(
        "return_rate",
        "Return rate",
        "Returned orders over orders.",
        {"type": "ratio", "numerator": "returns", "denominator": "orders"},
        unit="percent",
        lower_is_better=True,
    ),
    Template(
        "prime_orders", "Prime orders", "Orders by members.", {"type": "sum", "column": "is_prime"}
    ),
    Template(
        "prime_share",
        "Prime share",
        "Member orders over orders.",
        {"type": "ratio", "numerator": "prime_orders", "denominator": "orders"},
        unit="percent",
    ),
    Template(
        "customers",
        "Active customers",
        "Distinct customers who ordered in the period (not a sum of daily counts).",
        {"type": "count_distinct", "column": "customer_id"},
    ),
    Template(
        "revenue_per_customer",
        "Revenue per customer",
        "Revenue over active customers.",
        {"type": "formula", "expression": "revenue / customers"},
        unit="currency",
    ),
    Template(
        "largest_order",
        "Largest order",
        "The largest single order amount.",
        {"type": "max", "column": "amount"},
        unit="currency",
    ),
    Template(
        "smallest_order",
        "Smallest order",
        "The smallest single order amount.",
        {"type": "min", "column": "amount"},
        unit="currency",
    ),
    Template(
        "median_order_value",
        "Median order value",
        "The median order amount of the period.",
        {"type": "median", "column": "amount"},
        unit="currency",
    ),
    Template(
        "p90_delivery_days",
        "Delivery time (p90)",
        "90th percentile of days from order to delivery.",
        {"type": "percentile", "column": "delivery_days", "percentile": 90},
        unit="days",
        lower_is_better=True,
    ),
    Template(
        "large_orders",
        "Large discounted orders",
        f"Discounted orders of at least {LARGE_ORDER_AMOUNT}.",
        {
            "type": "count",
            "filters": [
                {"column": "discount", "op": "gt", "value": 0},
                {"column": "amount", "op": "ge", "value": LARGE_ORDER_AMOUNT},
            ],
        },
    ),
    Template(
        "discounts",
        "Discounts",
        "Sum of discounts given.",
        {"type": "sum", "column": "discount"},
        unit="currency",
        lower_is_better=True,
    ),
    Template(
        "net_revenue",
        "Net revenue",
        "Revenue less discounts.",
        {"type": "formula", "expression": "revenue - discounts"},
        unit="currency",
    ),
    Template(
        "first_day_revenue",
        "Opening-day revenue",
        "Revenue on the period's first day (a semi-additive edge value).",
        {"type": "first", "column": "amount"},
        unit="currency",
    ),
    Template(
        "last_day_revenue",
        "Closing-day revenue",
        "Revenue on the period's last day (a semi-additive edge value).",
        {"type": "last", "column": "amount"},
        unit="currency",
    ),
)
AGGREGATION_CLASSES = frozenset(t.aggregation["type"] for t in TEMPLATES)


@dataclass(frozen=True)
class Slice:
    """A part of the business: no filter (the totals), one dimension value, or a pair."""

    key: str  # suffix of the metric names; "" for the totals
    label: str
    level: str  # a key of OWNERS
    filters: tuple[tuple[str, str], ...]


def slices() -> Iterator[Slice]:
    yield Slice("", "", "total", ())
    for dimension, values in DIMENSIONS.items():
        for value in values:
            yield Slice(f"{dimension}_{value}", value, dimension, ((dimension, value),))
    first, second = PAIR
    for a in DIMENSIONS[first]:
        for b in DIMENSIONS[second]:
            yield Slice(f"{a}_{b}", f"{a} {b}", "pair", ((first, a), (second, b)))


def max_metrics() -> int:
    return sum(1 for _ in slices()) * len(TEMPLATES)


def _metric(template: Template, part: Slice) -> dict[str, Any]:
    def named(base: str) -> str:
        return f"{base}_{part.key}" if part.key else base

    aggregation = dict(template.aggregation)
    kind = aggregation["type"]
    if kind == "ratio":
        aggregation["numerator"] = named(aggregation["numerator"])
        aggregation["denominator"] = named(aggregation["denominator"])
    elif kind == "formula":
        words = aggregation["expression"].split()
        aggregation["expression"] = " ".join(w if w in "+-*/" else named(w) for w in words)
    else:
        filters = [{"column": c, "op": "eq", "value": v} for c, v in part.filters]
        filters += aggregation.get("filters", [])
        if filters:
            aggregation["filters"] = filters
    metric: dict[str, Any] = {
        "name": named(template.name),
        "label": f"{template.label} ({part.label})" if part.label else template.label,
        "description": template.description
        + (f" Only {part.label.replace(' ', ', ')} orders." if part.label else ""),
        "kind": "input" if part.key else "output",
        "owner": OWNERS[part.level],
    }
    if kind not in ("ratio", "formula"):
        metric["source"] = "orders"
    metric["aggregation"] = aggregation
    metric["unit"] = template.unit
    if template.lower_is_better:
        metric["direction"] = "lower_is_better"
    if part.key:
        metric["drives"] = [template.name]
    return metric


def metric_groups(count: int) -> list[tuple[Slice, list[dict[str, Any]]]]:
    """The first `count` metrics, grouped by slice (totals first)."""
    if count > max_metrics():
        raise ValueError(f"at most {max_metrics()} metrics can be generated, not {count}")
    groups: list[tuple[Slice, list[dict[str, Any]]]] = []
    left = count
    for part in slices():
        if left <= 0:
            break
        group = [_metric(template, part) for template in TEMPLATES[:left]]
        groups.append((part, group))
        left -= len(group)
    return groups


SECTION_TITLES = {
    "region": "Inputs by region",
    "category": "Inputs by category",
    "channel": "Inputs by channel",
    "pair": "Inputs by region and channel",
}


def registry(count: int, csv_name: str) -> dict[str, Any]:
    """The whole metrics.yaml as plain data: inputs first in the deck, then the totals."""
    groups = metric_groups(count)
    metrics = [metric for _, group in groups for metric in group]
    sections: dict[str, list[str]] = {}
    for part, group in groups[1:]:
        sections.setdefault(SECTION_TITLES[part.level], []).extend(m["name"] for m in group)
    deck_sections = [{"title": title, "metrics": names} for title, names in sections.items()]
    deck_sections.append({"title": "Outputs", "metrics": [m["name"] for m in groups[0][1]]})
    return {
        "project": {"name": "Benchmark Retail", "week_ends_on": "saturday"},
        "sources": {
            "orders": {
                "kind": "csv",
                "path": csv_name,
                "date_column": "order_date",
                # The weekly refresh loads only the last week and the new rows.
                "incremental": {"lookback": 7},
            }
        },
        "metrics": metrics,
        "deck": {"title": f"Benchmark WBR ({count} metrics)", "sections": deck_sections},
    }
