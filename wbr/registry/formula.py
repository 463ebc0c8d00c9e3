"""The small arithmetic language of derived metrics: `(revenue - cost) / orders * 100`.

Parsed with Python's `ast` and checked against a whitelist of node types, so
nothing but + − * /, unary minus, numbers, metric names and parentheses is ever
evaluated. Evaluation is vectorized over numpy arrays of period values; a
division by zero gives NaN (shown as N/A), never an error or infinity.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported when a formula is evaluated: validating needs none
    import numpy as np

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}


class FormulaError(ValueError):
    """The expression is not in the formula language; the message says why."""


# Real formulas are a line long and a few parentheses deep. Parsing, checking and
# evaluating all recurse through the tree, so both are capped well below Python's
# recursion limit (a long chain of operators is a deep tree too).
MAX_FORMULA_CHARS = 1_000
MAX_FORMULA_DEPTH = 100


def parse_formula(expression: str) -> ast.expr:
    if len(expression) > MAX_FORMULA_CHARS:
        raise FormulaError(
            f"the formula is {len(expression):,} characters long; at most "
            f"{MAX_FORMULA_CHARS:,} are allowed (split it into derived metrics)"
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise FormulaError(f"cannot parse {expression!r}: {error.msg}") from error
    except (RecursionError, MemoryError) as error:
        raise FormulaError("the formula nests too deeply to read") from error
    _check(tree.body)
    return tree.body


def _check(node: ast.expr, depth: int = 1) -> None:
    if depth > MAX_FORMULA_DEPTH:
        raise FormulaError(
            f"the formula nests more than {MAX_FORMULA_DEPTH} operations deep; "
            "split it into derived metrics"
        )
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            raise FormulaError("only + - * / are allowed")
        _check(node.left, depth + 1)
        _check(node.right, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise FormulaError("only a leading - or + is allowed")
        _check(node.operand, depth + 1)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"{node.value!r} is not a number")
    elif not isinstance(node, ast.Name):
        raise FormulaError(
            f"`{ast.unparse(node)}` is not allowed: use metric names, numbers, + - * / and ()"
        )


def formula_references(expression: str) -> tuple[str, ...]:
    """The metric names an expression uses, in order of first use; () if it does not parse."""
    try:
        tree = parse_formula(expression)
    except FormulaError:
        return ()
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return tuple(names)


def evaluate_formula(expression: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """The expression over arrays of period values (NaN in, NaN out; x/0 is NaN)."""
    return _evaluate(parse_formula(expression), values)


def _evaluate(node: ast.expr, values: Mapping[str, np.ndarray]) -> np.ndarray:
    import numpy as np

    if isinstance(node, ast.Name):
        return np.asarray(values[node.id], dtype=np.float64)
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # guaranteed by _check
        return np.asarray(float(node.value), dtype=np.float64)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return np.asarray(-operand if isinstance(node.op, ast.USub) else operand)
    assert isinstance(node, ast.BinOp)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if isinstance(node.op, ast.Div):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(np.where(right != 0, left / np.where(right != 0, right, 1), np.nan))
    return np.asarray(_BINARY[type(node.op)](left, right))
