"""How a metric's value for a period is computed from raw rows or other metrics."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from wbr.registry.base import StrictModel


class SumAggregation(StrictModel):
    type: Literal["sum"]
    column: str


class CountAggregation(StrictModel):
    """Number of raw rows in the period (`column` given: rows where it is not null)."""

    type: Literal["count"]
    column: str | None = None


class MeanAggregation(StrictModel):
    """Average of the non-null values in the period: period sum / period count."""

    type: Literal["mean"]
    column: str


class RatioAggregation(StrictModel):
    """Period total of one metric divided by the period total of another."""

    type: Literal["ratio"]
    numerator: str
    denominator: str
    scale: float = 1.0  # e.g. 1000 for "per thousand"


Aggregation = Annotated[
    SumAggregation | CountAggregation | MeanAggregation | RatioAggregation,
    Field(discriminator="type"),
]
