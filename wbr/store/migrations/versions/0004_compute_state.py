"""Compute state: each metric's definition hash and daily series, for incremental refreshes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compute_runs") as batch:
        batch.add_column(sa.Column("load_runs_through", sa.Integer(), nullable=True))
    op.create_table(
        "metric_series",
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("definition", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("present", sa.LargeBinary(), nullable=True),
        sa.Column("sums", sa.LargeBinary(), nullable=True),
        sa.Column("counts", sa.LargeBinary(), nullable=True),
        sa.Column("extremes", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("metric", name="pk_metric_series"),
    )


def downgrade() -> None:
    op.drop_table("metric_series")
    with op.batch_alter_table("compute_runs") as batch:
        batch.drop_column("load_runs_through")
