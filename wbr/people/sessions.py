"""Sign-in sessions kept in the store, and the secret that signs their cookies.

The browser's cookie holds only a random session id (signed by Flask with the
secret below); the row here says whose it is, when it expires and whether it
was revoked. So signing out, disabling a person or changing their password ends
their sessions at once, whatever cookie they still hold.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from wbr.people.accounts import person_from_row
from wbr.people.audit import as_utc
from wbr.people.roles import Person
from wbr.store.schema import app_settings, people, web_sessions

SECRET_ENV: Final = "WBR_SECRET_KEY"
SECRET_SETTING: Final = "session_secret"
TOKEN_BYTES: Final = 32


@dataclass(frozen=True)
class WebSession:
    id: str
    person: Person
    csrf_token: str  # every write from this session must carry it
    expires_at: datetime


def secret_key(engine: Engine) -> str:
    """`WBR_SECRET_KEY`, or a secret generated on first use and kept in the store.

    Kept in the store, not in a file of the checkout, so that it is never
    committed and every web worker of one deployment signs with the same one.
    """
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    query = select(app_settings.c.value).where(app_settings.c.name == SECRET_SETTING)
    with engine.connect() as connection:
        found = connection.execute(query).scalar()
    if found:
        return str(found)
    try:
        with engine.begin() as connection:
            connection.execute(
                app_settings.insert().values(
                    name=SECRET_SETTING,
                    value=secrets.token_hex(TOKEN_BYTES),
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        pass  # another worker generated it first: use theirs
    with engine.connect() as connection:
        return str(connection.execute(query).scalar_one())


def start_session(engine: Engine, person: Person, hours: float) -> WebSession:
    now = datetime.now(UTC)
    session = WebSession(
        id=secrets.token_urlsafe(TOKEN_BYTES),
        person=person,
        csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
        expires_at=now + timedelta(hours=hours),
    )
    with engine.begin() as connection:
        connection.execute(
            web_sessions.insert().values(
                id=session.id,
                person=person.key,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
                revoked_at=None,
            )
        )
    return session


def find_session(engine: Engine, session_id: str, now: datetime | None = None) -> WebSession | None:
    """The live session with this id: not expired, not revoked, its person active."""
    now = now or datetime.now(UTC)
    query = (
        select(web_sessions, people)
        .join(people, people.c.key == web_sessions.c.person)
        .where(web_sessions.c.id == session_id, web_sessions.c.revoked_at.is_(None))
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    expires_at = as_utc(row._mapping["expires_at"])
    person = person_from_row(row)
    if expires_at <= now or not person.active:
        return None
    return WebSession(session_id, person, str(row._mapping["csrf_token"]), expires_at)


def end_session(engine: Engine, session_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(web_sessions)
            .where(web_sessions.c.id == session_id)
            .values(revoked_at=datetime.now(UTC))
        )


def end_sessions_of(engine: Engine, person_key: str) -> int:
    """Revoke every live session of a person (disabled, new password, new role)."""
    with engine.begin() as connection:
        return connection.execute(
            update(web_sessions)
            .where(web_sessions.c.person == person_key, web_sessions.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        ).rowcount
