"""The periods a computation changed, so a served deck that shows none of them outlives it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL (every run before this revision): it may have changed any period.
    op.add_column("compute_runs", sa.Column("changed_periods", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compute_runs") as batch:
        batch.drop_column("changed_periods")
