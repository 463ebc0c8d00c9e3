"""Password hashing and the sign-in slowdown.

Hashes come from Werkzeug's `generate_password_hash` with scrypt: Werkzeug is
already installed with Dash (Flask), scrypt is memory-hard, every hash carries
its own salt and parameters (so they can be raised later without breaking old
hashes), and the check is constant-time. argon2-cffi would be a second native
dependency for no gain we need.
"""

from __future__ import annotations

from typing import Final

from wbr.errors import AccessError

HASH_METHOD: Final = "scrypt"
MIN_PASSWORD_LENGTH: Final = 10
# After this many wrong passwords in a row the account is locked for LOCK_MINUTES.
MAX_FAILED_SIGN_INS: Final = 5
LOCK_MINUTES: Final = 15


class WeakPassword(AccessError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    from werkzeug.security import generate_password_hash  # not needed for `wbr --help`

    return generate_password_hash(password, method=HASH_METHOD)


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    from werkzeug.security import check_password_hash

    return check_password_hash(password_hash, password)
