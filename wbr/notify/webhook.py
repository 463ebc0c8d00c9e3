"""Webhooks: Slack-compatible incoming-webhook JSON, or a generic JSON body signed
with HMAC-SHA256 (`X-WBR-Signature-256: sha256=<hex>` over the exact body bytes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.request
from typing import Any

from wbr.errors import ConfigError
from wbr.registry.ritual import Webhook, WebhookFormat

SIGNATURE_HEADER = "X-WBR-Signature-256"
EVENT_HEADER = "X-WBR-Event"
DELIVERY_HEADER = "X-WBR-Delivery"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{what}: the environment variable {name} is not set")
    return value


def webhook_request(hook: Webhook, body: dict[str, Any], delivery: int) -> urllib.request.Request:
    url = hook.url or _env(hook.url_env or "", f"webhook `{hook.name}` url_env")
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: body["event"],
        DELIVERY_HEADER: str(delivery),
    }
    if hook.format is WebhookFormat.SLACK:
        payload: dict[str, Any] = {"text": f"*{body['subject']}*\n{body['text']}"}
    else:
        payload = {**body, "delivery": delivery}
    data = json.dumps(payload, sort_keys=True).encode()
    if hook.secret_env is not None:
        headers[SIGNATURE_HEADER] = sign(
            _env(hook.secret_env, f"webhook `{hook.name}` secret_env"), data
        )
    return urllib.request.Request(url, data=data, headers=headers, method="POST")


def send_webhook(hook: Webhook, body: dict[str, Any], delivery: int) -> None:
    """POST one message; raises OSError (urllib's errors are) unless the answer is 2xx."""
    request = webhook_request(hook, body, delivery)
    with urllib.request.urlopen(request, timeout=hook.timeout_seconds) as response:
        response.read()
