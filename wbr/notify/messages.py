"""What each notification says: deck ready, please explain, reminder, refresh failed.

A message is plain data with a stable `event` key: the outbox sends each event once
per recipient, so the key names exactly what happened (the week, the metric, the
fire time and attempt), never when it was noticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from wbr.anomalies import Flag
from wbr.deck.format import format_date
from wbr.deck.model import Deck
from wbr.notify.links import deck_url, flag_url
from wbr.registry.ritual import MessageKind

TIME_FORMAT = "%a %d %b %Y %H:%M %Z"


@dataclass(frozen=True)
class Message:
    kind: MessageKind
    event: str  # what happened, e.g. "please_explain/2026-11-28/orders"
    subject: str
    text: str  # the plain-text body: e-mail, and Slack's `text`
    link: str  # where to act: the deck, or the flag in it
    fields: dict[str, Any] = field(default_factory=dict)  # the structured JSON payload
    attachment: str | None = None  # a file to attach to the e-mail (the deck's PDF)


def _when(moment: datetime | None) -> str:
    return moment.strftime(TIME_FORMAT) if moment is not None else "not scheduled"


def deck_ready(
    deck: Deck, base_url: str, meeting: datetime | None = None, pdf: Path | None = None
) -> Message:
    """To the leaders: the week's deck, its exceptions with their owners, and a link."""
    link = deck_url(base_url, deck.week_ending)
    exceptions = []
    for chart in deck.charts:
        for note in deck.open_flags(chart):
            exceptions.append(
                {
                    "metric": chart.metric,
                    "label": chart.label,
                    "owner": chart.owner_key or chart.owner,
                    "owner_name": chart.owner,
                    "sentence": note.explanation,
                    "link": flag_url(base_url, chart.metric, deck.week_ending, note.detector),
                }
            )
    week = format_date(deck.week_ending)
    lines = [f"The {deck.project} deck for the week ending {week} is ready: {link}"]
    if meeting is not None:
        lines.append(f"Meeting: {_when(meeting)}")
    lines.append("")
    if exceptions:
        lines.append(f"{len(exceptions)} exception(s):")
        lines += [f"- {e['label']} ({e['owner_name']}): {e['sentence']}" for e in exceptions]
    else:
        lines.append("No exceptions this week.")
    attachment = str(pdf) if pdf is not None and pdf.is_file() else None
    return Message(
        kind=MessageKind.DECK_READY,
        event=f"deck_ready/{deck.week_ending.isoformat()}",
        subject=f"WBR deck ready: week ending {week}, {len(exceptions)} exception(s)",
        text="\n".join(lines),
        link=link,
        fields={
            "week_ending": deck.week_ending.isoformat(),
            "project": deck.project,
            "meeting": meeting.isoformat() if meeting else None,
            "exceptions": exceptions,
        },
        attachment=attachment,
    )


def _flag_lines(flags: list[Flag], base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "detector": flag.detector.value,
            "severity": flag.severity.value,
            "sentence": flag.explanation,
            "link": flag_url(base_url, flag.metric, flag.week_ending, flag.detector.value),
        }
        for flag in flags
    ]


def _ask(
    kind: MessageKind,
    label: str,
    metric: str,
    owner: str,
    week_ending: date,
    flags: list[Flag],
    deadline: datetime | None,
    base_url: str,
) -> Message:
    items = _flag_lines(flags, base_url)
    week = format_date(week_ending)
    due = f"before {_when(deadline)}" if deadline else "before the meeting"
    if kind is MessageKind.REMINDER:
        subject = f"Reminder: {label} still needs your explanation, due {_when(deadline)}"
        opening = f"{label} (week ending {week}) is still waiting for your explanation, {due}."
    else:
        subject = f"Please explain: {label}, week ending {week}"
        opening = f"{label} moved outside its normal range in the week ending {week}."
        opening += f" Please explain it {due}: root cause, action, or still investigating."
    lines = [opening, ""] + [f"- {item['sentence']}\n  {item['link']}" for item in items]
    return Message(
        kind=kind,
        event=f"{kind.value}/{week_ending.isoformat()}/{metric}",
        subject=subject,
        text="\n".join(lines),
        link=items[0]["link"],
        fields={
            "metric": metric,
            "label": label,
            "owner": owner,
            "week_ending": week_ending.isoformat(),
            "deadline": deadline.isoformat() if deadline else None,
            "flags": items,
        },
    )


def please_explain(
    label: str,
    metric: str,
    owner: str,
    week_ending: date,
    flags: list[Flag],
    deadline: datetime | None,
    base_url: str,
) -> Message:
    """To a metric's owner, once per newly flagged metric-week."""
    return _ask(
        MessageKind.PLEASE_EXPLAIN, label, metric, owner, week_ending, flags, deadline, base_url
    )


def reminder(
    label: str,
    metric: str,
    owner: str,
    week_ending: date,
    flags: list[Flag],
    deadline: datetime | None,
    base_url: str,
) -> Message:
    """To a metric's owner before the deadline, while its flags are still unexplained."""
    return _ask(MessageKind.REMINDER, label, metric, owner, week_ending, flags, deadline, base_url)


def refresh_failed(
    scheduled_for: datetime,
    attempt: int,
    attempts: int,
    error: str,
    next_retry: datetime | None,
    base_url: str,
) -> Message:
    """To the admins, once per failed attempt; the last good deck keeps serving."""
    then = (
        f"The next attempt runs at {_when(next_retry)}."
        if next_retry
        else "No attempts are left; run `wbr refresh` once the cause is fixed."
    )
    text = (
        f"The refresh scheduled for {_when(scheduled_for)} failed (attempt {attempt} of "
        f"{attempts}):\n\n{error}\n\n{then}\nThe deck still shows the last good data: {base_url}/"
    )
    return Message(
        kind=MessageKind.REFRESH_FAILED,
        # In UTC: the same fire time is the same event whatever zone it was computed in.
        event=f"refresh_failed/{scheduled_for.astimezone(UTC).isoformat()}/{attempt}",
        subject=f"WBR refresh failed (attempt {attempt} of {attempts})",
        text=text,
        link=f"{base_url}/",
        fields={
            "scheduled_for": scheduled_for.isoformat(),
            "attempt": attempt,
            "attempts": attempts,
            "error": error,
            "next_retry": next_retry.isoformat() if next_retry else None,
        },
    )
