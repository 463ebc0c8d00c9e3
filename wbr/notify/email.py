"""E-mail over SMTP: STARTTLS before anything else, credentials from the environment."""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from wbr.errors import ConfigError
from wbr.registry.ritual import EmailSettings


def build_email(
    settings: EmailSettings, to: str, body: dict[str, Any], attachment: Path | None
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Subject"] = body["subject"]
    # The same event to the same person always has the same id, so a mail client
    # shows a message delivered twice (see wbr/notify/outbox.py) as one.
    digest = hashlib.sha256(f"{body['event']}|{to}".encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@wbr>"
    mail["X-WBR-Event"] = body["event"]
    mail.set_content(body["text"])
    if attachment is not None:
        mail.add_attachment(
            attachment.read_bytes(),
            maintype="application",
            subtype="pdf" if attachment.suffix.lower() == ".pdf" else "octet-stream",
            filename=attachment.name,
        )
    return mail


def _tls_context(settings: EmailSettings, base_dir: Path) -> ssl.SSLContext:
    if settings.ca_file is None:
        return ssl.create_default_context()
    ca_file = base_dir / settings.ca_file
    if not ca_file.is_file():
        raise ConfigError(
            f"notifications.email.ca_file {ca_file} does not exist; give the CA bundle that "
            "signed the mail relay's certificate, or remove `ca_file`"
        )
    return ssl.create_default_context(cafile=str(ca_file))


def send_email(settings: EmailSettings, mail: EmailMessage, base_dir: Path) -> None:
    """Deliver one message; raises OSError or smtplib.SMTPException when it is not accepted."""
    username = os.environ.get(settings.username_env)
    password = os.environ.get(settings.password_env)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=_tls_context(settings, base_dir))
            smtp.ehlo()
        if username:
            if not settings.starttls:
                raise ConfigError(
                    "notifications.email: refusing to send the SMTP password unencrypted; "
                    "set `starttls: true` or unset " + settings.username_env
                )
            smtp.login(username, password or "")
        smtp.send_message(mail)
