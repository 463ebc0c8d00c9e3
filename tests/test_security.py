"""The security basics of the served app, each checked on a real server over HTTP.

Headers on every response, a Content-Security-Policy the deck really renders under
(in Chromium, with no violation reported), no traceback in any answer, a cap on
request bodies, `wbr serve` on loopback only, and secrets only from the environment.
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import small_project as shop
from browser_support import CHROMIUM, PLOTS_READY_JS, RENDER_TIMEOUT_MS, chromium_page
from pydantic import BaseModel
from ruamel.yaml import YAML
from sqlalchemy import Engine
from web_support import FLAGGED, WebClient, build_store, save_request, served_site

from dashboards import ids
from dashboards.security import MAX_REQUEST_BYTES, SERVER_ERROR_TEXT
from wbr.errors import ConfigError
from wbr.notes.model import NoteTarget
from wbr.notes.store import get_note
from wbr.people.sessions import SECRET_ENV
from wbr.registry.loader import load_registry
from wbr.registry.models import Registry

WEEK = shop.WEEK_ENDING
# Paths of every kind the app answers: pages, Dash's JSON, assets, sign-in, not found.
PATHS = ["/", "/login", "/_dash-layout", "/_dash-dependencies", "/assets/wbr.css", "/nope"]
SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "credential")
# Fields that mention a token but hold none: the header's name and its scheme.
NOT_SECRETS = ("token_header", "token_prefix")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('security') / 'store.db'}"
    engine, project = build_store(url, anonymous_read=True)
    with served_site(engine, project) as base:
        yield engine, base
    engine.dispose()


def _headers(base: str, path: str, data: bytes | None = None) -> tuple[int, Any, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(base + path, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(site: tuple[Engine, str], path: str) -> None:
    _, base = site
    _status, headers, _body = _headers(base, path)
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self' 'sha256-" in policy  # Dash's inline scripts, by hash only
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_a_failing_request_gets_no_traceback(
    site: tuple[Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A callback request Dash cannot parse fails on the server: the answer is one line."""
    monkeypatch.setenv("FLASK_DEBUG", "1")  # even if someone sets it
    _, base = site
    for body in (b"{}", b'{"output": "nope.children", "inputs": 7}', b"not json"):
        status, headers, text = _headers(base, "/_dash-update-component", body)
        assert status >= 400
        assert "Traceback" not in text and ".py" not in text and "File " not in text
        if status == 500:
            assert text == SERVER_ERROR_TEXT
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_an_oversized_write_is_refused_before_it_reaches_the_store(
    site: tuple[Engine, str],
) -> None:
    engine, base = site
    client = WebClient(base)
    assert client.sign_in("ana").status == 302
    target = NoteTarget(FLAGGED, WEEK, "huge")
    huge = "x" * (MAX_REQUEST_BYTES + 1)
    reply = client.call(*save_request(target.key, huge, None, client.csrf_token()))
    assert reply.status == 413
    assert get_note(engine, target, include_deleted=True) is None
    # ...while a note of an ordinary size goes through the same callback.
    reply = client.call(*save_request(target.key, "CDN outage", None, client.csrf_token()))
    assert reply.status == 200
    assert get_note(engine, target) is not None


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
def test_the_deck_renders_in_chromium_under_the_policy(site: tuple[Engine, str]) -> None:
    _, base = site
    with chromium_page() as page:
        # Every violation the page reports, kept in the page until the test reads them.
        page.add_init_script(
            "window.violations = []; document.addEventListener('securitypolicyviolation',"
            " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/")
        page.wait_for_selector(".js-plotly-plot", timeout=RENDER_TIMEOUT_MS)
        charts = page.locator(".js-plotly-plot").count()
        page.wait_for_function(PLOTS_READY_JS, arg=charts, timeout=RENDER_TIMEOUT_MS)
        # A callback round trip under the policy: the view picker redraws the deck.
        page.locator(f"#{ids.VIEW_SELECTOR} input[value='exceptions']").check()
        page.wait_for_url("**view=exceptions**", timeout=RENDER_TIMEOUT_MS)
        assert page.evaluate("() => window.violations") == []
        assert errors == []
        # The policy is enforced, not just sent: an injected inline script does not run.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
        )
        page.wait_for_function("() => window.violations.length > 0", timeout=RENDER_TIMEOUT_MS)
        assert page.evaluate("() => window.injected") is None
        assert page.evaluate("() => window.violations")[0].startswith("script-src")


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from /proc/net/tcp (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads Linux's socket table")
def test_wbr_serve_listens_on_loopback_only_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WBR_DATABASE_URL", raising=False)
    registry_file = shop.write_project(tmp_path)
    port = _free_port()
    command = [sys.executable, "-m", "wbr.cli", "serve", "--registry", str(registry_file)]
    child = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:  # the server prints its address once it is about to listen
            if "Serving" in line:
                break
        addresses: set[str] = set()
        for _ in range(200):
            addresses = _listening_addresses(port)
            if addresses:
                break
            time.sleep(0.05)
        assert addresses == {"0100007F"}  # 127.0.0.1, little-endian hex: nothing else
    finally:
        child.kill()
        child.communicate()


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    if model in seen:
        return
    seen.add(model)
    yield model
    for field in model.model_fields.values():
        for inner in _types(field.annotation):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                yield from _models(inner, seen)


def _types(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in getattr(annotation, "__args__", ()):
        yield from _types(argument)


def test_metrics_yaml_names_secrets_by_environment_variable_only() -> None:
    """No field of the registry can hold a password, token or key itself: only `*_env`."""
    from wbr.registry import sources

    models = set(_models(Registry, set()))
    models |= {
        model
        for model in vars(sources).values()
        if isinstance(model, type) and issubclass(model, BaseModel)
    }
    secret_fields = [
        f"{model.__name__}.{name}"
        for model in models
        for name in model.model_fields
        if any(word in name.lower() for word in SECRET_WORDS)
        and not name.endswith(("_env", "_envs"))
        and name not in NOT_SECRETS
    ]
    assert secret_fields == []


def test_a_password_written_into_a_source_url_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(shop.REGISTRY_DATA)
    data["sources"]["warehouse"] = {
        "kind": "sql",
        "url": "postgresql://me:hunter2@db.example/x",
        "source_table": "t",
    }
    registry_file = tmp_path / "metrics.yaml"
    with registry_file.open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(data, handle)
    with pytest.raises(ConfigError) as refused:
        load_registry(registry_file)
    assert "url_env" in str(refused.value) and "hunter2" not in str(refused.value)


def test_the_cookie_secret_comes_from_the_environment_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboards.app import create_app
    from dashboards.source import Site, StoreDeckSource

    monkeypatch.setenv(SECRET_ENV, "from-the-environment-0123456789")
    engine, project = build_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        app = create_app(StoreDeckSource(engine, project), Site(engine, project))
        assert app.server.secret_key == "from-the-environment-0123456789"
        assert app.server.debug is False
    finally:
        engine.dispose()
