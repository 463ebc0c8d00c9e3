"""Send what the outbox holds: each pending row once, by its channel."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from wbr.errors import WbrError
from wbr.notify import outbox
from wbr.notify.email import build_email, send_email
from wbr.notify.webhook import send_webhook
from wbr.registry.ritual import MessageKind, Notifications


@dataclass
class SendReport:
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # "recipient: error"


def deliveries(
    notifications: Notifications, kind: MessageKind, addresses: list[str]
) -> list[outbox.Delivery]:
    """E-mail to `addresses` (when e-mail is set up), and every webhook taking `kind`."""
    found = []
    if notifications.email is not None:
        found += [outbox.Delivery("email", address) for address in addresses]
    found += [
        outbox.Delivery("webhook", hook.name)
        for hook in notifications.webhooks
        if kind in hook.messages
    ]
    return found


def _send(notifications: Notifications, row: outbox.OutboxRow, base_dir: Path) -> None:
    if row.channel == "email":
        if notifications.email is None:
            raise WbrError("e-mail is no longer set up under notifications.email")
        attachment = row.body.get("attachment")
        path = Path(attachment) if attachment and Path(attachment).is_file() else None
        mail = build_email(notifications.email, row.recipient, row.body, path)
        send_email(notifications.email, mail, base_dir)
        return
    hook = next((h for h in notifications.webhooks if h.name == row.recipient), None)
    if hook is None:
        raise WbrError(f"webhook `{row.recipient}` is no longer under notifications.webhooks")
    send_webhook(hook, row.body, row.id)


def flush(engine: Engine, notifications: Notifications, base_dir: Path) -> SendReport:
    """Send every pending row; a failure is recorded on its row and retried next time."""
    report = SendReport()
    outbox.recover_stalled(engine)
    for row in outbox.sendable(engine):
        if not outbox.claim(engine, row.id):
            continue
        try:
            _send(notifications, row, base_dir)
        except (OSError, smtplib.SMTPException, WbrError) as error:
            outbox.mark_failed(engine, row.id, f"{type(error).__name__}: {error}")
            report.failed.append(f"{row.channel} {row.recipient}: {error}")
            continue
        outbox.mark_sent(engine, row.id)
        report.sent += 1
    return report
