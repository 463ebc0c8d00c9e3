"""Who may do what on the served app, checked over real HTTP with forged Dash requests.

Hidden buttons are not protection: every case here skips the page and posts the
note editor's callback request directly, as an attacker would. After each
refused write the store is checked to hold exactly what it held before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import small_project as shop
from sqlalchemy import Engine
from web_support import FLAGGED, PASSWORD, WebClient, build_store, save_request, served_site

from dashboards import ids
from wbr.notes.model import NoteTarget
from wbr.notes.store import get_note, note_by_id, save_note
from wbr.people.audit import entries
from wbr.people.passwords import MAX_FAILED_SIGN_INS
from wbr.registry.access import Access, SignInMode
from wbr.registry.models import Registry

WEEK = shop.WEEK_ENDING
SAVE = f"{ids.EDITOR_SAVE}.n_clicks"
DELETE = f"{ids.EDITOR_DELETE}.n_clicks"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Registry, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'store.db'}"
    engine, project = build_store(url)
    with served_site(engine, project) as base:
        yield engine, project, base
    engine.dispose()


def _client(base: str, who: str | None) -> WebClient:
    client = WebClient(base)
    if who is not None:
        assert client.sign_in(who).status == 302
    return client


def _save(client: WebClient, target: NoteTarget, text: str, base: int | None, token: Any) -> Any:
    return client.call(*save_request(target.key, text, base, token))


def _revision(engine: Engine, target: NoteTarget) -> int | None:
    note = get_note(engine, target)
    return None if note is None else note.revision


@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("viv", 200), ("ana", 200), ("ben", 200), ("ada", 200)]
)
def test_reading_the_deck_needs_a_person_unless_anonymous_reading_is_on(
    site: tuple[Engine, Registry, str], who: str | None, status: int
) -> None:
    _, _, base = site
    client = _client(base, who)
    page = client.get("/")
    assert page.status == status
    if who is None:
        assert page.location is not None and page.location.startswith("/login")
        assert client.get("/_dash-layout").status == 401
    else:
        assert ids.DECK_CONTAINER in client.get("/_dash-layout").body


# (who, metric, allowed): ana owns the traffic metrics, ben the order metrics.
WRITES = [
    ("viv", "clicks", False),
    ("ben", "clicks", False),
    ("ana", "clicks", True),
    ("ada", "clicks", True),
    ("ana", "revenue", False),
    ("ben", "revenue", True),
]


@pytest.mark.parametrize(("who", "metric", "allowed"), WRITES)
def test_writing_a_note_is_for_the_metric_s_owners_and_admins(
    site: tuple[Engine, Registry, str], who: str, metric: str, allowed: bool
) -> None:
    engine, _, base = site
    target = NoteTarget(metric, WEEK, f"w-{who}")  # a target of its own per case
    client = _client(base, who)
    reply = _save(client, target, f"{who} was here", None, client.csrf_token())
    if allowed:
        assert reply.status == 200, reply.body
        note = get_note(engine, target)
        assert note is not None and note.current.author == who
    else:
        assert reply.status == 403
        assert get_note(engine, target, include_deleted=True) is None


def test_anonymous_writes_never_reach_the_callback(site: tuple[Engine, Registry, str]) -> None:
    engine, _, base = site
    target = NoteTarget(FLAGGED, WEEK, "anonymous")
    anonymous = WebClient(base)
    anonymous.learn_callbacks_from(_client(base, "viv"))  # it may not even read them itself
    assert _save(anonymous, target, "x", None, None).status == 401
    assert get_note(engine, target, include_deleted=True) is None


@pytest.mark.parametrize(
    ("who", "allowed"), [("ana", True), ("ada", True), ("ben", False), ("viv", False)]
)
def test_editing_another_person_s_note(
    site: tuple[Engine, Registry, str], who: str, allowed: bool
) -> None:
    """A note on a metric belongs to the metric: its owners carry it on, others may not."""
    engine, _, base = site
    target = NoteTarget("ctr", WEEK, f"edit-{who}")
    first = save_note(
        engine, target, status="investigating", text="ada's", author="ada", base_revision=None
    )
    client = _client(base, who)
    reply = _save(client, target, f"{who}'s edit", first.revision, client.csrf_token())
    assert reply.status == (200 if allowed else 403)
    assert _revision(engine, target) == (2 if allowed else 1)


@pytest.mark.parametrize(("who", "allowed"), [("ana", True), ("ben", False), ("viv", False)])
def test_deleting_a_note(site: tuple[Engine, Registry, str], who: str, allowed: bool) -> None:
    engine, _, base = site
    target = NoteTarget("impressions", WEEK, f"delete-{who}")
    note = save_note(engine, target, status="explained", text="x", author="ana", base_revision=None)
    client = _client(base, who)
    reply = client.call(
        DELETE,
        {DELETE: 1},
        {f"{ids.EDITOR_TARGET}.data": target.key, f"{ids.CSRF_TOKEN}.data": client.csrf_token()},
    )
    assert reply.status == (200 if allowed else 403)
    stored = note_by_id(engine, note.id)
    assert stored is not None and stored.deleted is allowed


@pytest.mark.parametrize("token", [None, "", "forged-token-of-the-right-length-000000000000"])
def test_a_write_without_the_session_s_token_is_refused(
    site: tuple[Engine, Registry, str], token: str | None
) -> None:
    engine, _, base = site
    target = NoteTarget(FLAGGED, WEEK, "csrf")
    client = _client(base, "ana")
    assert _save(client, target, "forged", None, token).status == 403
    assert get_note(engine, target, include_deleted=True) is None


def test_another_session_s_token_does_not_work(site: tuple[Engine, Registry, str]) -> None:
    engine, _, base = site
    target = NoteTarget(FLAGGED, WEEK, "csrf-other")
    victim, attacker = _client(base, "ana"), _client(base, "ben")
    assert _save(victim, target, "forged", None, attacker.csrf_token()).status == 403
    assert get_note(engine, target, include_deleted=True) is None


def test_writes_are_audited(site: tuple[Engine, Registry, str]) -> None:
    engine, _, base = site
    target = NoteTarget(FLAGGED, WEEK, "audited")
    client = _client(base, "ana")
    assert _save(client, target, "Outage at the CDN", None, client.csrf_token()).status == 200
    [entry] = [e for e in entries(engine) if e.target == target.describe()]
    assert entry.actor == "ana" and entry.action == "write note"


def test_there_is_no_way_to_manage_people_over_the_web(site: tuple[Engine, Registry, str]) -> None:
    """People are managed with `wbr users` on the store's machine; the app has no such route."""
    _, _, base = site
    admin = _client(base, "ada")
    for path in ("/users", "/admin", "/api/users"):
        assert admin.post_form(path, {"key": "mallory", "role": "admin"}).status in (404, 405)


def test_wrong_passwords_lock_and_say_so(site: tuple[Engine, Registry, str]) -> None:
    _, _, base = site
    client = WebClient(base)
    for _ in range(MAX_FAILED_SIGN_INS):
        assert client.sign_in("viv", "not the password").status == 401
    locked = client.sign_in("viv", PASSWORD)
    assert locked.status == 401 and "Too many wrong passwords" in locked.body
    from wbr.people.accounts import set_password

    set_password(site[0], "viv", PASSWORD, "test")  # an admin resets it: the lock lifts


def test_sign_out_ends_the_session_even_for_a_copied_cookie(
    site: tuple[Engine, Registry, str],
) -> None:
    _, _, base = site
    client = _client(base, "ana")
    stolen = WebClient(base)
    for cookie in client.cookies:
        stolen.cookies.set_cookie(cookie)
    assert stolen.get("/").status == 200
    token = client.csrf_token()
    assert token is not None
    assert client.post_form("/logout", {"csrf": token}).status == 302
    assert stolen.get("/").status == 302  # the session is revoked in the store


def test_sign_in_never_redirects_off_the_site(site: tuple[Engine, Registry, str]) -> None:
    _, _, base = site
    client = WebClient(base)
    page = client.get("/login?next=//evil.example/x").body
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    reply = client.post_form(
        "/login",
        {"key": "ana", "password": PASSWORD, "csrf": token, "next": "https://evil.example/"},
    )
    assert reply.status == 302 and reply.location == "/"


def test_sign_in_without_the_form_token_is_refused(site: tuple[Engine, Registry, str]) -> None:
    _, _, base = site
    reply = WebClient(base).post_form("/login", {"key": "ana", "password": PASSWORD})
    assert reply.status == 400


def _proxy_site(tmp_path: Path, trusted: tuple[str, ...]) -> tuple[Engine, Registry]:
    engine, project = build_store(f"sqlite:///{tmp_path / 'proxy.db'}")
    access = Access(sign_in=SignInMode.PROXY, trusted_proxies=trusted)
    return engine, replace_registry_access(project, access)


def replace_registry_access(project: Registry, access: Access) -> Registry:
    return project.model_copy(update={"access": access})


def test_a_trusted_proxy_names_the_person(tmp_path: Path) -> None:
    engine, project = _proxy_site(tmp_path, ("127.0.0.1",))
    with served_site(engine, project) as base:
        client = WebClient(base, headers={"X-Forwarded-User": "ana"})
        assert client.get("/").status == 200
        target = NoteTarget(FLAGGED, WEEK, "proxy")
        assert _save(client, target, "Proxy user", None, client.csrf_token()).status == 200
        note = get_note(engine, target)
        assert note is not None and note.current.author == "ana"
        # Someone the store does not know yet arrives as a viewer, who may not write.
        newcomer = WebClient(base, headers={"X-Forwarded-User": "newcomer"})
        assert newcomer.get("/").status == 200
        refused = _save(
            newcomer, NoteTarget(FLAGGED, WEEK, "new"), "x", None, newcomer.csrf_token()
        )
        assert refused.status == 403
    engine.dispose()


def test_the_proxy_header_from_an_untrusted_address_is_ignored(tmp_path: Path) -> None:
    engine, project = _proxy_site(tmp_path, ("10.9.9.9",))
    with served_site(engine, project) as base:
        reply = WebClient(base).request("/", headers={"X-Forwarded-User": "ada"})
        assert reply.status == 302 and reply.location is not None
        assert reply.location.startswith("/login")
    engine.dispose()


@pytest.mark.postgres
def test_sign_in_write_and_read_back_on_postgresql(postgres_schema_url: str) -> None:
    engine, project = build_store(postgres_schema_url)
    with served_site(engine, project) as base:
        owner = _client(base, "ana")
        target = NoteTarget(FLAGGED, WEEK, "robust")
        assert _save(owner, target, "CDN outage", None, owner.csrf_token()).status == 200
        viewer = _client(base, "viv")
        assert "CDN outage" in viewer.get("/_dash-layout").body
        refused = _save(viewer, target, "viewer's", 1, viewer.csrf_token())
        assert refused.status == 403
        assert _revision(engine, target) == 1
    engine.dispose()
