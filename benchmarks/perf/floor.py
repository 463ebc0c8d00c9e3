"""The floor: one hand-written SQL GROUP BY per metric and bucket (week, month) over the raw table.

This is what an analyst would write by hand for each chart, with no framework
in between: `SELECT bucket, SUM(amount) FROM raw_orders WHERE region = 'eu'
GROUP BY bucket`. Ratios and formulas are one query over their parts
(`SUM(is_return) * 1.0 / NULLIF(COUNT(*), 0)`); first/last take the day's total on
the bucket's edge; medians and percentiles use the store's percentile function,
or ranks where it has none (SQLite). It computes only weekly and monthly values,
without completeness or the to-date periods wbr stores, so it does less work
than wbr does.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from wbr.registry.formula import parse_formula
from wbr.registry.models import Metric, Registry

SIMPLE = {"sum", "count", "mean", "min", "max", "count_distinct"}
QUANTILES = {"median", "percentile"}
BUCKETS = ("week", "month")


class Unsupported(Exception):
    """A metric the floor cannot write as one query on this store."""


@dataclass(frozen=True)
class Dialect:
    name: str
    week: str  # the Saturday that ends the week of {d}
    month: str  # the month of {d}, as something whose text starts with YYYY-MM
    quantile: Callable[[str, float], str] | None  # an aggregate, or None: use ranks


DIALECTS = {
    "sqlite": Dialect("sqlite", "date({d}, 'weekday 6')", "substr({d}, 1, 7)", None),
    "postgresql": Dialect(
        "postgresql",
        "({d} + (6 - EXTRACT(DOW FROM {d}))::int)",
        "CAST(date_trunc('month', {d}) AS DATE)",
        lambda column, q: f"percentile_cont({q}) WITHIN GROUP (ORDER BY {column})",
    ),
    "duckdb": Dialect(
        "duckdb",
        "({d} + CAST(6 - dayofweek({d}) AS INTEGER))",
        "CAST(date_trunc('month', {d}) AS DATE)",
        lambda column, q: f"quantile_cont({column}, {q})",
    ),
}
OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def condition(filters: tuple[Any, ...]) -> str | None:
    parts = []
    for f in filters:
        op = f.op.value
        if op in OPS:
            parts.append(f"{f.column} {OPS[op]} {literal(f.value)}")
        elif op in ("in", "not_in"):
            values = ", ".join(literal(v) for v in f.value)
            parts.append(f"{f.column} {'IN' if op == 'in' else 'NOT IN'} ({values})")
        else:
            parts.append(f"{f.column} IS {'NULL' if op == 'is_null' else 'NOT NULL'}")
    return " AND ".join(parts) or None


def _where(*conditions: str | None) -> str:
    present = [c for c in conditions if c]
    return f" WHERE {' AND '.join(present)}" if present else ""


def _simple(agg: Any, only: str | None) -> str:
    """A simple aggregate; rows outside `only` (a condition) are left out with CASE."""
    column = getattr(agg, "column", None) or "1"
    value = f"CASE WHEN {only} THEN {column} END" if only else column
    match agg.type:
        case "sum":
            return f"SUM({value})"
        case "count":
            return "COUNT(*)" if value == "1" else f"COUNT({value})"
        case "mean":
            return f"AVG({value})"
        case "count_distinct":
            return f"COUNT(DISTINCT {value})"
        case _:
            return f"{agg.type.upper()}({value})"


def fold(node: ast.expr, name: Callable[[str], Any], divide: Callable[[Any, Any], Any]) -> Any:
    """Evaluate a formula's tree with `name` for metric names and `divide` for `/`."""
    if isinstance(node, ast.Name):
        return name(node.id)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        operand = fold(node.operand, name, divide)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)
    left, right = fold(node.left, name, divide), fold(node.right, name, divide)
    if isinstance(node.op, ast.Div):
        return divide(left, right)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    return left * right


class Sql(str):
    """SQL text that composes with + - * like the numbers it stands for."""

    def __add__(self, other: object) -> Sql:
        return Sql(f"({self} + {other})")

    def __sub__(self, other: object) -> Sql:
        return Sql(f"({self} - {other})")

    def __mul__(self, other: object) -> Sql:  # type: ignore[override]
        return Sql(f"({self} * {other})")

    def __radd__(self, other: object) -> Sql:
        return Sql(f"({other} + {self})")

    def __rsub__(self, other: object) -> Sql:
        return Sql(f"({other} - {self})")

    def __rmul__(self, other: object) -> Sql:  # type: ignore[override]
        return Sql(f"({other} * {self})")

    def __neg__(self) -> Sql:
        return Sql(f"(-{self})")


@dataclass(frozen=True)
class FloorQueries:
    registry: Registry
    dialect: Dialect
    table: str = "raw_orders"

    @property
    def date_column(self) -> str:
        return next(iter(self.registry.sources.values())).date_column

    def parts(self, metric: Metric) -> list[Metric]:
        """The simple metrics a ratio or formula is made of (recursively)."""
        if metric.aggregation.type in SIMPLE:
            return [metric]
        if metric.aggregation.type not in ("ratio", "formula"):
            raise Unsupported(f"{metric.name}: a {metric.aggregation.type} inside a formula")
        by_name = self.registry.metrics_by_name
        return [p for name in metric.depends_on for p in self.parts(by_name[name])]

    def expression(self, metric: Metric, shared: str | None) -> Sql:
        agg = metric.aggregation
        if agg.type in SIMPLE:
            own = condition(agg.filters)
            return Sql(_simple(agg, None if own == shared else own))
        by_name = self.registry.metrics_by_name
        if agg.type == "ratio":
            top = self.expression(by_name[agg.numerator], shared)
            bottom = self.expression(by_name[agg.denominator], shared)
            return Sql(f"(1.0 * {top} / NULLIF({bottom}, 0) * {agg.scale})")
        tree = parse_formula(agg.expression)
        return Sql(
            fold(
                tree,
                lambda n: Sql(f"(1.0 * {self.expression(by_name[n], shared)})"),
                lambda a, b: Sql(f"({a} / NULLIF({b}, 0))"),
            )
        )

    def query(self, metric: Metric, bucket: str) -> tuple[str, float | None]:
        """(SQL, quantile): rows of (bucket, value), or with a quantile (bucket, x, rank, n)."""
        d = self.date_column
        b = (self.dialect.week if bucket == "week" else self.dialect.month).format(d=d)
        agg, t = metric.aggregation, self.table
        kind = agg.type
        if kind in SIMPLE or kind in ("ratio", "formula"):
            conditions = {condition(p.aggregation.filters) for p in self.parts(metric)}
            shared = conditions.pop() if len(conditions) == 1 else None
            value = self.expression(metric, shared)
            return f"SELECT {b} AS b, {value} AS v FROM {t}{_where(shared)} GROUP BY 1", None
        own = condition(agg.filters)
        if kind in ("first", "last"):
            # Every day of the source counts: a day whose rows all fail the filters is 0.
            order = "ASC" if kind == "first" else "DESC"
            bd = (self.dialect.week if bucket == "week" else self.dialect.month).format(d="day")
            value = f"CASE WHEN {own} THEN {agg.column} END" if own else agg.column
            day_sum = f"COALESCE(SUM({value}), 0)"
            return (
                f"WITH d AS (SELECT {d} AS day, {day_sum} AS s FROM {t} "
                f"GROUP BY 1), r AS (SELECT {bd} AS b, s, ROW_NUMBER() OVER "
                f"(PARTITION BY {bd} ORDER BY day {order}) AS rn FROM d) "
                "SELECT b, s FROM r WHERE rn = 1"
            ), None
        q = 0.5 if kind == "median" else agg.percentile / 100
        not_null = f"{agg.column} IS NOT NULL"
        if self.dialect.quantile is not None:
            value = self.dialect.quantile(agg.column, q)
            return f"SELECT {b} AS b, {value} AS v FROM {t}{_where(not_null, own)} GROUP BY 1", None
        return (
            f"WITH r AS (SELECT {b} AS b, {agg.column} AS x, ROW_NUMBER() OVER "
            f"(PARTITION BY {b} ORDER BY {agg.column}) AS rn, COUNT(*) OVER (PARTITION BY {b}) "
            f"AS n FROM {t}{_where(not_null, own)}) SELECT b, x, rn, n FROM r "
            f"WHERE rn BETWEEN CAST((n - 1) * {q} AS INTEGER) + 1 "
            f"AND CAST((n - 1) * {q} AS INTEGER) + 2"
        ), q

    def all_queries(self) -> Iterator[tuple[str, str, str, float | None]]:
        """(metric, bucket, SQL, quantile) for every metric and both buckets."""
        for metric in self.registry.metrics:
            for bucket in BUCKETS:
                sql, quantile = self.query(metric, bucket)
                yield metric.name, bucket, sql, quantile


def bucket_key(value: Any, bucket: str) -> str:
    return str(value)[: 10 if bucket == "week" else 7]


def collect(rows: list[tuple[Any, ...]], bucket: str, quantile: float | None) -> dict[str, float]:
    """A query's rows as {bucket: value}; rank rows are interpolated like percentile_cont."""
    if quantile is None:
        return {bucket_key(b, bucket): (None if v is None else float(v)) for b, v in rows}
    around: dict[str, dict[int, float]] = {}
    sizes: dict[str, int] = {}
    for b, x, rank, n in rows:
        key = bucket_key(b, bucket)
        around.setdefault(key, {})[int(rank)] = float(x)
        sizes[key] = int(n)
    values = {}
    for key, ranks in around.items():
        exact = (sizes[key] - 1) * quantile
        low = int(exact)
        low_value = ranks[low + 1]
        values[key] = low_value + (exact - low) * (ranks.get(low + 2, low_value) - low_value)
    return values
