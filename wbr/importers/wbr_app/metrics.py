"""The reference app's `metrics:` → wbr metric definitions.

Column metrics (`column` + `aggf`) and filter metrics (`filter` + `aggf`) read the
imported CSV source; function metrics (`divide`, `sum`, `difference`, `product`)
combine other metrics' period values, which is what the reference does too
(aggregate first, then combine). Whatever does not translate is noted and left out;
a function metric built on a metric that was left out is left out with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wbr.importers.names import NameMap
from wbr.importers.notes import ImportNote, NoteLevel
from wbr.importers.wbr_app.query import UntranslatableQuery, query_to_filters

# The reference's `aggf` (pandas aggregation names) → wbr aggregation types.
AGGREGATIONS = {
    "sum": "sum",
    "mean": "mean",
    "min": "min",
    "max": "max",
    "first": "first",
    "last": "last",
    "count": "count",
    "median": "median",
    "nunique": "count_distinct",
}
FUNCTION_OPERATORS = {"sum": " + ", "difference": " - ", "product": " * "}
# The reference combines only the first two operands of these functions.
TWO_OPERAND_FUNCTIONS = ("divide", "difference", "product")
COLUMN_KEYS = {"column", "aggf", "filter", "metric_comparison_method", "box_total_scaling"}
FUNCTION_KEYS = {"function", "metric_comparison_method", "box_total_scaling"}
DEFAULT_OWNER = "unassigned"
DEFAULT_KIND = "output"


@dataclass
class MetricsResult:
    metrics: list[dict[str, Any]] = field(default_factory=list)  # in the config's order
    left_out: set[str] = field(default_factory=set)  # reference names not translated


def translate_metrics(
    raw: Mapping[str, Any],
    source: str,
    columns: tuple[str, ...],
    names: NameMap,
    notes: list[ImportNote],
) -> MetricsResult:
    result = MetricsResult()
    for original in raw:  # every name first, so renames do not depend on dependency order
        names.add(str(original))
    translated: dict[str, dict[str, Any]] = {}
    functions: dict[str, Mapping[str, Any]] = {}
    for original, config in raw.items():
        where = f"metrics.{original}"
        if not isinstance(config, Mapping):
            notes.append(_left_out(where, "is not a mapping of settings"))
            result.left_out.add(original)
        elif "function" in config:
            functions[original] = config
        else:
            metric = _column_metric(original, config, source, columns, names, where, notes)
            if metric is None:
                result.left_out.add(original)
            else:
                translated[original] = metric
    _translate_functions(functions, translated, result.left_out, names, notes)
    result.metrics = [translated[name] for name in raw if name in translated]
    return result


def _left_out(where: str, why: str) -> ImportNote:
    return ImportNote(NoteLevel.NOT_TRANSLATED, where, f"{why}; the metric is left out")


def _base(original: str, names: NameMap, how: str) -> dict[str, Any]:
    return {
        "name": names.add(original),
        "label": original,  # replaced by the deck's legend name or title, if any
        "description": f"Imported from the wbr-app metric `{original}` ({how}).",
        "kind": DEFAULT_KIND,
        "owner": DEFAULT_OWNER,
    }


def _comparison(config: Mapping[str, Any], where: str, notes: list[ImportNote]) -> str | None:
    if "box_total_scaling" in config:
        notes.append(
            ImportNote(
                NoteLevel.NOT_TRANSLATED,
                f"{where}.box_total_scaling",
                f"`{config['box_total_scaling']}` is not read by the reference app (its box shows "
                "percent changes for this metric), so wbr keeps percent; set `comparison: bps` "
                "to compare in basis points",
            )
        )
    method = config.get("metric_comparison_method")
    if method is None or method == "%":
        return None
    if method == "bps":
        return "bps"
    notes.append(
        ImportNote(
            NoteLevel.NOT_TRANSLATED,
            f"{where}.metric_comparison_method",
            f"unknown method {method!r}; comparing in percent (use `comparison: bps` for rates)",
        )
    )
    return None


def _unknown_keys(config: Mapping[str, Any], known: set[str], where: str) -> list[ImportNote]:
    return [
        ImportNote(NoteLevel.NOT_TRANSLATED, f"{where}.{key}", "unknown setting, not translated")
        for key in config
        if key not in known
    ]


def _column_metric(
    original: str,
    config: Mapping[str, Any],
    source: str,
    columns: tuple[str, ...],
    names: NameMap,
    where: str,
    notes: list[ImportNote],
) -> dict[str, Any] | None:
    notes.extend(_unknown_keys(config, COLUMN_KEYS, where))
    aggf = config.get("aggf")
    if aggf not in AGGREGATIONS:
        notes.append(_left_out(where, f"`aggf: {aggf}` has no wbr aggregation"))
        return None
    filters: list[dict[str, Any]] = []
    if "filter" in config:
        spec = config["filter"]
        column = spec.get("base_column") if isinstance(spec, Mapping) else None
        try:
            filters = query_to_filters(str(spec.get("query", ""))) if column else []
        except UntranslatableQuery as error:
            notes.append(_left_out(f"{where}.filter.query", str(error)))
            return None
    else:
        column = config.get("column")
    if not isinstance(column, str) or not column:
        notes.append(_left_out(where, "has no `column` (or `filter.base_column`)"))
        return None
    missing = [c for c in (column, *(f["column"] for f in filters)) if c not in columns]
    if missing:
        notes.append(
            _left_out(where, f"column(s) {', '.join(map(repr, missing))} are not in the data")
        )
        return None
    kind = AGGREGATIONS[aggf]
    how = f"{aggf} of column `{column}`" + (
        f" where {config['filter']['query']}" if filters else ""
    )
    metric = _base(original, names, how)
    metric["source"] = source
    aggregation: dict[str, Any] = {"type": kind, "column": column}
    if filters:
        aggregation["filters"] = filters
    metric["aggregation"] = aggregation
    comparison = _comparison(config, where, notes)
    if comparison is not None:
        metric["comparison"] = comparison
    return metric


def _function_parts(config: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The function's operator and the metric names it combines ([] when malformed)."""
    spec = config["function"]
    if not isinstance(spec, Mapping) or len(spec) != 1:
        return None, []
    operator = str(next(iter(spec)))
    items = spec[operator]
    names: list[str] = []
    for item in items if isinstance(items, list) else []:
        ref = (item.get("metric") or item.get("column")) if isinstance(item, Mapping) else None
        if not isinstance(ref, Mapping) or not isinstance(ref.get("name"), str):
            return operator, []
        names.append(ref["name"])
    return operator, names


def _translate_functions(
    functions: dict[str, Mapping[str, Any]],
    translated: dict[str, dict[str, Any]],
    left_out: set[str],
    names: NameMap,
    notes: list[ImportNote],
) -> None:
    """Translate in dependency order, as the reference evaluates them."""
    pending = dict(functions)
    while pending:
        ready = [
            name
            for name, config in pending.items()
            if not any(operand in pending for operand in _function_parts(config)[1])
        ]
        if not ready:
            for original in pending:
                notes.append(_left_out(f"metrics.{original}", "its functions form a cycle"))
                left_out.add(original)
            return
        for original in ready:
            metric = _function_metric(original, pending.pop(original), translated, names, notes)
            if metric is None:
                left_out.add(original)
            else:
                translated[original] = metric


def _function_metric(
    original: str,
    config: Mapping[str, Any],
    translated: dict[str, dict[str, Any]],
    names: NameMap,
    notes: list[ImportNote],
) -> dict[str, Any] | None:
    where = f"metrics.{original}"
    operator, operands = _function_parts(config)
    if operator not in (*FUNCTION_OPERATORS, "divide") or len(operands) < 2:
        notes.append(
            _left_out(
                where,
                "the function is not divide, sum, difference or product over two or more "
                "`- metric: {name: …}` items",
            )
        )
        return None
    missing = [operand for operand in operands if operand not in translated]
    if missing:
        listed = ", ".join(f"`{operand}`" for operand in missing)
        notes.append(_left_out(where, f"it combines {listed}, not a translated metric"))
        return None
    notes.extend(_unknown_keys(config, FUNCTION_KEYS, where))
    if operator in TWO_OPERAND_FUNCTIONS and len(operands) > 2:
        notes.append(
            ImportNote(
                NoteLevel.CHANGED,
                f"{where}.function.{operator}",
                f"has {len(operands)} operands; the reference combines only the first two, "
                "and so does the import",
            )
        )
        operands = operands[:2]
    parts = [names.add(operand) for operand in operands]
    if operator == "divide":
        how = f"`{operands[0]}` divided by `{operands[1]}`, each aggregated over the period first"
        aggregation: dict[str, Any] = {
            "type": "ratio",
            "numerator": parts[0],
            "denominator": parts[1],
        }
    else:
        listed = ", ".join(f"`{operand}`" for operand in operands)
        how = f"{operator} of {listed}, each aggregated over the period first"
        aggregation = {"type": "formula", "expression": FUNCTION_OPERATORS[operator].join(parts)}
    metric = _base(original, names, how)
    metric["aggregation"] = aggregation
    comparison = _comparison(config, where, notes)
    if comparison is not None:
        metric["comparison"] = comparison
    return metric
