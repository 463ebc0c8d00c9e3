"""A real local SMTP server (aiosmtpd, STARTTLS and AUTH required) and a local HTTP
receiver (webhooks, and an API source that can hold a request until it is released),
for the scheduler and notification tests. Only the tests use this."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

SMTP_USER, SMTP_PASSWORD = "wbr-mailer", "s3cret-smtp"
WEBHOOK_SECRET = "hook-secret-0123"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl command."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    over_tls: bool
    authenticated: bool

    @property
    def event(self) -> str:
        return str(self.message["X-WBR-Event"])


@dataclass
class Inbox:
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        mail = Mail(
            sender=str(envelope.mail_from),
            recipients=list(envelope.rcpt_tos),
            message=parsed,
            over_tls=session.ssl is not None,
            authenticated=bool(session.authenticated),
        )
        with self.inbox.lock:
            self.inbox.mails.append(mail)
        return "250 OK"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(folder: Path) -> Iterator[tuple[int, Path, Inbox]]:
    """(port, CA file to trust, inbox): STARTTLS and a login are required to send."""
    import ssl

    cert, key = self_signed_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        _Handler(inbox),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield port, cert, inbox
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case: HTTP header names are case-blind
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the local HTTP server got, and an API source it serves on /tickets.

    While `hold` is set, a request to /tickets waits (the caller is mid-refresh)
    until `release` is set; `held` is set when one is waiting.
    """

    posts: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    fail: threading.Event = field(default_factory=threading.Event)  # answer 503 while set
    tickets: list[dict[str, Any]] = field(default_factory=list)

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.posts)


def _http_handler(state: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The caller may have been killed while it waited: nobody to answer then.
            with contextlib.suppress(BrokenPipeError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            if state.fail.is_set():
                self.send_error(503, "the API is down")
                return
            if state.hold.is_set():
                state.held.set()
                state.release.wait(timeout=120)
            self._answer({"data": state.tickets})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with state.lock:
                state.posts.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            self._answer({"ok": True})

    return Handler


@contextmanager
def http_receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
