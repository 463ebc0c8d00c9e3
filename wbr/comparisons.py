"""Comparisons of a current value with a base: percent change or basis points.

A comparison with a missing, incomplete or zero base is N/A (None), never 0.
"""

from __future__ import annotations

import math

from wbr.deck.model import Change, PlanVariance
from wbr.registry.models import Comparison

PERCENT = 100.0
BASIS_POINTS_PER_UNIT = 10_000.0  # rates are fractions: 0.0001 is one basis point


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def percent_change(current: float | None, base: float | None) -> float | None:
    """(current / base − 1) × 100, or None when either side is missing or base is 0."""
    if not _known(current) or not _known(base) or base == 0:
        return None
    assert current is not None and base is not None
    return (current / base - 1.0) * PERCENT


def basis_point_change(current: float | None, base: float | None) -> float | None:
    """(current − base) × 10,000 for rates held as fractions, or None when one is missing."""
    if not _known(current) or not _known(base):
        return None
    assert current is not None and base is not None
    return (current - base) * BASIS_POINTS_PER_UNIT


def compare(current: float | None, base: float | None, how: Comparison) -> Change:
    if how is Comparison.BASIS_POINTS:
        return Change(basis_point_change(current, base), Comparison.BASIS_POINTS.value)
    return Change(percent_change(current, base), Comparison.PERCENT.value)


def variance_to_plan(actual: float | None, target: float | None) -> PlanVariance:
    """Actual − target, and (actual / target − 1) × 100; None where either is missing."""
    if not _known(actual) or not _known(target):
        return PlanVariance(target if _known(target) else None, None, None)
    assert actual is not None and target is not None
    return PlanVariance(target, actual - target, percent_change(actual, target))
