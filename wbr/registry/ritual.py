"""The `schedule:` and `notifications:` sections of metrics.yaml: the weekly ritual.

The schedule says when the refresh runs (a crontab line in a time zone), when
explanations are due and when the meeting is; `notifications:` says who hears
about it and through which channels. Both are validated here, so a bad crontab
or an unknown time zone is an error with its line, not a scheduler that never fires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from wbr.registry.base import NAME_PATTERN, StrictModel
from wbr.registry.problems import Level, Problem
from wbr.registry.yaml_source import Locations

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MOMENT_RE = re.compile(r"^(?P<day>[a-z]+)\s+(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})$")
ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+$"


@dataclass(frozen=True, slots=True)
class WeeklyMoment:
    """A weekday and a time of day, such as "tuesday 17:00"."""

    weekday: int  # Monday is 0, as `date.weekday()`
    at: time

    @classmethod
    def parse(cls, text: str) -> WeeklyMoment:
        found = _MOMENT_RE.match(text.strip().lower())
        if found is None or found["day"] not in WEEKDAY_NAMES:
            raise ValueError(f"{text!r} is not a weekday and a time; write e.g. 'tuesday 17:00'")
        hour, minute = int(found["hour"]), int(found["minute"])
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r} has no such time of day; use 00:00 to 23:59")
        return cls(WEEKDAY_NAMES.index(found["day"]), time(hour, minute))


def _check_crontab(expression: str, zone: str) -> None:
    # APScheduler is the scheduler that will fire it, so it is also what checks it.
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression, timezone=zone)
    except ValueError as error:
        raise ValueError(
            f"{expression!r} is not a crontab line ({error}); write five fields, minute hour "
            "day-of-month month day-of-week, e.g. '0 6 * * mon' for Mondays at 06:00"
        ) from None


class Schedule(StrictModel):
    """When the weekly job runs and when people must act (docs/ritual.md)."""

    timezone: str = "UTC"  # an IANA name such as Europe/Berlin; every time below is in it
    refresh: str  # crontab: minute hour day-of-month month day-of-week
    explanations_due: str | None = None  # "tuesday 17:00": owners explain flags before
    meeting: str | None = None  # "wednesday 10:00": shown on the deck and in messages
    reminder_hours_before: Annotated[float, Field(gt=0, le=24 * 6)] = 4.0
    # A refresh missed while the scheduler was down still runs, once, within this time.
    misfire_grace_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 180
    retry_attempts: Annotated[int, Field(ge=1, le=20)] = 3  # attempts in all, the first included
    retry_backoff_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 5.0  # doubles each time
    # A lock whose holder stopped renewing it (killed) is free after this long.
    lock_timeout_seconds: Annotated[int, Field(ge=5, le=24 * 3600)] = 300

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin or UTC"
            ) from None
        return value

    @field_validator("explanations_due", "meeting")
    @classmethod
    def _moment(cls, value: str | None) -> str | None:
        if value is not None:
            WeeklyMoment.parse(value)
        return value

    @field_validator("refresh")
    @classmethod
    def _crontab(cls, value: str) -> str:
        # Whether a crontab parses does not depend on the zone; checked here for its line.
        _check_crontab(value, "UTC")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def deadline(self) -> WeeklyMoment | None:
        return WeeklyMoment.parse(self.explanations_due) if self.explanations_due else None

    @property
    def meeting_moment(self) -> WeeklyMoment | None:
        return WeeklyMoment.parse(self.meeting) if self.meeting else None


class MessageKind(StrEnum):
    DECK_READY = "deck_ready"
    PLEASE_EXPLAIN = "please_explain"
    REMINDER = "reminder"
    REFRESH_FAILED = "refresh_failed"


class WebhookFormat(StrEnum):
    SLACK = "slack"  # Slack-compatible incoming webhook: {"text": …}
    JSON = "json"  # the whole message as JSON, signed with HMAC-SHA256


class EmailSettings(StrictModel):
    host: str = Field(min_length=1)
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    starttls: bool = True  # upgrade the connection before logging in; off only for a local relay
    sender: str = Field(pattern=EMAIL_PATTERN)
    username_env: str = Field(default="WBR_SMTP_USERNAME", pattern=ENV_NAME_PATTERN)
    password_env: str = Field(default="WBR_SMTP_PASSWORD", pattern=ENV_NAME_PATTERN)
    ca_file: str | None = None  # a CA bundle for a relay with a private certificate
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0


class Webhook(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    url: str | None = None
    url_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)  # keeps a secret URL out
    format: WebhookFormat = WebhookFormat.SLACK
    secret_env: str | None = Field(default=None, pattern=ENV_NAME_PATTERN)  # HMAC key (json)
    messages: tuple[MessageKind, ...] = tuple(MessageKind)
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 10.0

    @model_validator(mode="after")
    def _complete(self) -> Webhook:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give the webhook either `url` or `url_env`, not both or neither")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must start with http:// or https://")
        if self.format is WebhookFormat.JSON and self.secret_env is None:
            raise ValueError(
                "a json webhook is signed: name the environment variable holding its "
                "key in `secret_env`"
            )
        return self


class Notifications(StrictModel):
    """Who hears about the ritual, and how (docs/ritual.md)."""

    base_url: str = "http://127.0.0.1:8050"  # where people open the deck: links in messages
    email: EmailSettings | None = None
    webhooks: tuple[Webhook, ...] = ()
    leaders: tuple[str, ...] = ()  # person keys or e-mail addresses: *deck ready*
    admins: tuple[str, ...] = ()  # person keys or e-mail addresses: *refresh failed*
    owners: dict[str, str] = Field(default_factory=dict)  # owner key → address, over `people:`
    deck_pdf: str | None = None  # "exports/wbr-{week}.pdf": attached to *deck ready* if it exists

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("owners")
    @classmethod
    def _addresses(cls, value: dict[str, str]) -> dict[str, str]:
        for key, address in value.items():
            if not re.match(EMAIL_PATTERN, address):
                raise ValueError(f"owner {key!r}: {address!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _unique_webhooks(self) -> Notifications:
        names = [hook.name for hook in self.webhooks]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"webhook names must be unique; repeated: {', '.join(repeated)}")
        return self


def recipient_problems(
    notifications: Notifications, person_keys: set[str], file: Path, locations: Locations
) -> list[Problem]:
    """Leaders and admins must be people under `people:` or e-mail addresses."""
    problems = []
    for group in ("leaders", "admins"):
        for index, entry in enumerate(getattr(notifications, group)):
            if entry in person_keys or re.match(EMAIL_PATTERN, entry):
                continue
            problems.append(
                Problem(
                    Level.ERROR,
                    file,
                    locations.line_of(("notifications", group, index)),
                    f"notifications: `{group}` names {entry!r}, which is neither a person "
                    "nor an e-mail address",
                    "use a key under `people:` or an address such as ops@example.com"
                    + (f"; people: {', '.join(sorted(person_keys))}" if person_keys else ""),
                )
            )
    return problems


__all__ = [
    "EmailSettings",
    "MessageKind",
    "Notifications",
    "Schedule",
    "Webhook",
    "WebhookFormat",
    "WeeklyMoment",
    "recipient_problems",
]
