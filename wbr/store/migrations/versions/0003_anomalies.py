"""Anomaly detection: flags with a stable identity, and the runs that wrote them.

Written by hand to match `wbr.store.schema`; a test compares the two.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "detection_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("metrics_scored", sa.Integer(), nullable=True),
        sa.Column("flags_open", sa.Integer(), nullable=True),
        sa.Column("flags_resolved", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_detection_runs"),
    )
    op.create_table(
        "anomaly_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("week_ending", sa.Date(), nullable=False),
        sa.Column("detector", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("lower_bound", sa.Float(), nullable=False),
        sa.Column("upper_bound", sa.Float(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=False),
        sa.Column("deviation", sa.Float(), nullable=False),
        sa.Column("deviation_pct", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("is_bad", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("explained_by", sa.String(200), nullable=True),
        sa.Column("comparison_week", sa.Date(), nullable=True),
        sa.Column("contributors", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_anomaly_flags"),
    )
    op.create_index(
        "ix_anomaly_flags_identity",
        "anomaly_flags",
        ["metric", "week_ending", "detector"],
        unique=True,
    )
    op.create_index("ix_anomaly_flags_week_ending", "anomaly_flags", ["week_ending"])


def downgrade() -> None:
    op.drop_index("ix_anomaly_flags_week_ending", table_name="anomaly_flags")
    op.drop_index("ix_anomaly_flags_identity", table_name="anomaly_flags")
    op.drop_table("anomaly_flags")
    op.drop_table("detection_runs")
