"""Which inputs drive which outputs, and how each moved this week.

The `drives:` links of metrics.yaml say which controllable inputs move which
outputs. This view lists every input that drives something, with its last week,
WoW and YoY, beside the outputs it drives with theirs, so a leader sees at a
glance whether an output's move has an input's move behind it. Outputs that no
input in the deck drives are listed too. Built from the deck alone: no store read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wbr.deck.model import Change, Chart, Deck


@dataclass(frozen=True, slots=True)
class Movement:
    """One metric's week: its value, WoW and YoY, and what it needs to be formatted."""

    metric: str
    label: str
    kind: str
    unit: str
    decimals: int
    direction: str
    last_week: float | None
    wow: Change
    yoy: Change
    flagged: bool  # an open flag this week: an exception

    @classmethod
    def of(cls, chart: Chart, deck: Deck) -> Movement:
        return cls(
            metric=chart.metric,
            label=chart.label,
            kind=chart.kind,
            unit=chart.unit,
            decimals=chart.decimals,
            direction=chart.direction,
            last_week=chart.box.last_week,
            wow=chart.box.wow,
            yoy=chart.box.last_week_yoy,
            flagged=bool(deck.open_flags(chart)),
        )


@dataclass(frozen=True, slots=True)
class DriverLink:
    """An input and the outputs it drives (those in the deck), in deck order."""

    input: Movement
    outputs: tuple[Movement, ...]


@dataclass(frozen=True, slots=True)
class DriverMap:
    week_ending: date
    links: tuple[DriverLink, ...]  # inputs with `drives:`, in deck order
    undriven_outputs: tuple[Movement, ...]  # outputs no input in the deck drives


def driver_map(deck: Deck) -> DriverMap:
    """The deck's inputs → outputs links with this week's movement on each."""
    charts = {chart.metric: chart for chart in deck.charts}
    links = tuple(
        DriverLink(
            Movement.of(chart, deck),
            tuple(Movement.of(charts[name], deck) for name in chart.drives if name in charts),
        )
        for chart in deck.charts
        if chart.drives
    )
    driven = {output.metric for link in links for output in link.outputs}
    undriven = tuple(
        Movement.of(chart, deck)
        for chart in deck.charts
        if chart.kind == "output" and chart.metric not in driven
    )
    return DriverMap(deck.week_ending, links, undriven)
