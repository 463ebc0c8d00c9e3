"""What a deck page's address says: the week, the view and the section.

`/?week=2021-09-25&view=exceptions&section=customer-experience` opens the deck of
the week ending 25 Sep 2021, only this week's exceptions, only the section titled
"Customer experience". Every parameter is optional and checked: an unknown week
means the latest, an unknown view "all", an unknown section every section.
The pickers write the same parameters back, so the address is always the view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlencode

VIEW_ALL: Final = "all"
VIEW_EXCEPTIONS: Final = "exceptions"
VIEWS: Final = (VIEW_ALL, VIEW_EXCEPTIONS)
ALL_SECTIONS: Final = ""  # the section picker's "All sections"
WEEK_PARAM: Final = "week"
VIEW_PARAM: Final = "view"
SECTION_PARAM: Final = "section"
METRIC_PARAM: Final = "metric"  # the metric page: /metric?metric=revenue&week=…


def section_slug(title: str) -> str:
    """ "Customer experience" → "customer-experience": a section's name in an address."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class DeckAddress:
    """The view a deck page shows; `week` is an ISO date or None (no data yet)."""

    week: str | None
    view: str = VIEW_ALL
    section: str = ALL_SECTIONS
    metric: str = ""  # a metric page's metric (/metric?metric=revenue)

    def query(self) -> str:
        """The address's query ("?week=…&view=…"), leaving out the defaults."""
        params = {METRIC_PARAM: self.metric} if self.metric else {}
        if self.week:
            params[WEEK_PARAM] = self.week
        if self.view != VIEW_ALL:
            params[VIEW_PARAM] = self.view
        if self.section:
            params[SECTION_PARAM] = self.section
        return f"?{urlencode(params)}" if params else ""

    @property
    def key(self) -> str:
        return f"{self.week}|{self.view}|{self.section}|{self.metric}"


def parse_address(
    search: str | None, weeks: list[str], sections: list[str] | None = None
) -> DeckAddress:
    """The address's week, view and section, each checked against what exists.

    `weeks` are the ISO dates with data, oldest first; `sections` the slugs of
    the deck's sections (None: not known here, so any slug is kept).
    """
    query = parse_qs((search or "").lstrip("?"))
    week = query.get(WEEK_PARAM, [""])[0]
    view = query.get(VIEW_PARAM, [VIEW_ALL])[0]
    section = query.get(SECTION_PARAM, [ALL_SECTIONS])[0]
    if sections is not None and section not in sections:
        section = ALL_SECTIONS
    return DeckAddress(
        week=week if week in weeks else (weeks[-1] if weeks else None),
        view=view if view in VIEWS else VIEW_ALL,
        section=section,
        metric=query.get(METRIC_PARAM, [""])[0],
    )


def query_value(search: str | None, name: str) -> str:
    """One parameter of a query string, or "" when it is not there."""
    return parse_qs((search or "").lstrip("?")).get(name, [""])[0]
