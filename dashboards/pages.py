"""The owner's inbox and the leader's response gaps, as pages beside the deck."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from dash import dcc, html
from dash.development.base_component import Component

from dashboards import ids
from dashboards.cells import data_attributes
from wbr.deck.format import format_date, format_response_counts
from wbr.deck.model import Deck
from wbr.deck.responses import InboxItem, response_gaps
from wbr.people.roles import Person


def deck_link(week_ending: date, anchor: str = "", view: str | None = None) -> str:
    query = {"week": week_ending.isoformat(), **({"view": view} if view else {})}
    return f"/?{urlencode(query)}" + (f"#{anchor}" if anchor else "")


def _inbox_row(item: InboxItem) -> Component:
    response = item.note_status or "waiting"
    return html.Li(
        [
            html.Span(response.capitalize(), className=f"inbox-response response-{response}"),
            dcc.Link(
                f"{item.label} \u00b7 w/e {format_date(item.week_ending)}",
                href=deck_link(
                    item.week_ending, ids.flag_id(item.metric, item.week_ending, item.detector)
                ),
                className="inbox-link",
            ),
            html.Span(item.sentence, className="inbox-sentence"),
        ],
        className=f"inbox-item {'waiting' if item.waiting else 'answered'}",
        **data_attributes({ids.DATA_RESPONSE: response}),
    )


def inbox_page(person: Person | None, items: list[InboxItem]) -> Component:
    if person is None:
        body: Component = html.P(
            [
                "Sign in to see the flags on the metrics you own. ",
                html.A("Sign in", href="/login?next=/inbox"),
            ]
        )
    elif not items:
        body = html.P("No open flags on your metrics.", className="no-data")
    else:
        waiting = sum(item.waiting for item in items)
        body = html.Div(
            [
                html.P(f"{waiting} of {len(items)} open flags wait for your explanation."),
                html.Ol([_inbox_row(item) for item in items], className="inbox-list"),
            ]
        )
    title = f"Inbox of {person.name}" if person else "Inbox"
    return html.Div([html.H1(title), body], id=ids.INBOX, className="page-inbox")


def gaps_page(deck: Deck) -> Component:
    """This week's exceptions without an answer, by owner, most first."""
    gaps = response_gaps(deck)
    heading = format_response_counts(deck.exception_counts)
    if not gaps:
        rows: Component = html.P("Every exception this week has its explanation.")
    else:
        rows = html.Ul(
            [
                html.Li(
                    [
                        html.Strong(f"{owner} ({len(items)})"),
                        html.Ul(
                            [
                                html.Li(
                                    [
                                        dcc.Link(
                                            gap.chart.label,
                                            href=deck_link(
                                                deck.week_ending, ids.card_id(gap.chart.metric)
                                            ),
                                        ),
                                        f" \u00b7 {gap.response}",
                                    ],
                                    **data_attributes({ids.DATA_RESPONSE: gap.response}),
                                )
                                for gap in items
                            ]
                        ),
                    ],
                    className="gaps-owner",
                )
                for owner, items in gaps.items()
            ],
            className="gaps-list",
        )
    return html.Div(
        [
            html.H1(f"Response gaps \u00b7 w/e {format_date(deck.week_ending)}"),
            html.P(heading, className="gaps-summary"),
            rows,
        ],
        id=ids.GAPS,
        className="page-gaps",
    )
