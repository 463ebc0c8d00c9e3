"""Load history: rejected rows, watermarks and load modes on every run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("load_runs") as batch:
        batch.add_column(sa.Column("rows_rejected", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("watermark", sa.String(64), nullable=True))
        batch.add_column(sa.Column("mode", sa.String(16), nullable=True))
        batch.add_column(sa.Column("rows_read", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("window_start", sa.String(64), nullable=True))
        batch.add_column(sa.Column("warnings", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("load_runs") as batch:
        batch.drop_column("host")
        batch.drop_column("pid")
        batch.drop_column("warnings")
        batch.drop_column("window_start")
        batch.drop_column("rows_read")
        batch.drop_column("mode")
        batch.drop_column("watermark")
        batch.drop_column("rows_rejected")
