"""What the store holds, read without importing compute (numpy): the deck's path."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wbr import calendar as cal
from wbr.store.schema import metric_values


def stored_week_endings(engine: Engine) -> list[date]:
    """Week-ending dates with stored values, oldest first."""
    query = (
        sa.select(metric_values.c.period_end)
        .where(metric_values.c.grain == cal.Grain.WEEK.value)
        .distinct()
        .order_by(metric_values.c.period_end)
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(query)]
