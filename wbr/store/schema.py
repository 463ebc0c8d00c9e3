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
# What the CSV files were like at their last load (wbr.ingest.file_marks): it lives beside
# the raw tables, in the same transactions, and like them is no part of the app schema.
FILE_MARKS_TABLE = "wbr_file_marks"

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
    # Added in 0008: the raw table as a successful load left it (wbr/ingest/table_facts.py),
    # so `wbr status` need not open the raw store; NULL for a run that recorded none.
    Column("table_rows", Integer, nullable=True),
    Column("table_first_day", Date, nullable=True),
    Column("table_newest_day", Date, nullable=True),
    Column("table_missing_days", Integer, nullable=True),
    Column("table_recent_missing", String(200), nullable=True),  # ISO days, newest first
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
    # Added in 0007: the periods whose value it wrote or removed, as JSON (NULL: it may
    # have changed any); a served deck that shows none of them is kept.
    Column("changed_periods", Text, nullable=True),
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
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A metric's daily arrays (wbr/compute/state.py), in blocks of SERIES_BLOCK_DAYS days
# (block n holds the days whose ordinal // SERIES_BLOCK_DAYS is n, from the series'
# first day on): a refresh that adds a week rewrites the last block or two of each
# metric, not its whole history (8 MB at 300 metrics over three years).
SERIES_BLOCK_DAYS = 128
metric_series_blocks = Table(
    "metric_series_blocks",
    metadata,
    Column("metric", String(200), primary_key=True),
    Column("block", Integer, primary_key=True, autoincrement=False),
    Column("present", LargeBinary, nullable=False),
    Column("sums", LargeBinary, nullable=False),
    Column("counts", LargeBinary, nullable=False),
    Column("extremes", LargeBinary, nullable=False),
)


def is_app_table(name: str | None) -> bool:
    """True for tables the migrations own, false for raw tables loaded from sources
    (and the file marks kept with them, in a store that holds both)."""
    return bool(name) and not str(name).startswith(RAW_TABLE_PREFIX) and name != FILE_MARKS_TABLE


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


# Added in 0005: people, sign-in and the owners' notes (wbr/people, wbr/notes).
# A person's `key` is the stable handle a metric's `owner:` names in metrics.yaml.
ROLES = ("viewer", "owner", "admin")

people = Table(
    "people",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("role", String(16), nullable=False),  # one of ROLES
    Column("active", Boolean, nullable=False),
    # Werkzeug's scrypt hash (algorithm, parameters and salt inside); None: cannot sign in
    # with a password (proxy sign-on only, or not yet set).
    Column("password_hash", String(255), nullable=True),
    Column("failed_sign_ins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A metric's owner may hand it to a second person, who then writes on it too.
metric_delegates = Table(
    "metric_delegates",
    metadata,
    Column("metric", String(200), nullable=False),
    Column("person", String(200), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("metric", "person"),
)

# Server-side sessions: the signed cookie carries only the id, so a session can be
# revoked (sign-out, a disabled person) and expires whatever the cookie says.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("person", String(200), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_web_sessions_person", "person"),
)

# Settings the app generates once and keeps, such as the cookie-signing secret.
app_settings = Table(
    "app_settings",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A note is attached to a metric-week, or to a flag through its identity
# (metric, week_ending, detector), never to a flag row id: flags are rewritten by
# every detection run, notes must outlive them. `detector` is "" for a note on
# the metric-week itself.
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("metric", String(200), nullable=False),
    Column("week_ending", Date, nullable=False),
    Column("detector", String(32), nullable=False),
    Column("revision", Integer, nullable=False),  # the newest revision's number
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("deleted_by", String(200), nullable=True),
    Index("ix_notes_identity", "metric", "week_ending", "detector", unique=True),
    Index("ix_notes_week_ending", "week_ending"),
)

# Every edit is a new row; nothing is updated in place, so the history is complete.
note_revisions = Table(
    "note_revisions",
    metadata,
    Column("note_id", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("action", String(16), nullable=False),  # written, deleted, restored, imported
    Column("status", String(32), nullable=False),
    Column("category", String(32), nullable=True),
    Column("text", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("note_id", "revision"),
)

# Who did what, when: every write through the app and every change to people.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),  # a person's key, or "cli:<user>"
    Column("action", String(64), nullable=False),
    Column("target", String(400), nullable=False),
    Column("detail", Text, nullable=True),
    Index("ix_audit_log_at", "at"),
)


# Added in 0006: the weekly ritual (wbr/schedule, wbr/notify).
# Every run of a scheduled job: `scheduled_for` is the fire time it stands for, so a
# refresh is run once per fire time whoever runs it, and a retry is a new attempt row.
SCHEDULED_RUN_STATUSES = ("running", "succeeded", "failed", "interrupted", "missed")

scheduled_runs = Table(
    "scheduled_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(32), nullable=False),  # "refresh"
    Column("scheduled_for", DateTime(timezone=True), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("trigger", String(16), nullable=False),  # "schedule" or "manual"
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),  # one of SCHEDULED_RUN_STATUSES
    Column("error", Text, nullable=True),
    Column("summary", Text, nullable=True),  # JSON: rows loaded per source, values, flags
    Column("week_ending", Date, nullable=True),  # the deck's week once the refresh finished
    Column("pid", Integer, nullable=True),
    Column("host", String(255), nullable=True),
    Index("ix_scheduled_runs_job_scheduled_for", "job", "scheduled_for"),
)

# One row per lock name. A holder renews `expires_at` while it works; a killed holder
# stops renewing, so its lock is free once it expires (at once on the same host).
job_locks = Table(
    "job_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),  # a random token of this acquisition
    Column("pid", Integer, nullable=False),
    Column("host", String(255), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# One row per (event, recipient): the unique index makes queuing idempotent, and the
# status makes sending so: a retry or a rerun finds the row sent and sends nothing.
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(300), nullable=False),  # "deck_ready/2026-11-28"
    Column("kind", String(32), nullable=False),  # a MessageKind
    Column("channel", String(16), nullable=False),  # "email" or "webhook"
    Column("recipient", String(320), nullable=False),  # an address or a webhook's name
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),  # JSON: the message's text, links and fields
    Column("status", String(16), nullable=False),  # one of OUTBOX_STATUSES
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_identity", "event", "channel", "recipient", unique=True),
    Index("ix_outbox_status", "status"),
)
