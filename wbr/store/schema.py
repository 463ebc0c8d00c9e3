"""The store's own tables, in SQLAlchemy Core.

This metadata is the reference the Alembic migrations must reproduce exactly
(a test compares them). Raw tables, whose columns follow each source, are not
declared here: see `wbr.store.raw`.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

# Stable constraint names, so migrations can drop or alter them on any database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GRAINS = ("week", "month", "mtd", "qtd", "ytd")
RUN_STATUSES = ("running", "succeeded", "failed")

# Prefix of the tables connectors load; they belong to the data, not the schema.
RAW_TABLE_PREFIX = "raw_"

metadata = MetaData(naming_convention=NAMING_CONVENTION)

metric_values = Table(
    "metric_values",
    metadata,
    Column("metric", String(200), nullable=False),
    Column("grain", String(16), nullable=False),  # one of GRAINS
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    # value is None when it cannot be computed (e.g. a ratio over a zero base).
    Column("value", Float, nullable=True),
    Column("numerator", Float, nullable=True),
    Column("denominator", Float, nullable=True),
    Column("days_present", Integer, nullable=False),
    Column("days_expected", Integer, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("metric", "grain", "period_start", "period_end"),
    # The deck reads "all metrics for the periods ending on this week".
    Index("ix_metric_values_grain_period_end", "grain", "period_end"),
)

load_runs = Table(
    "load_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("table_name", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("rows_loaded", Integer, nullable=True),
    Column("status", String(16), nullable=False),  # one of RUN_STATUSES
    Column("error", Text, nullable=True),
    # Added in 0002: what an incremental load rejected and how far it got.
    Column("rows_rejected", Integer, nullable=True),
    Column("watermark", String(64), nullable=True),
    Column("mode", String(16), nullable=True),  # "full" or "incremental"
    # Also 0002: what the source delivered, the window replaced, what to notice,
    # and which process ran the load (so `wbr status` can tell a dead one).
    Column("rows_read", Integer, nullable=True),
    Column("window_start", String(64), nullable=True),
    Column("warnings", Text, nullable=True),
    Column("pid", Integer, nullable=True),
    Column("host", String(255), nullable=True),
)

compute_runs = Table(
    "compute_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("metrics_computed", Integer, nullable=True),
    Column("periods_written", Integer, nullable=True),
    Column("status", String(16), nullable=False),  # one of RUN_STATUSES
    Column("error", Text, nullable=True),
    # Added in 0004: the newest load run this computation accounted for.
    Column("load_runs_through", Integer, nullable=True),
)

# Added in 0004: what the last computation saw of each metric, so a refresh
# recomputes only what changed (wbr/compute/state.py). The daily arrays are a
# cache of the raw tables' daily aggregates, kept as compact binary.
metric_series = Table(
    "metric_series",
    metadata,
    Column("metric", String(200), primary_key=True),
    Column("definition", String(64), nullable=False),
    Column("first_day", Date, nullable=True),
    Column("present", LargeBinary, nullable=True),
    Column("sums", LargeBinary, nullable=True),
    Column("counts", LargeBinary, nullable=True),
    Column("extremes", LargeBinary, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def is_app_table(name: str | None) -> bool:
    """True for tables the migrations own, false for raw tables loaded from sources."""
    return bool(name) and not str(name).startswith(RAW_TABLE_PREFIX)


# Added in 0003: anomaly detection (wbr/anomalies). A flag's identity is
# (metric, week_ending, detector): a refresh updates the row in place, and a
# flag that no longer fires is marked resolved, never deleted, so whatever is
# attached to its id survives.
FLAG_STATUSES = ("open", "explained", "resolved")
SEVERITIES = ("low", "medium", "high")

detection_runs = Table(
    "detection_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),  # one of RUN_STATUSES
    Column("metrics_scored", Integer, nullable=True),
    Column("flags_open", Integer, nullable=True),
    Column("flags_resolved", Integer, nullable=True),
    Column("error", Text, nullable=True),
)

anomaly_flags = Table(
    "anomaly_flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("metric", String(200), nullable=False),
    Column("week_ending", Date, nullable=False),
    Column("detector", String(32), nullable=False),  # wow, robust, seasonal
    Column("status", String(16), nullable=False),  # one of FLAG_STATUSES
    Column("expected", Float, nullable=False),
    Column("lower_bound", Float, nullable=False),
    Column("upper_bound", Float, nullable=False),
    Column("actual", Float, nullable=False),
    Column("deviation", Float, nullable=False),  # actual - expected
    Column("deviation_pct", Float, nullable=True),  # None for a zero expectation
    Column("score", Float, nullable=False),  # signed, in band half-widths
    Column("severity", String(16), nullable=False),  # one of SEVERITIES
    Column("is_bad", Boolean, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("explained_by", String(200), nullable=True),  # a known event's name
    Column("comparison_week", Date, nullable=True),
    Column("contributors", Text, nullable=True),  # JSON: the root-cause hint
    Column("run_id", Integer, nullable=False),  # the detection run that last wrote it
    Column("first_detected_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_anomaly_flags_identity", "metric", "week_ending", "detector", unique=True),
    # The deck reads "all flags of this week".
    Index("ix_anomaly_flags_week_ending", "week_ending"),
)
