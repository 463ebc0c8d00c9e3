"""How a metric's value for a period is computed from raw rows or other metrics.

Three classes, by how a period's value relates to its days (docs/calculations.md):

- additive (`sum`, `count`, `mean` as sum over count): rolled up from daily values;
- semi-additive (`min`, `max`, `first`, `last`): the extreme or the edge of the period;
- non-additive (`count_distinct`, `median`, `percentile`): computed per period
  from the raw rows, in SQL.

Ratios and formulas combine other metrics' period values.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from wbr.registry.base import StrictModel

Scalar = str | int | float | bool | date


class FilterOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


NULL_CHECKS = (FilterOp.IS_NULL, FilterOp.NOT_NULL)
LIST_OPS = (FilterOp.IN, FilterOp.NOT_IN)


class Filter(StrictModel):
    """One condition on a raw column; compiled to SQL with bound parameters."""

    column: str
    op: FilterOp = FilterOp.EQ
    value: Scalar | tuple[Scalar, ...] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if self.op in NULL_CHECKS:
            if self.value is not None:
                raise ValueError(f"`{self.op.value}` takes no `value`")
        elif self.op in LIST_OPS:
            if not isinstance(self.value, tuple) or not self.value:
                raise ValueError(f"`{self.op.value}` needs a non-empty list as `value`")
        elif self.value is None or isinstance(self.value, tuple):
            raise ValueError(f"`{self.op.value}` needs a single `value` (use is_null for nulls)")
        return self


class _ColumnAggregation(StrictModel):
    column: str
    filters: tuple[Filter, ...] = ()


class SumAggregation(_ColumnAggregation):
    type: Literal["sum"]


class CountAggregation(StrictModel):
    """Number of raw rows in the period (`column` given: rows where it is not null)."""

    type: Literal["count"]
    column: str | None = None
    filters: tuple[Filter, ...] = ()


class MeanAggregation(_ColumnAggregation):
    """Average of the non-null values in the period: period sum / period count."""

    type: Literal["mean"]


class MinAggregation(_ColumnAggregation):
    type: Literal["min"]


class MaxAggregation(_ColumnAggregation):
    type: Literal["max"]


class FirstAggregation(_ColumnAggregation):
    """The day's total on the period's first day (opening balance, headcount)."""

    type: Literal["first"]


class LastAggregation(_ColumnAggregation):
    """The day's total on the period's last day (closing balance, headcount)."""

    type: Literal["last"]


class CountDistinctAggregation(_ColumnAggregation):
    """Distinct non-null values in the period (weekly active customers)."""

    type: Literal["count_distinct"]


class MedianAggregation(_ColumnAggregation):
    type: Literal["median"]


class PercentileAggregation(_ColumnAggregation):
    """The p-th percentile (0-100) of the period's values, interpolated linearly."""

    type: Literal["percentile"]
    percentile: Annotated[float, Field(gt=0, lt=100)]


class RatioAggregation(StrictModel):
    """Period total of one metric divided by the period total of another."""

    type: Literal["ratio"]
    numerator: str
    denominator: str
    scale: float = 1.0  # e.g. 1000 for "per thousand"


class FormulaAggregation(StrictModel):
    """Arithmetic over other metrics' period values: + − * /, numbers, parentheses."""

    type: Literal["formula"]
    expression: str = Field(min_length=1)


Aggregation = Annotated[
    SumAggregation
    | CountAggregation
    | MeanAggregation
    | MinAggregation
    | MaxAggregation
    | FirstAggregation
    | LastAggregation
    | CountDistinctAggregation
    | MedianAggregation
    | PercentileAggregation
    | RatioAggregation
    | FormulaAggregation,
    Field(discriminator="type"),
]

ADDITIVE = (SumAggregation, CountAggregation, MeanAggregation)
SEMI_ADDITIVE = (MinAggregation, MaxAggregation, FirstAggregation, LastAggregation)
NON_ADDITIVE = (CountDistinctAggregation, MedianAggregation, PercentileAggregation)
FROM_METRICS = (RatioAggregation, FormulaAggregation)
