"""The HTTP connector: a JSON API read page by page, with retries and backoff.

Pages are followed by a cursor the response names (`paging: {style: cursor}`) or
by page number (`style: page`) until none is left. A 429 or 5xx answer, a lost
connection or a timeout is retried with exponential backoff (honouring
`Retry-After`); any other error stops the load with the status and the URL. A
token comes from the environment variable named by `token_env` and is sent in a
header; it never appears in a URL or a message.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from connectors.base import Batch, ConnectorError, Since, secret_from_env
from wbr.registry.sources import CursorPaging, HttpSource, PagePaging, SourceBase

_MISSING = object()
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "wbr-http-connector"
ERROR_BODY_CHARS = 200  # how much of an error response a message quotes


class HttpConnector:
    kind: ClassVar[str] = "http"

    def __init__(self, source_name: str, source: SourceBase, base_dir: Path) -> None:
        if not isinstance(source, HttpSource):
            raise ConnectorError(f"not an HTTP source (kind {source.kind!r})", source=source_name)
        self.source_name = source_name
        self.source = source
        self.base_dir = base_dir

    def extract(self, since: Since = None) -> Iterator[Batch]:
        source = self.source
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **source.headers}
        if source.token_env:
            token = secret_from_env(source.token_env, self.source_name)
            headers[source.token_header] = f"{source.token_prefix}{token}"
        params: dict[str, Any] = dict(source.params)
        if since is not None and source.since_param:
            params[source.since_param] = _as_text(since)
        paging = source.paging
        columns: list[str] | None = None
        page_number = paging.first_page if isinstance(paging, PagePaging) else 1
        seen_cursors: set[str] = set()
        while True:
            if isinstance(paging, PagePaging):
                params[paging.page_param] = page_number
                if paging.size_param:
                    params[paging.size_param] = paging.page_size
            url = _with_params(source.url, params)
            body = self._get(url, headers)
            records = self._records(body, url)
            if records:
                frame = pd.DataFrame.from_records(records)
                # A record may leave out a key: a declared column is then null, not dropped.
                declared = [name for name in source.columns if name not in frame.columns]
                frame = frame.reindex(columns=[*frame.columns, *declared])
                if columns is None:
                    columns = [str(name) for name in frame.columns]
                else:  # a key absent from a whole page is missing values, not a dropped column
                    extra = [str(name) for name in frame.columns if name not in columns]
                    frame = frame.reindex(columns=columns + extra)
                yield Batch(frame, origin=f"page {url!r}", first_row=1)
            if isinstance(paging, CursorPaging):
                cursor = _dig(body, paging.next_path)
                if cursor in (None, "") or not records:
                    return
                if str(cursor) in seen_cursors:
                    raise self._error(f"the API returned cursor {cursor!r} twice", url)
                seen_cursors.add(str(cursor))
                params[paging.cursor_param] = cursor
            elif isinstance(paging, PagePaging):
                if len(records) < paging.page_size:
                    return
                page_number += 1
            else:
                return

    def _get(self, url: str, headers: dict[str, str]) -> Any:
        retries = self.source.retries
        problem = ""
        for attempt in range(retries.attempts):
            request = urllib.request.Request(url, headers=headers)
            delay = min(retries.max_backoff_seconds, retries.backoff_seconds * 2**attempt)
            try:
                with urllib.request.urlopen(request, timeout=self.source.timeout_seconds) as answer:
                    payload = answer.read()
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code} {exc.reason}"
                if exc.code not in RETRY_STATUSES:
                    excerpt = exc.read()[:ERROR_BODY_CHARS].decode("utf-8", "replace")
                    raise self._error(f"{problem}: {excerpt}".rstrip(": "), url) from None
                delay = _retry_after(
                    exc.headers.get("Retry-After"), delay, retries.max_backoff_seconds
                )
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = f"no answer ({getattr(exc, 'reason', exc)})"
            else:
                try:
                    return json.loads(payload)
                except ValueError as exc:
                    raise self._error(f"the answer is not JSON ({exc})", url) from None
            if attempt + 1 < retries.attempts:
                time.sleep(delay)
        raise self._error(f"gave up after {retries.attempts} attempts; last: {problem}", url)

    def _records(self, body: Any, url: str) -> list[dict[str, Any]]:
        path = self.source.records
        found = _dig(body, path, missing=_MISSING) if path else body
        if found is None:  # present and null: an empty page
            found = []
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            where = f"`{path}`" if path else "the answer"
            raise self._error(
                f"{where} is not a list of records",
                url,
                hint="Set `records:` to the dotted path of the list, e.g. data.items",
            )
        return found

    def _error(self, problem: str, url: str, hint: str | None = None) -> ConnectorError:
        return ConnectorError(f"GET {url}: {problem}", source=self.source_name, hint=hint)


def _dig(body: Any, path: str, missing: Any = None) -> Any:
    """The value at a dotted path (`meta.next`) in a JSON body, or `missing`."""
    current = body
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return missing
        current = current[part]
    return current


def _with_params(url: str, params: dict[str, Any]) -> str:
    if not params:
        return url
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: _as_text(value) for key, value in params.items()})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _retry_after(header: str | None, default: float, ceiling: float) -> float:
    """Seconds to wait: the server's `Retry-After` (in seconds) when it gives one."""
    if header is None:
        return default
    try:
        return min(max(float(header), 0.0), ceiling)
    except ValueError:
        return default
