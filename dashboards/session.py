"""Signing in to the web app: the sign-in page, sessions, the proxy header, the read gate.

Flask (under Dash) signs a cookie that holds only a session id; the session itself
lives in the store (`wbr.people.sessions`), so it expires and can be revoked. In
proxy mode a company sign-on proxy names the person in a header, believed only
from the addresses `access.trusted_proxies` lists. Every request first learns who
is asking (`flask.g.person`); a request that may not read the deck is sent to the
sign-in page (or gets 401, for the app's own data requests).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Final
from urllib.parse import quote, urlsplit

import flask
from markupsafe import escape
from sqlalchemy import Engine
from werkzeug.wrappers import Response

from dashboards.security import MAX_REQUEST_BYTES
from wbr.errors import AccessError
from wbr.people.accounts import add_person, check_sign_in, get_person
from wbr.people.audit import record
from wbr.people.roles import Action, Person, Role, authorize
from wbr.people.sessions import WebSession, end_session, find_session, secret_key, start_session
from wbr.registry.access import Access, SignInMode

SIGN_IN_PATH: Final = "/login"
SIGN_OUT_PATH: Final = "/logout"
COOKIE_NAME: Final = "wbr_session"
# Paths anyone may fetch: the sign-in page and what it needs.
OPEN_PATHS: Final = (SIGN_IN_PATH, SIGN_OUT_PATH, "/assets/", "/_favicon.ico", "/favicon.ico")
SESSION_ID: Final = "sid"
LOGIN_TOKEN: Final = "login_csrf"


def current_person() -> Person | None:
    """Who is asking, for the request being handled (None: nobody signed in)."""
    person: Person | None = flask.g.get("person")
    return person


def current_session() -> WebSession | None:
    session: WebSession | None = flask.g.get("web_session")
    return session


def csrf_matches(token: object) -> bool:
    """Whether a write carries the token of the session it claims to come from."""
    session = current_session()
    if session is None or not isinstance(token, str):
        return False
    return hmac.compare_digest(token, session.csrf_token)


def _local(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never redirect elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


class SignInGate:
    """Installs sign-in on the Dash app's Flask server."""

    def __init__(self, engine: Engine, access: Access, title: str) -> None:
        self.engine = engine
        self.access = access
        self.title = title

    def install(self, server: flask.Flask) -> None:
        server.secret_key = secret_key(self.engine)
        server.config.update(
            SESSION_COOKIE_NAME=COOKIE_NAME,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            PERMANENT_SESSION_LIFETIME=timedelta(hours=self.access.session_hours),
            MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        )
        server.before_request(self._identify)
        server.add_url_rule(SIGN_IN_PATH, "wbr_sign_in", self._sign_in, methods=["GET", "POST"])
        server.add_url_rule(SIGN_OUT_PATH, "wbr_sign_out", self._sign_out, methods=["POST"])

    # -- who is asking ------------------------------------------------------------------

    def _identify(self) -> Response | None:
        flask.g.person = None
        flask.g.web_session = None
        session = self._proxy_session() if self.access.sign_in is SignInMode.PROXY else None
        if session is None:
            session_id = flask.session.get(SESSION_ID)
            if isinstance(session_id, str):
                session = find_session(self.engine, session_id)
        if session is not None:
            flask.g.person = session.person
            flask.g.web_session = session
        path = flask.request.path
        if path.startswith(OPEN_PATHS):
            return None
        decision = authorize(
            current_person(), Action.READ_DECK, anonymous_read=self.access.anonymous_read
        )
        if decision.allowed:
            return None
        if path.startswith("/_dash-"):
            return Response("sign in first", status=401, mimetype="text/plain")
        return flask.redirect(f"{SIGN_IN_PATH}?next={quote(flask.request.full_path.rstrip('?'))}")

    def _proxy_session(self) -> WebSession | None:
        """The session of the person the trusted proxy names; one is started if needed."""
        key = flask.request.headers.get(self.access.proxy_header, "").strip()
        if not key or not self.access.trusts(flask.request.remote_addr):
            return None
        session_id = flask.session.get(SESSION_ID)
        if isinstance(session_id, str):
            found = find_session(self.engine, session_id)
            if found is not None and found.person.key == key:
                return found
        person = get_person(self.engine, key) or self._sign_up(key)
        if not person.active:
            return None
        session = start_session(self.engine, person, self.access.session_hours)
        flask.session[SESSION_ID] = session.id
        flask.session.permanent = True
        return session

    def _sign_up(self, key: str) -> Person:
        """A person the proxy vouches for but the store does not know yet: a viewer."""
        try:
            return add_person(self.engine, key, key, Role.VIEWER, actor=f"proxy:{key}")
        except AccessError:  # another worker added them a moment ago
            found = get_person(self.engine, key)
            assert found is not None
            return found

    # -- the sign-in page ---------------------------------------------------------------

    def _sign_in(self) -> Response | str | tuple[str, int]:
        request = flask.request
        target = _local(request.values.get("next"))
        if self.access.sign_in is SignInMode.PROXY:
            return self._page("Sign in through your company's sign-on.", target, form=False)
        if request.method == "GET":
            return self._page("", target)
        expected = flask.session.get(LOGIN_TOKEN)
        given = request.form.get("csrf", "")
        if not isinstance(expected, str) or not hmac.compare_digest(given, expected):
            return self._page("The form expired: please sign in again.", target), 400
        result = check_sign_in(
            self.engine, request.form.get("key", ""), request.form.get("password", "")
        )
        if result.person is None:
            return self._page(result.reason.capitalize() + ".", target), 401
        session = start_session(self.engine, result.person, self.access.session_hours)
        with self.engine.begin() as connection:
            record(connection, result.person.key, "sign in", result.person.key)
        flask.session.clear()  # a fresh cookie: no fixation of an earlier one
        flask.session[SESSION_ID] = session.id
        flask.session.permanent = True
        return flask.redirect(target)

    def _sign_out(self) -> Response:
        session = current_session()
        if session is not None and csrf_matches(flask.request.form.get("csrf")):
            end_session(self.engine, session.id)
            with self.engine.begin() as connection:
                record(connection, session.person.key, "sign out", session.person.key)
        flask.session.clear()
        return flask.redirect("/")

    def _page(self, message: str, target: str, form: bool = True) -> str:
        token = flask.session.get(LOGIN_TOKEN)
        if not isinstance(token, str):
            token = flask.session[LOGIN_TOKEN] = secrets.token_urlsafe(32)
        notice = f'<p class="sign-in-message" role="alert">{escape(message)}</p>' if message else ""
        fields = (
            f"""<form method="post" action="{SIGN_IN_PATH}" class="sign-in-form">
  <input type="hidden" name="csrf" value="{escape(token)}">
  <input type="hidden" name="next" value="{escape(target)}">
  <label>Name <input name="key" id="sign-in-key" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" id="sign-in-password" type="password"
    autocomplete="current-password" required></label>
  <button type="submit" id="sign-in-submit">Sign in</button>
</form>"""
            if form
            else ""
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · {escape(self.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/wbr.css"></head>
<body><main class="sign-in page"><h1>{escape(self.title)}</h1>{notice}{fields}
<p class="sign-in-help">Owners explain the flags on their metrics; ask an admin for an
account (<code>wbr users add</code>).</p></main></body></html>"""
