"""The reference app's `setup:` → wbr's `project:` and the deck's title and monthly view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from wbr import calendar as cal
from wbr.importers.notes import ImportNote, NoteLevel
from wbr.registry.models import MONTH_NAMES, Weekday

WEEK_ENDING_FORMAT = "%d-%b-%Y"  # 25-SEP-2021
DEFAULT_FISCAL_YEAR_END_MONTH = 12  # the reference's default, DEC
DEFAULT_TITLE = "Weekly Business Review"
MONTHLY_VIEWS = ("trailing_twelve_months", "fiscal_year")
NOT_TRANSLATED = {
    "block_starting_number": "wbr does not number blocks",
    "tooltip": "not translated",
    "db_config_url": "the data comes from the CSV given with --data",
}


@dataclass(frozen=True)
class SetupResult:
    project: dict[str, Any]
    deck_title: str
    monthly_view: str | None  # None: wbr's default, trailing_twelve_months
    week_ending: date | None


def translate_setup(raw: Any, notes: list[ImportNote]) -> SetupResult:
    setup: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    title = str(setup.get("title") or DEFAULT_TITLE)
    project: dict[str, Any] = {"name": title}
    week_ending = _week_ending(setup.get("week_ending"), notes)
    if week_ending is not None:
        project["week_ends_on"] = list(Weekday)[week_ending.weekday()].value
        _note_week_number(setup.get("week_number"), week_ending, notes)
    project["fiscal_year_end_month"] = _fiscal_month(setup.get("fiscal_year_end_month"), notes)
    view = setup.get("x_axis_monthly_display")
    if view is not None and view not in MONTHLY_VIEWS:
        notes.append(
            ImportNote(
                NoteLevel.NOT_TRANSLATED,
                "setup.x_axis_monthly_display",
                f"unknown value {view!r}; using trailing_twelve_months",
            )
        )
        view = None
    known = {"title", "week_ending", "week_number", "fiscal_year_end_month"}
    for key, value in setup.items():
        if key in NOT_TRANSLATED:
            notes.append(
                ImportNote(
                    NoteLevel.NOT_TRANSLATED, f"setup.{key}", f"`{value}`: {NOT_TRANSLATED[key]}"
                )
            )
        elif key not in known and key != "x_axis_monthly_display":
            notes.append(
                ImportNote(
                    NoteLevel.NOT_TRANSLATED, f"setup.{key}", "unknown setting, not translated"
                )
            )
    return SetupResult(project, title, view, week_ending)


def _week_ending(value: Any, notes: list[ImportNote]) -> date | None:
    try:
        week_ending = datetime.strptime(str(value).strip(), WEEK_ENDING_FORMAT).date()
    except ValueError:
        notes.append(
            ImportNote(
                NoteLevel.NOT_TRANSLATED,
                "setup.week_ending",
                f"{value!r} is not a date such as 25-SEP-2021; weeks end on Saturday, "
                "set `project.week_ends_on` if yours do not",
            )
        )
        return None
    notes.append(
        ImportNote(
            NoteLevel.INFO,
            "setup.week_ending",
            f"weeks end on {week_ending.strftime('%A')}s. The deck shows the latest complete week "
            f"in the data; for this one run `wbr export --week-ending {week_ending.isoformat()}` "
            "or pick it in the app",
        )
    )
    return week_ending


def _note_week_number(value: Any, week_ending: date, notes: list[ImportNote]) -> None:
    if value is None:
        return
    ours = cal.week_number(week_ending)
    same = str(value).strip() == str(ours)
    notes.append(
        ImportNote(
            NoteLevel.INFO if same else NoteLevel.CHANGED,
            "setup.week_number",
            f"`{value}` is not needed: wbr numbers weeks from their dates (week 1 is the first "
            f"week wholly in the year), so the week ending {week_ending.isoformat()} is wk {ours}"
            + ("" if same else f", not wk {value}"),
        )
    )


def _fiscal_month(value: Any, notes: list[ImportNote]) -> int:
    if value is None or value == "":
        return DEFAULT_FISCAL_YEAR_END_MONTH
    key = str(value).strip().lower()[:3]
    if key in MONTH_NAMES:
        return MONTH_NAMES.index(key) + 1
    if key.isdigit() and 1 <= int(key) <= 12:
        return int(key)
    notes.append(
        ImportNote(
            NoteLevel.NOT_TRANSLATED,
            "setup.fiscal_year_end_month",
            f"{value!r} is not a month; the fiscal year ends in December",
        )
    )
    return DEFAULT_FISCAL_YEAR_END_MONTH
