"""Compute state in blocks of days: a refresh rewrites a metric's last block, not all.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Each metric's four daily arrays (present, sums, counts, extremes) move from one row of
`metric_series` to rows of `metric_series_blocks`, one per 128 days by day ordinal
(`wbr.store.schema.SERIES_BLOCK_DAYS`, frozen here as it was when this ran). The
arrays are moved byte for byte, so nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BLOCK_DAYS = 128
ARRAYS = ("present", "sums", "counts", "extremes")
ITEM_BYTES = {"present": 1, "sums": 8, "counts": 8, "extremes": 8}  # bool, float64 ×3

_series = sa.table(
    "metric_series",
    sa.column("metric", sa.String),
    sa.column("first_day", sa.Date),
    *(sa.column(name, sa.LargeBinary) for name in ARRAYS),
)
_blocks = sa.table(
    "metric_series_blocks",
    sa.column("metric", sa.String),
    sa.column("block", sa.Integer),
    *(sa.column(name, sa.LargeBinary) for name in ARRAYS),
)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _split(first_day: date, arrays: dict[str, bytes]) -> Iterator[dict[str, object]]:
    """Each block's slice of the arrays (the day numbers are the ordinals)."""
    days = len(arrays["present"])
    start = first_day.toordinal()
    offset = 0
    while offset < days:
        block = (start + offset) // BLOCK_DAYS
        end = min(days, (block + 1) * BLOCK_DAYS - start)
        yield {
            "block": block,
            **{
                name: arrays[name][offset * ITEM_BYTES[name] : end * ITEM_BYTES[name]]
                for name in ARRAYS
            },
        }
        offset = end


def upgrade() -> None:
    op.create_table(
        "metric_series_blocks",
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(name, sa.LargeBinary(), nullable=False) for name in ARRAYS),
        sa.PrimaryKeyConstraint("metric", "block", name="pk_metric_series_blocks"),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(_series).where(_series.c.first_day.is_not(None))).all()
    for row in rows:
        arrays = {name: bytes(getattr(row, name) or b"") for name in ARRAYS}
        # wbr never wrote arrays of different lengths; a row holding them is dropped, and
        # its metric computed again from the raw rows, as a metric with no state is.
        days = len(arrays["present"])
        if any(len(arrays[name]) != days * ITEM_BYTES[name] for name in ARRAYS):
            connection.execute(_series.delete().where(_series.c.metric == row.metric))
            continue
        blocks = [{"metric": row.metric, **block} for block in _split(_day(row.first_day), arrays)]
        if blocks:
            connection.execute(_blocks.insert(), blocks)
    with op.batch_alter_table("metric_series") as batch:
        for name in ARRAYS:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("metric_series") as batch:
        for name in ARRAYS:
            batch.add_column(sa.Column(name, sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    joined: dict[str, dict[str, list[bytes]]] = {}
    for row in connection.execute(
        sa.select(_blocks).order_by(_blocks.c.metric, _blocks.c.block)
    ).all():
        parts = joined.setdefault(row.metric, {name: [] for name in ARRAYS})
        for name in ARRAYS:
            parts[name].append(bytes(getattr(row, name)))
    for metric, parts in joined.items():
        connection.execute(
            _series.update()
            .where(_series.c.metric == metric)
            .values({name: b"".join(parts[name]) for name in ARRAYS})
        )
    op.drop_table("metric_series_blocks")
