"""Simulated viewers of the served deck: each opens it, then switches weeks, again and again.

A viewer does what the browser does once its scripts are cached: fetch the page
(`/`), Dash's layout and callback list, then post the week picker's callback for
another week, as a leader paging through the weeks does. Every request's latency
and status is recorded; anything but 200/204 (or a connection error) is an error.
Loopback only, and every viewer stops at the deadline.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

WEEK_SELECTOR = "week-selector"  # dashboards/ids.py, not imported: the client needs no wbr
SWITCHES_PER_VISIT = 5
TIMEOUT_SECONDS = 30
STALE_CONNECTION = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


@dataclass
class Sample:
    kind: str  # page, layout, dependencies, switch-week
    seconds: float
    status: int  # 0: no answer (connection error, timeout)


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample, error: str | None) -> None:
        with self.lock:
            self.samples.append(sample)
            if error is not None:
                self.errors.append(error)


def week_callback(dependencies: list[dict[str, Any]]) -> dict[str, Any]:
    trigger = f"{WEEK_SELECTOR}.value"
    for spec in dependencies:
        if trigger in (f"{i['id']}.{i['property']}" for i in spec["inputs"]):
            return spec
    raise RuntimeError("the app has no week picker callback")


def _outputs(spec: dict[str, Any]) -> list[dict[str, str]]:
    text = spec["output"]
    parts = text[2:-2].split("...") if text.startswith("..") else [text]
    return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]


def switch_payload(spec: dict[str, Any], week: str) -> bytes:
    """The body the browser posts when the week picker changes to `week`."""
    given = {f"{WEEK_SELECTOR}.value": week, "url.pathname": "/", "url.search": ""}

    def values(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "value": given.get(f"{i['id']}.{i['property']}")} for i in items]

    payload = {
        "output": spec["output"],
        "outputs": _outputs(spec),
        "inputs": values(spec["inputs"]),
        "changedPropIds": [f"{WEEK_SELECTOR}.value"],
        "state": values(spec["state"]),
    }
    return json.dumps(payload).encode()


class Viewer(threading.Thread):
    def __init__(
        self,
        base: str,
        weeks: list[str],
        deadline: float,
        results: Results,
        seed: int,
        think_seconds: float = 0.0,
    ) -> None:
        super().__init__(daemon=True, name=f"viewer-{seed}")
        parts = urlsplit(base)
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
        self.host, self.port = parts.hostname, parts.port or 80
        self.weeks = weeks
        self.deadline = deadline
        self.results = results
        self.rng = random.Random(seed)
        # A person reads a week before switching: 0 makes a closed loop that finds the
        # server's ceiling; a few seconds is a leadership team paging through the deck.
        self.think_seconds = think_seconds

    def _think(self) -> None:
        if self.think_seconds > 0:
            pause = self.rng.uniform(0.5, 1.5) * self.think_seconds
            time.sleep(max(0.0, min(pause, self.deadline - time.monotonic())))

    def _request(
        self, connection: http.client.HTTPConnection, kind: str, path: str, body: bytes | None
    ) -> bytes:
        started = time.perf_counter()
        status, error, data = 0, None, b""
        headers = {"Content-Type": "application/json"} if body else {}
        for attempt in (1, 2):
            try:
                connection.request("POST" if body else "GET", path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                if status not in (200, 204):
                    error = f"{kind}: HTTP {status}: {data[:200]!r}"
                break
            except STALE_CONNECTION as exc:
                # The server closed an idle keep-alive connection as we reused it: a
                # browser sends the request again on a new one, and so do we, once.
                connection.close()
                if attempt == 2:
                    error = f"{kind}: {type(exc).__name__}: {exc}"
            except (OSError, http.client.HTTPException) as exc:
                error = f"{kind}: {type(exc).__name__}: {exc}"
                connection.close()
                break
        self.results.add(Sample(kind, time.perf_counter() - started, status), error)
        return data

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_SECONDS)
        spec: dict[str, Any] | None = None
        time.sleep(self.rng.uniform(0, self.think_seconds))  # viewers arrive over a while
        while time.monotonic() < self.deadline:
            self._request(connection, "page", "/", None)
            self._request(connection, "layout", "/_dash-layout", None)
            found = self._request(connection, "dependencies", "/_dash-dependencies", None)
            if spec is None and found:
                spec = week_callback(json.loads(found))
            for _ in range(SWITCHES_PER_VISIT):
                self._think()
                if spec is None or time.monotonic() >= self.deadline:
                    break
                week = self.rng.choice(self.weeks)
                self._request(
                    connection, "switch-week", "/_dash-update-component", switch_payload(spec, week)
                )
        connection.close()
