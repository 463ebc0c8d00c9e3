"""The outbox: one row per (event, channel, recipient), so each is sent exactly once.

Queuing inserts and ignores a row that is already there (the unique index decides,
so two processes queuing the same event add one row). Sending claims a row with a
conditional update before delivering it and marks it sent afterwards; a retry or a
rerun finds it sent and does nothing. The one window left: a process killed after
the mail server accepted a message but before the row was marked sent; that row is
delivered again by the next run (at least once, never silently lost).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from wbr.notify.messages import Message
from wbr.people.audit import as_utc
from wbr.store.schema import outbox

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# A recipient whose server keeps refusing is given up on after this many tries.
MAX_SEND_ATTEMPTS = 5
ERROR_MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str  # "email" or "webhook"
    recipient: str  # an e-mail address or a webhook's name


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    event: str
    kind: str
    channel: str
    recipient: str
    subject: str
    body: dict[str, Any]
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def _row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        event=row.event,
        kind=row.kind,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject,
        body=json.loads(row.body),
        status=row.status,
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
        sent_at=as_utc(row.sent_at) if row.sent_at is not None else None,
        last_error=row.last_error,
    )


def message_body(message: Message) -> dict[str, Any]:
    return {
        "kind": message.kind.value,
        "event": message.event,
        "subject": message.subject,
        "text": message.text,
        "link": message.link,
        "fields": message.fields,
        "attachment": message.attachment,
    }


def queue(engine: Engine, message: Message, deliveries: list[Delivery]) -> int:
    """Queue `message` for each delivery not queued before; the number of new rows."""
    added = 0
    body = json.dumps(message_body(message), sort_keys=True, default=str)
    for delivery in deliveries:
        try:
            # One transaction per row: a duplicate must not undo the others.
            with engine.begin() as connection:
                connection.execute(
                    insert(outbox).values(
                        event=message.event,
                        kind=message.kind.value,
                        channel=delivery.channel,
                        recipient=delivery.recipient,
                        subject=message.subject[:300],
                        body=body,
                        status=PENDING,
                        attempts=0,
                        created_at=datetime.now(UTC),
                    )
                )
            added += 1
        except IntegrityError:
            continue  # queued before: this event already has its row for this recipient
    return added


def recover_stalled(engine: Engine) -> int:
    """Rows left `sending` by a process that died mid-send: sent again (see above).

    Called only by the holder of the refresh lock, so no live sender owns them.
    """
    with engine.begin() as connection:
        result = connection.execute(
            update(outbox)
            .where(outbox.c.status == SENDING)
            .values(status=FAILED, last_error="the sending process stopped mid-send")
        )
    return result.rowcount


def sendable(engine: Engine) -> list[OutboxRow]:
    query = (
        select(outbox)
        .where(
            (outbox.c.status == PENDING)
            | ((outbox.c.status == FAILED) & (outbox.c.attempts < MAX_SEND_ATTEMPTS))
        )
        .order_by(outbox.c.id)
    )
    with engine.connect() as connection:
        return [_row(row) for row in connection.execute(query)]


def claim(engine: Engine, row_id: int) -> bool:
    """Mark a row as being sent; False when another sender got it first."""
    with engine.begin() as connection:
        result = connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id, outbox.c.status.in_((PENDING, FAILED)))
            .values(status=SENDING, attempts=outbox.c.attempts + 1)
        )
    return result.rowcount == 1


def mark_sent(engine: Engine, row_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(status=SENT, sent_at=datetime.now(UTC), last_error=None)
        )


def mark_failed(engine: Engine, row_id: int, error: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(status=FAILED, last_error=error[:ERROR_MAX_CHARS])
        )


def all_rows(engine: Engine) -> list[OutboxRow]:
    with engine.connect() as connection:
        return [_row(row) for row in connection.execute(select(outbox).order_by(outbox.c.id))]
