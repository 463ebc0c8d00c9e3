"""Representative rows of every app table, as each schema revision first had it.

`rows_at(revision)` gives (table, rows) for the tables that exist at that revision,
with only the columns that revision had, so a store built at an old revision can be
filled the way an old wbr filled it and then upgraded. Used by the upgrade and
backup tests.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Engine, LargeBinary, MetaData, Table, select

from wbr.store.schema import metadata

AT = datetime(2024, 3, 18, 6, 30, tzinfo=UTC)
LATER = datetime(2024, 3, 19, 9, 15, tzinfo=UTC)
WEEK = date(2024, 3, 16)
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")

# A metric's daily arrays over 200 days, as compute saved them (bool, then float64s).
SERIES_FIRST_DAY = date(2023, 1, 1)
SERIES_ARRAYS: dict[str, bytes] = {
    "present": bytes((n % 7 != 3) for n in range(200)),
    "sums": struct.pack("<200d", *(n * 1.5 for n in range(200))),
    "counts": struct.pack("<200d", *(float(n % 9) for n in range(200))),
    "extremes": struct.pack("<200d", *([math.nan] * 200)),
}
_WIDTH = {"present": 1, "sums": 8, "counts": 8, "extremes": 8}

# (revision that added the table or columns, table, rows)
_ROWS: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "0001",
        "metric_values",
        [
            {
                "metric": "clicks",
                "grain": grain,
                "period_start": start,
                "period_end": WEEK,
                "value": value,
                "numerator": value,
                "denominator": None,
                "days_present": days,
                "days_expected": days,
                "complete": True,
                "computed_at": AT,
            }
            for grain, start, value, days in (
                ("mtd", date(2024, 3, 1), 192.5, 16),  # primary-key order
                ("week", date(2024, 3, 10), 84.0, 7),
            )
        ],
    ),
    (
        "0001",
        "load_runs",
        [
            {
                "id": 1,
                "source": "traffic",
                "table_name": "raw_traffic",
                "started_at": AT,
                "finished_at": LATER,
                "rows_loaded": 441,
                "status": "succeeded",
                "error": None,
            },
            {
                "id": 2,
                "source": "orders",
                "table_name": "raw_orders",
                "started_at": LATER,
                "finished_at": None,
                "rows_loaded": None,
                "status": "failed",
                "error": "orders.csv line 7: 'abc' is not a number",
            },
        ],
    ),
    (
        "0001",
        "compute_runs",
        [
            {
                "id": 1,
                "started_at": AT,
                "finished_at": LATER,
                "metrics_computed": 6,
                "periods_written": 1200,
                "status": "succeeded",
                "error": None,
            }
        ],
    ),
    (
        "0003",
        "detection_runs",
        [
            {
                "id": 1,
                "started_at": AT,
                "finished_at": LATER,
                "status": "succeeded",
                "metrics_scored": 6,
                "flags_open": 1,
                "flags_resolved": 0,
                "error": None,
            }
        ],
    ),
    (
        "0003",
        "anomaly_flags",
        [
            {
                "id": 1,
                "metric": "clicks",
                "week_ending": WEEK,
                "detector": "robust",
                "status": "open",
                "expected": 170.0,
                "lower_bound": 150.0,
                "upper_bound": 190.0,
                "actual": 84.0,
                "deviation": -86.0,
                "deviation_pct": -50.6,
                "score": -4.3,
                "severity": "high",
                "is_bad": True,
                "explanation": "Clicks fell 51% below the usual 150-190.",
                "explained_by": None,
                "comparison_week": date(2024, 3, 9),
                "contributors": '[{"dimension": "channel", "value": "search"}]',
                "run_id": 1,
                "first_detected_at": AT,
                "updated_at": LATER,
            }
        ],
    ),
    (
        "0004",
        "metric_series",
        [
            {
                "metric": "clicks",
                "definition": "a" * 64,
                "first_day": SERIES_FIRST_DAY,
                **SERIES_ARRAYS,
                "updated_at": AT,
            },
            {  # a metric not read from raw rows: no daily arrays
                "metric": "ctr",
                "definition": "b" * 64,
                "first_day": None,
                **dict.fromkeys(SERIES_ARRAYS),
                "updated_at": AT,
            },
        ],
    ),
    (
        "0009",
        "metric_series_blocks",
        [
            # 2023-01-01 is day 738,521 (block 5,769 of 128 days: 738,432-738,559): its
            # first 39 days are the first block's, the next 128 the second's, the rest
            # the third's.
            {
                "metric": "clicks",
                "block": block,
                **{
                    name: data[start * _WIDTH[name] : end * _WIDTH[name]]
                    for name, data in SERIES_ARRAYS.items()
                },
            }
            for block, start, end in ((5769, 0, 39), (5770, 39, 167), (5771, 167, 200))
        ],
    ),
    (
        "0005",
        "people",
        [
            {
                "key": "ana",
                "name": "Ana Álvarez",
                "email": "ana@example.com",
                "role": "owner",
                "active": True,
                "password_hash": "scrypt:32768:8:1$salt$hash",
                "failed_sign_ins": 0,
                "locked_until": None,
                "created_at": AT,
                "updated_at": LATER,
            },
            {
                "key": "viv",
                "name": "Viv 李",
                "email": None,
                "role": "viewer",
                "active": False,
                "password_hash": None,
                "failed_sign_ins": 3,
                "locked_until": LATER,
                "created_at": AT,
                "updated_at": AT,
            },
        ],
    ),
    (
        "0005",
        "metric_delegates",
        [{"metric": "clicks", "person": "viv", "granted_by": "ana", "granted_at": AT}],
    ),
    (
        "0005",
        "app_settings",
        [{"name": "session_secret", "value": "f" * 64, "created_at": AT}],
    ),
    (
        "0005",
        "notes",
        [
            {
                "id": 1,
                "metric": "clicks",
                "week_ending": WEEK,
                "detector": "robust",
                "revision": 2,
                "created_at": AT,
                "updated_at": LATER,
                "deleted_at": None,
                "deleted_by": None,
            },
            {
                "id": 2,
                "metric": "orders",
                "week_ending": WEEK,
                "detector": "",
                "revision": 1,
                "created_at": AT,
                "updated_at": AT,
                "deleted_at": LATER,
                "deleted_by": "ana",
            },
        ],
    ),
    (
        "0005",
        "note_revisions",
        [
            {
                "note_id": 1,
                "revision": 1,
                "action": "written",
                "status": "investigating",
                "category": None,
                "text": "Looking into it.",
                "author": "ana",
                "created_at": AT,
            },
            {
                "note_id": 1,
                "revision": 2,
                "action": "written",
                "status": "explained",
                "category": "outage",
                "text": "CDN outage **Tue-Thu**; fixed. ✓",
                "author": "ana",
                "created_at": LATER,
            },
            {
                "note_id": 2,
                "revision": 1,
                "action": "written",
                "status": "explained",
                "category": None,
                "text": "Promo ended.",
                "author": "ben",
                "created_at": AT,
            },
        ],
    ),
    (
        "0005",
        "audit_log",
        [
            {
                "id": 1,
                "at": LATER,
                "actor": "ana",
                "action": "write note",
                "target": "clicks w/e 2024-03-16 (robust)",
                "detail": None,
            }
        ],
    ),
    (
        "0006",
        "scheduled_runs",
        [
            {
                "id": 1,
                "job": "refresh",
                "scheduled_for": AT,
                "attempt": 1,
                "trigger": "schedule",
                "started_at": AT,
                "finished_at": LATER,
                "status": "succeeded",
                "error": None,
                "summary": '{"values": 1200}',
                "week_ending": WEEK,
                "pid": 4242,
                "host": "wbr-1",
            }
        ],
    ),
    (
        "0006",
        "outbox",
        [
            {
                "id": 1,
                "event": "deck_ready/2024-03-16",
                "kind": "deck_ready",
                "channel": "email",
                "recipient": "ana@example.com",
                "subject": "The deck for w/e 16 Mar is ready",
                "body": "{}",
                "status": "sent",
                "attempts": 1,
                "created_at": AT,
                "sent_at": LATER,
                "last_error": None,
            }
        ],
    ),
]

# Columns a later revision added to an older table, with the value a new wbr writes.
_ADDED: list[tuple[str, str, dict[str, Any]]] = [
    ("0002", "load_runs", {"rows_rejected": 0, "mode": "full", "pid": 99, "host": "wbr-1"}),
    ("0004", "compute_runs", {"load_runs_through": 2}),
    ("0007", "compute_runs", {"changed_periods": '[["week","2024-03-10","2024-03-16"]]'}),
    ("0008", "load_runs", {"table_rows": 1200, "table_missing_days": 0}),
]


# Columns a revision moved out of a table (0009: the daily arrays, into blocks).
_MOVED: list[tuple[str, str, tuple[str, ...]]] = [
    ("0009", "metric_series", tuple(SERIES_ARRAYS)),
]


def _table_at(name: str, order: int) -> Table:
    """The table as revision number `order` had it (today's, less what moved later)."""
    table = metadata.tables[name]
    gone = {
        column
        for moved, table_name, columns in _MOVED
        if table_name == name and REVISIONS.index(moved) > order
        for column in columns
    }
    if not gone:
        return table
    old = Table(
        name,
        MetaData(),
        *(
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in table.columns
        ),
    )
    for column in gone:
        old.append_column(Column(column, LargeBinary, nullable=True))
    return old


def upgraded_rows(revision: str) -> list[tuple[Table, list[dict[str, Any]]]]:
    """What `rows_at(revision)` hold once upgraded to the head revision: columns moved
    since are gone from their table, and their values are where they moved to."""
    order = REVISIONS.index(revision)
    found = []
    for table, rows in rows_at(revision):
        head = metadata.tables[table.name]
        found.append((head, [{k: v for k, v in row.items() if k in head.c} for row in rows]))
    moved_after = [moved for moved, *_ in _MOVED if REVISIONS.index(moved) > order]
    if "0009" in moved_after and REVISIONS.index("0004") <= order:
        ((table, blocks),) = [
            (t, r) for t, r in rows_at("0009") if t.name == "metric_series_blocks"
        ]
        found.append((table, blocks))
    return found


def rows_at(revision: str) -> list[tuple[Table, list[dict[str, Any]]]]:
    """The tables existing at `revision`, with rows holding only that revision's columns."""
    order = REVISIONS.index(revision)
    found = []
    for added, name, rows in _ROWS:
        if REVISIONS.index(added) > order:
            continue
        extra: dict[str, Any] = {}
        for column_revision, table, values in _ADDED:
            if table == name and REVISIONS.index(column_revision) <= order:
                extra.update(values)
        table = _table_at(name, order)
        found.append(
            (table, [{k: v for k, v in {**row, **extra}.items() if k in table.c} for row in rows])
        )
    return found


def insert_rows(engine: Engine, revision: str) -> None:
    """Fill a fresh store at `revision`; ids are left to the database, as wbr leaves them
    (the rows are numbered 1, 2, … in order, so they come out as listed)."""
    with engine.begin() as connection:
        for table, rows in rows_at(revision):
            for row in rows:
                values = {k: v for k, v in row.items() if not (k == "id" and "id" in table.c)}
                connection.execute(table.insert(), values)


def comparable(value: Any) -> Any:
    """A value as every database gives it back: times in UTC without a zone, bytes as bytes."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def table_contents(engine: Engine, table: Table) -> list[dict[str, Any]]:
    """Every row of `table`, comparable across databases, in primary-key order."""
    key = list(table.primary_key.columns) or list(table.columns)
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(*key)).mappings()
        return [{name: comparable(value) for name, value in row.items()} for row in rows]
