"""The reference app's pandas `query` strings → wbr's structured filters.

Only conjunctions of simple comparisons translate: `Country == 'US'`,
`` `Unit Price` >= 10 and Channel != "web" ``, `Region in ['EU', 'UK']`.
Anything else (`or`, arithmetic, function calls) raises `UntranslatableQuery`
so the importer can report it instead of guessing.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from wbr.registry.aggregations import FilterOp

_COMPARISONS: dict[type[ast.cmpop], FilterOp] = {
    ast.Eq: FilterOp.EQ,
    ast.NotEq: FilterOp.NE,
    ast.Gt: FilterOp.GT,
    ast.GtE: FilterOp.GE,
    ast.Lt: FilterOp.LT,
    ast.LtE: FilterOp.LE,
    ast.In: FilterOp.IN,
    ast.NotIn: FilterOp.NOT_IN,
}
# pandas writes a column name with spaces between backticks: `Unit Price`.
_BACKTICKED = re.compile(r"`([^`]+)`")


class UntranslatableQuery(ValueError):
    """The query uses more than `and`-joined comparisons of a column with values."""


def query_to_filters(query: str) -> list[dict[str, Any]]:
    """`"Country == 'US'"` → `[{"column": "Country", "op": "eq", "value": "US"}]`."""
    columns: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        key = f"__column_{len(columns)}"
        columns[key] = match.group(1)
        return key

    text = _ampersands_to_and(_BACKTICKED.sub(placeholder, query.strip()))
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as error:
        raise UntranslatableQuery(f"cannot parse {query!r}: {error.msg}") from error
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    return [_comparison(part, columns, query) for part in parts]


def _ampersands_to_and(text: str) -> str:
    """pandas reads `&` like `and`; Python would bind it tighter than `==`."""
    out: list[str] = []
    quote: str | None = None
    for char in text:
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
        out.append(" and " if char == "&" and quote is None else char)
    return "".join(out)


def _show(node: ast.expr, columns: dict[str, str]) -> str:
    """The node as the user wrote it, with backticked column names put back."""
    text = ast.unparse(node)
    for key, column in columns.items():
        text = text.replace(key, f"`{column}`")
    return text


def _comparison(node: ast.expr, columns: dict[str, str], query: str) -> dict[str, Any]:
    if not (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and type(node.ops[0]) in _COMPARISONS
        and isinstance(node.left, ast.Name)
    ):
        raise UntranslatableQuery(
            f"`{_show(node, columns)}` in {query!r} is not a comparison of a column with a value; "
            "only `column == value` (also != > >= < <=, in, not in) joined by `and` translate"
        )
    column = columns.get(node.left.id, node.left.id)
    op = _COMPARISONS[type(node.ops[0])]
    value = _value(node.comparators[0], columns, query)
    if (op in (FilterOp.IN, FilterOp.NOT_IN)) != isinstance(value, list):
        raise UntranslatableQuery(f"`{_show(node, columns)}` in {query!r}: `in` needs a list")
    return {"column": column, "op": op.value, "value": value}


def _value(node: ast.expr, columns: dict[str, str], query: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError as error:
        raise UntranslatableQuery(
            f"`{_show(node, columns)}` in {query!r} is not a literal value"
        ) from error
    if isinstance(value, tuple | list | set):
        return sorted(value, key=str) if isinstance(value, set) else list(value)
    if not isinstance(value, str | int | float | bool):
        raise UntranslatableQuery(f"`{_show(node, columns)}` in {query!r} is not a literal value")
    return value
