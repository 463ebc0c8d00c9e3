"""A served, signed-in deck on a real store, and an HTTP client that speaks Dash.

The store holds the small shop (tests/small_project.py) with an outage in its
last week, so `clicks` carries a real flag from the real detector. Four people:
ana owns the traffic metrics, ben the order metrics, viv reads, ada administers.
`WebClient` keeps cookies like a browser and can call any Dash callback by
forging its request, the way an attacker who skips the page would.
"""

from __future__ import annotations

import copy
import http.cookiejar
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import small_project as shop
from sqlalchemy import Engine
from werkzeug.serving import make_server

from dashboards import ids
from dashboards.app import create_app
from dashboards.source import Site, StoreDeckSource
from wbr.anomalies import detect_project
from wbr.compute.run import compute
from wbr.people.accounts import add_person
from wbr.people.roles import Role
from wbr.registry.models import Registry
from wbr.store import create_store_engine, migrate, replace_raw_table

PASSWORD = "a long test password"
PEOPLE = {"ana": Role.OWNER, "ben": Role.OWNER, "viv": Role.VIEWER, "ada": Role.ADMIN}
OWNERS = {
    "clicks": "ana",
    "impressions": "ana",
    "ctr": "ana",
    "orders": "ben",
    "revenue": "ben",
    "order_value": "ben",
}
FLAGGED = "clicks"  # its last week halves: the detector flags it
OUTAGE_WEEK = [shop.LAST_DAY - timedelta(days=n) for n in range(7)]


def registry(anonymous_read: bool = False) -> Registry:
    data = copy.deepcopy(shop.REGISTRY_DATA)
    for metric in data["metrics"]:
        metric["owner"] = OWNERS[metric["name"]]
    data["people"] = [{"key": key, "name": key.title()} for key in PEOPLE]
    data["access"] = {"anonymous_read": anonymous_read}
    return Registry.model_validate(data)


def build_store(url: str, anonymous_read: bool = False) -> tuple[Engine, Registry]:
    """A migrated store with values, a flag on `clicks` and the four people."""
    engine = create_store_engine(url)
    migrate(engine)
    traffic = shop.traffic_frame()
    traffic.loc[traffic["day"].isin(OUTAGE_WEEK), "clicks"] = 6
    replace_raw_table(engine, "traffic", [traffic], "day")
    replace_raw_table(engine, "orders", [shop.orders_frame()], "order_date")
    project = registry(anonymous_read)
    compute(engine, project)
    detect_project(engine, project)
    for key, role in PEOPLE.items():
        add_person(engine, key, key.title(), role, "test", password=PASSWORD)
    return engine, project


@contextmanager
def served_site(engine: Engine, project: Registry) -> Iterator[str]:
    """The signed-in app on a free 127.0.0.1 port; yields its base URL (no trailing /)."""
    app = create_app(StoreDeckSource(engine, project), Site(engine, project))
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wbr-web-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    location: str | None

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebClient:
    """A cookie-keeping HTTP client for the served app (redirects are not followed)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.headers = headers or {}  # sent with every request (a proxy's user header)
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        self._dependencies: list[dict[str, Any]] | None = None

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        sent = {**self.headers, **(headers or {})}
        request = urllib.request.Request(self.base + path, data=data, headers=sent)
        try:
            with self._opener.open(request, timeout=30) as response:
                return Reply(response.status, response.read().decode(), None)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode(), error.headers.get("Location"))

    def get(self, path: str) -> Reply:
        return self.request(path)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        body = urllib.parse.urlencode(fields).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def sign_in(self, key: str, password: str = PASSWORD) -> Reply:
        page = self.get("/login").body
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        return self.post_form("/login", {"key": key, "password": password, "csrf": token})

    def layout(self) -> Any:
        return self.get("/_dash-layout").json()

    def csrf_token(self) -> str | None:
        """The token the page hands its writes (the CSRF store in the layout)."""
        found = _find(self.layout(), ids.CSRF_TOKEN)
        return None if found is None else found["props"].get("data")

    def dependencies(self) -> list[dict[str, Any]]:
        if self._dependencies is None:
            self._dependencies = self.get("/_dash-dependencies").json()
        return self._dependencies

    def learn_callbacks_from(self, other: WebClient) -> None:
        """Forge requests with the callback specs another (signed-in) client fetched."""
        self._dependencies = other.dependencies()

    def call(self, trigger: str, inputs: dict[str, Any], state: dict[str, Any]) -> Reply:
        """Forge the request of the callback fired by `trigger` ("id.property").

        `inputs` and `state` map "id.property" to the value to send; anything not
        given is sent as None.
        """
        payload = callback_payload(self.dependencies(), trigger, inputs, state)
        return self.request(
            "/_dash-update-component",
            json.dumps(payload).encode(),
            {"Content-Type": "application/json"},
        )


def callback_payload(
    dependencies: list[dict[str, Any]],
    trigger: str,
    inputs: dict[str, Any],
    state: dict[str, Any],
) -> dict[str, Any]:
    """The body Dash's renderer posts when `trigger` fires, with the values given."""
    spec = next(
        d for d in dependencies if trigger in (f"{i['id']}.{i['property']}" for i in d["inputs"])
    )

    def values(items: list[dict[str, Any]], given: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**item, "value": given.get(f"{item['id']}.{item['property']}")} for item in items]

    return {
        "output": spec["output"],
        "outputs": [_output(part) for part in _split_outputs(spec["output"])],
        "inputs": values(spec["inputs"], inputs),
        "changedPropIds": [trigger],
        "state": values(spec["state"], state),
    }


def save_request(
    target_key: str, text: str, base: int | None, token: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(trigger, inputs, state) of the editor's Save, as `callback_payload` takes them."""
    trigger = f"{ids.EDITOR_SAVE}.n_clicks"
    state = {
        f"{ids.EDITOR_TARGET}.data": target_key,
        f"{ids.EDITOR_BASE}.data": base,
        f"{ids.EDITOR_STATUS}.value": "explained",
        f"{ids.EDITOR_TEXT}.value": text,
        f"{ids.CSRF_TOKEN}.data": token,
        f"{ids.URL}.pathname": "/",
    }
    return trigger, {trigger: 1}, state


def find_component(node: Any, component_id: str) -> Any:
    """The component with this id in a Dash layout's JSON, or None."""
    return _find(node, component_id)


def _split_outputs(output: str) -> list[str]:
    """Dash's "..a.b...c.d.." form of several outputs, or one "a.b"."""
    if output.startswith("..") and output.endswith(".."):
        return output[2:-2].split("...")
    return [output]


def _output(text: str) -> dict[str, str]:
    component, prop = text.rsplit(".", 1)
    return {"id": component, "property": prop}


def _find(node: Any, component_id: str) -> Any:
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        for value in node.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _find(item, component_id)
            if found is not None:
                return found
    return None
