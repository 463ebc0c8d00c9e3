"""The `people:` and `access:` sections of metrics.yaml.

`people:` is the directory: who the owners are, by the stable key a metric's
`owner:` names, with a display name and an e-mail address. Accounts (role,
password, active) live in the store and are managed with `wbr users`; a key
listed here is the natural key of such an account.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from wbr.registry.base import StrictModel

PERSON_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$"  # a handle or an e-mail address


class DirectoryRole(StrEnum):
    VIEWER = "viewer"
    OWNER = "owner"
    ADMIN = "admin"


class PersonEntry(StrictModel):
    key: str = Field(pattern=PERSON_KEY_PATTERN)
    name: str = Field(min_length=1)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    team: str | None = None
    role: DirectoryRole = DirectoryRole.OWNER  # the role `wbr users sync` gives a new account

    @property
    def display(self) -> str:
        """ "Marco Bianchi (Category Management)" as the deck shows an owner."""
        return f"{self.name} ({self.team})" if self.team else self.name


class SignInMode(StrEnum):
    PASSWORD = "password"  # the app's own sign-in page
    PROXY = "proxy"  # a company sign-on proxy in front names the person in a header


class Access(StrictModel):
    # Let visitors who are not signed in read the deck. Writing always needs a person.
    anonymous_read: bool = False
    session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 12.0
    sign_in: SignInMode = SignInMode.PASSWORD
    proxy_header: str = "X-Forwarded-User"
    # The header is believed only from these addresses (the proxy's), never from a browser.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            try:
                ipaddress.ip_network(address, strict=False)
            except ValueError:
                raise ValueError(
                    f"{address!r} is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24"
                ) from None
        return value

    def trusts(self, remote_address: str | None) -> bool:
        """Whether a request from `remote_address` may name its person in the header."""
        if self.sign_in is not SignInMode.PROXY or not remote_address:
            return False
        try:
            remote = ipaddress.ip_address(remote_address)
        except ValueError:
            return False
        return any(
            remote in ipaddress.ip_network(address, strict=False)
            for address in self.trusted_proxies
        )
