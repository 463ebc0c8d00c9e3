"""Keep secrets out of everything wbr writes: messages, load history, logs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REDACTED = "***"
# Secrets shorter than this are not searched for: "a" would blank every message.
MIN_SECRET_CHARS = 4
_PASSWORD_IN_URL = re.compile(r"(//[^:/@\s]*:)[^@\s]*@")


def redact(message: str, env_names: Iterable[str]) -> str:
    """`message` with the values of `env_names` (and of any URL password) replaced."""
    for name in env_names:
        value = os.environ.get(name, "").strip()
        if len(value) < MIN_SECRET_CHARS:
            continue
        message = message.replace(value, REDACTED)
        password = _url_password(value)
        if password and len(password) >= MIN_SECRET_CHARS:
            message = message.replace(password, REDACTED)
    return _PASSWORD_IN_URL.sub(rf"\1{REDACTED}@", message)


def _url_password(value: str) -> str | None:
    try:
        return make_url(value).password
    except (ArgumentError, ValueError):
        return None
