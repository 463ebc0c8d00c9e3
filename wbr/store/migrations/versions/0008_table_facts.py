"""What a successful load left in its raw table: rows, first and newest day, gaps.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("load_runs") as batch:
        batch.add_column(sa.Column("table_rows", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("table_first_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("table_newest_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("table_missing_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("table_recent_missing", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("load_runs") as batch:
        batch.drop_column("table_recent_missing")
        batch.drop_column("table_missing_days")
        batch.drop_column("table_newest_day")
        batch.drop_column("table_first_day")
        batch.drop_column("table_rows")
