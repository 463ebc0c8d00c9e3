"""Structured filters → SQL conditions with bound parameters (never SQL text from YAML)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from wbr.registry.aggregations import Filter, FilterOp


def filter_condition(filter_: Filter) -> sa.ColumnElement[bool]:
    column: sa.ColumnClause[Any] = sa.column(filter_.column)
    value = filter_.value
    match filter_.op:
        case FilterOp.IS_NULL:
            return column.is_(None)
        case FilterOp.NOT_NULL:
            return column.is_not(None)
        case FilterOp.IN:
            assert isinstance(value, tuple)
            return column.in_(value)
        case FilterOp.NOT_IN:
            assert isinstance(value, tuple)
            return column.not_in(value)
        case FilterOp.EQ:
            return column == value
        case FilterOp.NE:
            return column != value
        case FilterOp.GT:
            return column > value
        case FilterOp.GE:
            return column >= value
        case FilterOp.LT:
            return column < value
        case FilterOp.LE:
            return column <= value
    raise AssertionError(filter_.op)


def all_of(filters: Sequence[Filter]) -> sa.ColumnElement[bool] | None:
    """The conjunction of `filters`, or None when there are none."""
    if not filters:
        return None
    return sa.and_(*(filter_condition(f) for f in filters))
