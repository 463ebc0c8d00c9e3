"""How a flagged week is marked, whoever draws it: its tone and the point it rings.

The Dash page (`dashboards.flags`), the 6-12 figure (`wbr.deck.figures`) and the
static export (`wbr.export.html_cards`) all mark a flag the same way, so these
few pure functions live beside the model rather than in any one renderer.
"""

from __future__ import annotations

from typing import Final

from wbr.deck.format import EXPLAINED, format_date
from wbr.deck.model import AnomalyNote, Chart, SeriesPoint

# A flag's tone: red for an open bad move, green for a good one, grey once explained.
FLAG_BAD: Final = "flag-bad"
FLAG_GOOD: Final = "flag-good"
FLAG_EXPLAINED: Final = "flag-explained"


def flag_tone(note: AnomalyNote) -> str:
    """The CSS class (and ring colour) of a flag: explained, else bad or good."""
    if note.status == EXPLAINED:
        return FLAG_EXPLAINED
    return FLAG_BAD if note.is_bad else FLAG_GOOD


def flagged_point(chart: Chart, note: AnomalyNote) -> SeriesPoint | None:
    """The chart's week that `note` flags; None when the week is not among the six shown."""
    return next((point for point in chart.weeks if point.end == note.week_ending), None)


def week_label(chart: Chart, note: AnomalyNote) -> str:
    """ "wk 38" as the chart labels the week, or "w/e Sat 25 Sep 2021" when it is not shown."""
    point = flagged_point(chart, note)
    return point.label if point is not None else f"w/e {format_date(note.week_ending)}"


def newest_first(chart: Chart) -> list[AnomalyNote]:
    return sorted(chart.anomalies, key=lambda note: note.week_ending, reverse=True)
