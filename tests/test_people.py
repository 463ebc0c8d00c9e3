"""Accounts, passwords, lockout, sessions and the authorization rules, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from wbr.errors import AccessError
from wbr.people import accounts, sessions
from wbr.people.audit import entries
from wbr.people.passwords import MAX_FAILED_SIGN_INS, WeakPassword
from wbr.people.roles import Action, Person, Role, authorize
from wbr.store.schema import people

PASSWORD = "correct horse battery"


def _add(engine: Engine, key: str, role: Role = Role.OWNER) -> Person:
    return accounts.add_person(engine, key, key.title(), role, "test", password=PASSWORD)


def test_password_is_stored_only_as_a_salted_scrypt_hash(store_engine: Engine) -> None:
    _add(store_engine, "ana")
    _add(store_engine, "ben")
    with store_engine.connect() as connection:
        hashes = dict(connection.execute(select(people.c.key, people.c.password_hash)).all())
    assert all(value.startswith("scrypt:") for value in hashes.values())
    assert PASSWORD not in "".join(hashes.values())
    assert hashes["ana"] != hashes["ben"]  # same password, different salt
    assert accounts.check_sign_in(store_engine, "ana", PASSWORD).person is not None


def test_short_passwords_are_refused(store_engine: Engine) -> None:
    with pytest.raises(WeakPassword):
        accounts.add_person(store_engine, "ana", "Ana", Role.OWNER, "test", password="short")
    assert accounts.get_account(store_engine, "ana") is None


def test_duplicate_and_unknown_people_are_clear_errors(store_engine: Engine) -> None:
    _add(store_engine, "ana")
    with pytest.raises(AccessError, match="already exists"):
        _add(store_engine, "ana")
    with pytest.raises(AccessError, match="nobody has the key 'zed'"):
        accounts.set_role(store_engine, "zed", Role.ADMIN, "test")


def test_wrong_passwords_lock_the_account_then_it_opens_again(store_engine: Engine) -> None:
    _add(store_engine, "ana")
    for _ in range(MAX_FAILED_SIGN_INS):
        refused = accounts.check_sign_in(store_engine, "ana", "not the password")
        assert refused.person is None
    locked = accounts.check_sign_in(store_engine, "ana", PASSWORD)
    assert locked.person is None and "too many" in locked.reason
    later = datetime.now(UTC) + timedelta(hours=1)
    assert accounts.check_sign_in(store_engine, "ana", PASSWORD, now=later).person is not None
    assert any(entry.action == "locked out" for entry in entries(store_engine))


def test_unknown_name_and_wrong_password_read_the_same(store_engine: Engine) -> None:
    _add(store_engine, "ana")
    unknown = accounts.check_sign_in(store_engine, "nobody", PASSWORD)
    wrong = accounts.check_sign_in(store_engine, "ana", "not the password")
    assert unknown.reason == wrong.reason == accounts.WRONG_CREDENTIALS


def test_sessions_expire_and_end_when_the_person_is_disabled(store_engine: Engine) -> None:
    ana = _add(store_engine, "ana")
    web = sessions.start_session(store_engine, ana, hours=1)
    found = sessions.find_session(store_engine, web.id)
    assert found is not None and found.person.key == "ana" and found.csrf_token == web.csrf_token
    assert sessions.find_session(store_engine, web.id, now=web.expires_at) is None
    accounts.set_active(store_engine, "ana", False, "test")
    assert sessions.find_session(store_engine, web.id) is None
    assert accounts.check_sign_in(store_engine, "ana", PASSWORD).person is None


def test_a_new_password_ends_old_sessions(store_engine: Engine) -> None:
    ana = _add(store_engine, "ana")
    web = sessions.start_session(store_engine, ana, hours=1)
    accounts.set_password(store_engine, "ana", "another long password", "test")
    assert sessions.find_session(store_engine, web.id) is None
    assert accounts.check_sign_in(store_engine, "ana", "another long password").person


def test_sign_out_revokes_the_session(store_engine: Engine) -> None:
    web = sessions.start_session(store_engine, _add(store_engine, "ana"), hours=1)
    sessions.end_session(store_engine, web.id)
    assert sessions.find_session(store_engine, web.id) is None


def test_the_secret_is_generated_once_and_kept(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(sessions.SECRET_ENV, raising=False)
    first = sessions.secret_key(store_engine)
    assert len(first) == 2 * sessions.TOKEN_BYTES
    assert sessions.secret_key(store_engine) == first
    monkeypatch.setenv(sessions.SECRET_ENV, "from-the-environment")
    assert sessions.secret_key(store_engine) == "from-the-environment"


def test_delegates_are_stored_per_metric(store_engine: Engine) -> None:
    _add(store_engine, "ana")
    _add(store_engine, "ben")
    accounts.delegate(store_engine, "revenue", "ben", "ana")
    assert accounts.delegates(store_engine) == {"revenue": frozenset({"ben"})}
    accounts.undelegate(store_engine, "revenue", "ben", "ana")
    assert accounts.delegates(store_engine) == {}
    with pytest.raises(AccessError):
        accounts.delegate(store_engine, "revenue", "nobody", "ana")


ANA = Person("ana", "Ana", Role.OWNER)
BEN = Person("ben", "Ben", Role.OWNER)
VIV = Person("viv", "Viv", Role.VIEWER)
ADA = Person("ada", "Ada", Role.ADMIN)


@pytest.mark.parametrize(
    ("person", "action", "allowed"),
    [
        (None, Action.READ_DECK, False),
        (None, Action.WRITE_NOTE, False),
        (VIV, Action.READ_DECK, True),
        (VIV, Action.WRITE_NOTE, False),
        (ANA, Action.WRITE_NOTE, True),  # ana owns the metric
        (BEN, Action.WRITE_NOTE, False),  # ben owns another one
        (ANA, Action.DELETE_NOTE, True),
        (BEN, Action.DELETE_NOTE, False),
        (ANA, Action.RESTORE_NOTE, False),
        (ANA, Action.MANAGE_PEOPLE, False),
        (ADA, Action.WRITE_NOTE, True),
        (ADA, Action.RESTORE_NOTE, True),
        (ADA, Action.MANAGE_PEOPLE, True),
        (Person("ana", "Ana", Role.OWNER, active=False), Action.WRITE_NOTE, False),
    ],
)
def test_authorization_rules(person: Person | None, action: Action, allowed: bool) -> None:
    assert authorize(person, action, metric_owner="ana").allowed is allowed


def test_anonymous_reading_only_when_the_setting_allows() -> None:
    assert authorize(None, Action.READ_DECK, anonymous_read=True).allowed
    assert not authorize(None, Action.WRITE_NOTE, metric_owner="ana", anonymous_read=True).allowed


def test_a_delegate_writes_like_the_owner() -> None:
    decision = authorize(BEN, Action.WRITE_NOTE, metric_owner="ana", delegates={"ben"})
    assert decision.allowed
