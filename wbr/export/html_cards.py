"""A metric card and the exceptions summary as static HTML text (the HTML and PDF export).

The same parts as the Dash card (`dashboards.layout`), in the same order and with
the same class names: label, kind badge, owner, description, the 6-12 chart (a
placeholder that the page's script fills with the figure of `wbr.deck.figures`),
the flagged weeks, the owners' notes, the box, and the tables, which are always
open here because paper cannot be clicked. Every number is formatted by
`wbr.deck.format`, as on the screen.

Every function returns HTML text in which everything that came from the deck is
escaped; a note's `text_html` is already sanitised by `wbr.notes.markdown`.
"""

from __future__ import annotations

from html import escape
from typing import Final

from wbr.deck.flag_marks import FLAG_BAD, FLAG_GOOD, flag_tone, newest_first, week_label
from wbr.deck.format import (
    BOX_COLUMNS,
    BOX_GROUP_STARTS,
    CHANGE_KINDS,
    DIFFERENCE_ROWS,
    NOT_AVAILABLE,
    PLAN_COLUMNS,
    PLAN_LABEL,
    format_cell,
    format_change,
    format_date,
    format_drivers,
    format_flag_badge,
    format_response_counts,
    format_timestamp,
    format_value_full,
    text_sign,
)
from wbr.deck.model import (
    Annotation,
    AnomalyNote,
    BoxTotals,
    Change,
    Chart,
    Deck,
    MetricTable,
    PlanBox,
    TableRow,
)
from wbr.deck.tones import TONE_NA, sign_tone
from wbr.notes.model import METRIC_WEEK

EXCEPTIONS_TITLE: Final = "Exceptions"
NO_EXCEPTIONS_TEXT: Final = "No metric moved outside its normal range this week."
CARD_ID_PREFIX: Final = "card-"
DOT: Final = " \u00b7 "


def attr(value: str) -> str:
    return escape(value, quote=True)


def card_id(metric: str) -> str:
    return f"{CARD_ID_PREFIX}{metric}"


def _change_cell(field: str, change: Change, direction: str, span: int = 1) -> str:
    text = format_change(change)
    tone = sign_tone(text, text_sign(text), direction)
    group = " box-group" if field in BOX_GROUP_STARTS else ""
    colspan = f' colspan="{span}"' if span > 1 else ""
    return f'<td class="box-change {tone}{group}" data-field="{field}"{colspan}>{escape(text)}</td>'


def _box_cell(chart: Chart, field: str, box: BoxTotals, currency_symbol: str) -> str:
    item: float | Change | None = getattr(box, field)
    if isinstance(item, Change):
        return _change_cell(field, item, chart.direction)
    text = format_value_full(item, chart.unit, chart.decimals, currency_symbol)
    classes = "box-total" + (f" {TONE_NA}" if text == NOT_AVAILABLE else "")
    classes += " box-group" if field in BOX_GROUP_STARTS else ""
    return f'<td class="{classes}" data-field="{field}">{escape(text)}</td>'


def _plan_row(chart: Chart, plan: PlanBox) -> str:
    cells = "".join(
        _change_cell(
            field, Change(getattr(plan, field).variance_pct, "percent"), chart.direction, span
        )
        for field, span in PLAN_COLUMNS
    )
    return f'<tr class="box-plan"><th scope="row">{escape(PLAN_LABEL)}</th>{cells}</tr>'


def _group_class(field: str) -> str:
    return "box-group" if field in BOX_GROUP_STARTS else ""


def box_html(chart: Chart, currency_symbol: str) -> str:
    """The nine numbers under the chart, and the "vs Plan" row when there is a plan."""
    head = "".join(
        f'<th scope="col" class="{_group_class(field)}">{escape(title)}</th>'
        for field, title in BOX_COLUMNS
    )
    values = "".join(
        _box_cell(chart, field, chart.box, currency_symbol) for field, _ in BOX_COLUMNS
    )
    plan = _plan_row(chart, chart.plan) if chart.plan is not None else ""
    return (
        f'<table class="box"><thead><tr>{head}</tr></thead>'
        f'<tbody><tr class="box-values">{values}</tr>{plan}</tbody></table>'
    )


def _row_html(row: TableRow, chart: Chart, currency_symbol: str) -> str:
    difference = row.label in DIFFERENCE_ROWS
    cells = []
    for value in row.cells:
        text = format_cell(
            value, row.kind, chart.unit, chart.decimals, currency_symbol, difference=difference
        )
        if row.kind in CHANGE_KINDS or difference:
            tone = sign_tone(text, text_sign(text), chart.direction)
        else:
            tone = TONE_NA if text == NOT_AVAILABLE else ""
        cells.append(f'<td class="{tone}">{escape(text)}</td>')
    label = f'<th scope="row" class="row-label">{escape(row.label)}</th>'
    return f'<tr class="row-{row.kind}">{label}{"".join(cells)}</tr>'


def table_html(table: MetricTable, chart: Chart, currency_symbol: str) -> str:
    """One of the chart's tables (6 weeks, or 12 months), always open on paper."""
    head = "".join(f'<th scope="col">{escape(column)}</th>' for column in table.columns)
    rows = "".join(_row_html(row, chart, currency_symbol) for row in table.rows)
    return (
        f'<table class="metric-table"><caption>{escape(table.title)}</caption>'
        f'<thead><tr><th scope="col" class="row-label"></th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def note_html(note: Annotation) -> str:
    """An owner's note: status badge, cause category, the sanitised text, who and when.

    The one place the export draws a note, so a richer note (more fields on
    `Annotation`) changes only this function.
    """
    category = (
        f'<span class="note-category">{escape(note.category)}</span>' if note.category else ""
    )
    byline = f"{note.author_name}, {format_timestamp(note.updated_at)}"
    if note.detector == METRIC_WEEK:
        byline = f"Note on w/e {format_date(note.week_ending)} \u00b7 {byline}"
    status_class = "note-status-" + note.status.replace(" ", "-")
    return (
        f'<div class="note {status_class}" data-note-status="{attr(note.status)}">'
        f'<div class="note-head"><span class="note-status-badge">'
        f"{escape(note.status.capitalize())}</span>{category}"
        f'<span class="note-byline">{escape(byline)}</span></div>'
        # text_html is rendered from Markdown and sanitised (wbr.notes.markdown): safe as is.
        f'<div class="note-text">{note.text_html}</div></div>'
    )


def flag_html(chart: Chart, note: AnomalyNote) -> str:
    """One flagged week: badge, week, the detector's sentence, drivers, the owner's note.

    The one function that draws an `AnomalyNote` in the export (cards and the
    exceptions summary both call it).
    """
    drivers = format_drivers(note.drivers)
    parts = [
        f'<span class="flag-badge">{escape(format_flag_badge(note))}</span>',
        f'<span class="flag-week">{escape(week_label(chart, note))}</span>',
        f'<span class="flag-text">{escape(note.explanation)}</span>',
    ]
    if drivers:
        parts.append(f'<span class="flag-drivers">{escape(drivers)}</span>')
    if note.annotation is not None:
        parts.append(note_html(note.annotation))
    return (
        f'<li class="flag {flag_tone(note)} flag-{attr(note.severity)}" '
        f'data-week="{note.week_ending.isoformat()}" data-status="{attr(note.status)}">'
        f"{''.join(parts)}</li>"
    )


def _incomplete_note(chart: Chart) -> str:
    labels = [p.label for p in (*chart.weeks, *chart.months) if not p.cy_complete]
    if not labels:
        return ""
    return (
        f'<p class="incomplete-note">Incomplete: {escape(", ".join(labels))} (a day is missing)</p>'
    )


def card_html(chart: Chart, deck: Deck, figure_index: int, labels: dict[str, str]) -> str:
    """One metric card; its chart is the `figure_index`-th figure of the page."""
    kind = chart.kind.lower()
    parts = [
        '<div class="card-head">'
        f'<h3 class="metric-label">{escape(chart.label)}</h3>'
        f'<span class="badge badge-{attr(kind)}">{escape(kind.upper())}</span>'
        f'<span class="metric-owner">Owner: {escape(chart.owner)}</span></div>',
        f'<p class="metric-description">{escape(chart.description)}</p>',
    ]
    if chart.drives:
        driven = ", ".join(labels.get(name, name) for name in chart.drives)
        parts.append(f'<p class="metric-drives">Drives: {escape(driven)}</p>')
    parts.append(f'<div class="chart" data-figure="{figure_index}"></div>')
    parts.append(_incomplete_note(chart))
    if chart.anomalies:
        flags = "".join(flag_html(chart, note) for note in newest_first(chart))
        parts.append(f'<ul class="flag-strip">{flags}</ul>')
    if chart.notes:
        notes = "".join(note_html(note) for note in chart.notes)
        parts.append(f'<div class="week-notes">{notes}</div>')
    parts.append(box_html(chart, deck.currency_symbol))
    if chart.tables:
        tables = "".join(table_html(t, chart, deck.currency_symbol) for t in chart.tables)
        parts.append(f'<div class="metric-tables">{tables}</div>')
    # The card's last line names it again: on paper it says whose card ends here.
    parts.append(
        f'<p class="card-foot">{escape(chart.label)} \u00b7 metric '
        f"<code>{escape(chart.metric)}</code> \u00b7 {escape(format_date(deck.week_ending))}</p>"
    )
    return (
        f'<article class="metric-card metric-{attr(kind)}" id="{attr(card_id(chart.metric))}" '
        f'data-metric="{attr(chart.metric)}">{"".join(parts)}</article>'
    )


def _headline(chart: Chart, currency_symbol: str) -> str:
    """ "86.5% · WoW −358 bps · YoY −234 bps": the week's number and its two changes."""
    value = format_value_full(chart.box.last_week, chart.unit, chart.decimals, currency_symbol)
    changes = []
    for name, change in (("WoW", chart.box.wow), ("YoY", chart.box.last_week_yoy)):
        text = format_change(change)
        tone = sign_tone(text, text_sign(text), chart.direction)
        changes.append(f'{name} <span class="{tone}">{escape(text)}</span>')
    return (
        f'<span class="exception-numbers"><b>{escape(value)}</b>'
        f"{''.join(DOT + change for change in changes)}</span>"
    )


def exceptions_html(deck: Deck) -> str:
    """The exceptions of the week, first in the deck: each open flag with its owner and note."""
    heading = format_response_counts(deck.exception_counts)
    items = []
    for chart in deck.charts:
        flags = deck.open_flags(chart)
        if not flags:
            continue
        tone = FLAG_BAD if any(note.is_bad for note in flags) else FLAG_GOOD
        response = deck.response(chart) or ""
        lines = "".join(flag_html(chart, note) for note in flags)
        items.append(
            f'<li class="exception {tone} response-{attr(response)}" '
            f'data-metric="{attr(chart.metric)}">'
            f'<div class="exception-head"><a href="#{attr(card_id(chart.metric))}" '
            f'class="exception-link {tone}">{escape(chart.label)}</a>'
            f"{_headline(chart, deck.currency_symbol)}"
            f'<span class="exception-owner">{escape(chart.owner)} \u00b7 {escape(response)}</span>'
            f'</div><ul class="flag-strip">{lines}</ul></li>'
        )
    body = (
        f'<ol class="exceptions-list">{"".join(items)}</ol>'
        if items
        else f'<p class="no-data">{escape(NO_EXCEPTIONS_TEXT)}</p>'
    )
    return (
        f'<section class="deck-exceptions-summary" id="exceptions">'
        f'<h2 class="section-title">{EXCEPTIONS_TITLE}</h2>'
        f'<p class="exceptions-count">{escape(heading)}</p>{body}</section>'
    )
