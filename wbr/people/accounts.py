"""Accounts in the store: add, list, change role, disable, passwords, delegates.

Every change is written with its audit entry in one transaction. `actor` is the
person (or "cli:<login>") who made the change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import Row

from wbr.errors import AccessError
from wbr.people.audit import as_utc, record
from wbr.people.passwords import (
    LOCK_MINUTES,
    MAX_FAILED_SIGN_INS,
    hash_password,
    password_matches,
)
from wbr.people.roles import Person, Role
from wbr.store.schema import metric_delegates, people, web_sessions


@dataclass(frozen=True)
class Account:
    person: Person
    has_password: bool
    failed_sign_ins: int
    locked_until: datetime | None


@dataclass(frozen=True)
class SignIn:
    person: Person | None  # None: refused
    reason: str  # why it was refused; "" when it succeeded


WRONG_CREDENTIALS = "wrong name or password"


def person_from_row(row: Row[tuple[object, ...]]) -> Person:
    mapping = row._mapping
    return Person(
        key=str(mapping["key"]),
        name=str(mapping["name"]),
        role=Role(mapping["role"]),
        active=bool(mapping["active"]),
        email=mapping["email"],
    )


def _account(row: Row[tuple[object, ...]]) -> Account:
    mapping = row._mapping
    locked = mapping["locked_until"]
    return Account(
        person=person_from_row(row),
        has_password=mapping["password_hash"] is not None,
        failed_sign_ins=int(mapping["failed_sign_ins"]),
        locked_until=as_utc(locked) if isinstance(locked, datetime) else None,
    )


def add_person(
    engine: Engine,
    key: str,
    name: str,
    role: Role,
    actor: str,
    email: str | None = None,
    password: str | None = None,
) -> Person:
    key = key.strip()
    if not key:
        raise AccessError("a person needs a key (an e-mail address or a handle)")
    password_hash = hash_password(password) if password is not None else None
    now = datetime.now(UTC)
    with engine.begin() as connection:
        exists = connection.execute(select(people.c.key).where(people.c.key == key)).first()
        if exists is not None:
            raise AccessError(f"{key!r} already exists; use `wbr users set-role` to change it")
        connection.execute(
            people.insert().values(
                key=key,
                name=name or key,
                email=email,
                role=role.value,
                active=True,
                password_hash=password_hash,
                failed_sign_ins=0,
                locked_until=None,
                created_at=now,
                updated_at=now,
            )
        )
        record(connection, actor, "add person", key, f"role={role.value}")
    return Person(key=key, name=name or key, role=role, email=email)


def get_account(engine: Engine, key: str) -> Account | None:
    with engine.connect() as connection:
        row = connection.execute(select(people).where(people.c.key == key)).first()
    return _account(row) if row is not None else None


def get_person(engine: Engine, key: str) -> Person | None:
    account = get_account(engine, key)
    return account.person if account is not None else None


def list_accounts(engine: Engine) -> list[Account]:
    with engine.connect() as connection:
        rows = connection.execute(select(people).order_by(people.c.key)).all()
    return [_account(row) for row in rows]


def _change(
    engine: Engine,
    key: str,
    actor: str,
    action: str,
    detail: str,
    *,
    end_sessions: bool = False,
    **values: object,
) -> None:
    """Update one person and audit it; `end_sessions` signs them out everywhere."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        changed = connection.execute(
            update(people).where(people.c.key == key).values(updated_at=now, **values)
        ).rowcount
        if not changed:
            raise AccessError(f"nobody has the key {key!r}; `wbr users list` shows who exists")
        if end_sessions:
            connection.execute(
                update(web_sessions)
                .where(web_sessions.c.person == key, web_sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        record(connection, actor, action, key, detail)


def set_role(engine: Engine, key: str, role: Role, actor: str) -> None:
    _change(engine, key, actor, "set role", role.value, end_sessions=True, role=role.value)


def set_active(engine: Engine, key: str, active: bool, actor: str) -> None:
    action = "enable person" if active else "disable person"
    _change(engine, key, actor, action, "", end_sessions=not active, active=active)


def set_password(engine: Engine, key: str, password: str, actor: str) -> None:
    """A new password; also lifts a lockout."""
    _change(
        engine,
        key,
        actor,
        "set password",
        "",
        end_sessions=True,
        password_hash=hash_password(password),
        failed_sign_ins=0,
        locked_until=None,
    )


def check_sign_in(engine: Engine, key: str, password: str, now: datetime | None = None) -> SignIn:
    """The person when `password` is theirs; counts failures and locks after too many.

    The message never says whether the name exists, so it cannot be used to find
    accounts; a locked account says so, since its owner needs to know.
    """
    now = now or datetime.now(UTC)
    with engine.begin() as connection:
        row = connection.execute(select(people).where(people.c.key == key.strip())).first()
        if row is None:
            return SignIn(None, WRONG_CREDENTIALS)
        account = _account(row)
        if account.locked_until is not None and account.locked_until > now:
            return SignIn(None, f"too many wrong passwords: try again after {LOCK_MINUTES} minutes")
        if not password_matches(row._mapping["password_hash"], password):
            failures = account.failed_sign_ins + 1
            locked = (
                now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILED_SIGN_INS else None
            )
            connection.execute(
                update(people)
                .where(people.c.key == account.person.key)
                .values(
                    failed_sign_ins=0 if locked else failures,
                    locked_until=locked,
                )
            )
            if locked is not None:
                record(connection, account.person.key, "locked out", account.person.key)
            return SignIn(None, WRONG_CREDENTIALS)
        if not account.person.active:
            return SignIn(None, "this account is disabled; ask an admin")
        connection.execute(
            update(people)
            .where(people.c.key == account.person.key)
            .values(failed_sign_ins=0, locked_until=None)
        )
    return SignIn(account.person, "")


def delegate(engine: Engine, metric: str, key: str, actor: str) -> None:
    with engine.begin() as connection:
        if connection.execute(select(people.c.key).where(people.c.key == key)).first() is None:
            raise AccessError(f"nobody has the key {key!r}; add them with `wbr users add`")
        connection.execute(
            delete(metric_delegates).where(
                (metric_delegates.c.metric == metric) & (metric_delegates.c.person == key)
            )
        )
        connection.execute(
            metric_delegates.insert().values(
                metric=metric, person=key, granted_by=actor, granted_at=datetime.now(UTC)
            )
        )
        record(connection, actor, "delegate metric", metric, key)


def undelegate(engine: Engine, metric: str, key: str, actor: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            delete(metric_delegates).where(
                (metric_delegates.c.metric == metric) & (metric_delegates.c.person == key)
            )
        )
        record(connection, actor, "undelegate metric", metric, key)


def delegates(engine: Engine) -> dict[str, frozenset[str]]:
    """Metric name → the people it was delegated to."""
    found: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        for row in connection.execute(select(metric_delegates)):
            found[row.metric].add(row.person)
    return {metric: frozenset(keys) for metric, keys in found.items()}
