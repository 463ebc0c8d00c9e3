"""A metric's 6-week and 12-month tables, in a section that opens on demand.

The tables sit under the box, collapsed, so the deck still reads as a deck of
charts; a reader opens them to see the numbers behind a chart. Each table has a
header row of period labels and one row per `TableRow` of the model; each cell
names its row and column and carries the model's number in `data-raw`.
"""

from __future__ import annotations

from typing import Final

from dash import html
from dash.development.base_component import Component

from dashboards import ids
from dashboards.cells import TONE_NA, change_tone, data_attributes, raw_attribute, sign_tone
from wbr.deck.format import CHANGE_KINDS, NOT_AVAILABLE, format_cell, text_sign
from wbr.deck.model import Change, Chart, MetricTable, TableRow

TABLES_SUMMARY: Final = "Tables: 6 weeks \u00b7 12 months"
# Rows of kind "value" that are differences (actual − plan): shown signed, coloured.
DIFFERENCE_ROWS: Final = frozenset({"Vs plan"})
# Columns that total a period to date; a rule sets them apart from the weeks.
TO_DATE_COLUMNS: Final = frozenset({"QTD", "YTD"})
ACTUAL_ROW: Final = "Actual"
# CSS custom properties that size a table (see wbr.css): how many value columns, and
# the width of the widest cell in `ch`, so a long number widens its columns, never overflows.
COLUMNS_PROPERTY: Final = "--columns"
CELL_CHARS_PROPERTY: Final = "--cell-ch"
# Separators are about half a digit wide: "$48,648,445" is 10ch, not 11.
NARROW_GLYPHS: Final = frozenset(",. ")
NARROW_GLYPH_CH: Final = 0.5


def _cell_tone(row: TableRow, value: float | None, text: str, direction: str) -> str:
    if row.kind in CHANGE_KINDS:
        return change_tone(Change(value, row.kind), direction)
    if row.label in DIFFERENCE_ROWS:
        return sign_tone(text, text_sign(text), direction)
    return TONE_NA if text == NOT_AVAILABLE else ""


def _group_starts(columns: tuple[str, ...]) -> set[int]:
    """Column positions that start a group: the first to-date column."""
    to_date = [i for i, column in enumerate(columns) if column in TO_DATE_COLUMNS]
    return {to_date[0]} if to_date and to_date[0] > 0 else set()


def _classes(*names: str) -> str:
    return " ".join(name for name in names if name)


def _cell_text(row: TableRow, value: float | None, chart: Chart, currency_symbol: str) -> str:
    difference = row.label in DIFFERENCE_ROWS
    return format_cell(
        value, row.kind, chart.unit, chart.decimals, currency_symbol, difference=difference
    )


def _width_in_ch(text: str) -> float:
    """About how wide `text` is in tabular figures, in `ch` (the width of a digit)."""
    return sum(NARROW_GLYPH_CH if glyph in NARROW_GLYPHS else 1.0 for glyph in text)


def _widest_cell(chart: Chart, currency_symbol: str) -> float:
    """The width (in `ch`) of the widest cell or column label of the chart's tables."""
    texts = [
        _cell_text(row, value, chart, currency_symbol)
        for table in chart.tables
        for row in table.rows
        for value in row.cells
    ]
    labels = [column for table in chart.tables for column in table.columns]
    return max(_width_in_ch(text) for text in (*texts, *labels))


def _row(
    row: TableRow, columns: tuple[str, ...], chart: Chart, currency_symbol: str, starts: set[int]
) -> Component:
    cells: list[Component] = [html.Th(row.label, scope="row", className="row-label")]
    for index, (column, value) in enumerate(zip(columns, row.cells, strict=True)):
        text = _cell_text(row, value, chart, currency_symbol)
        tone = _cell_tone(row, value, text, chart.direction)
        cells.append(
            html.Td(
                text,
                className=_classes(tone, "col-group" if index in starts else ""),
                **data_attributes(
                    {
                        ids.DATA_ROW: row.label,
                        ids.DATA_COLUMN: column,
                        ids.DATA_RAW: raw_attribute(value),
                    }
                ),
            )
        )
    kind = "row-actual" if row.label == ACTUAL_ROW else f"row-{row.kind}"
    return html.Tr(cells, className=kind)


def metric_table(
    chart: Chart, index: int, table: MetricTable, currency_symbol: str, widest_cell: float
) -> Component:
    """One table: a header row of period labels, then one row per model row.

    Columns are a twelfth of the card wide, so a chart's two tables line up, or
    as wide as the widest cell (`widest_cell`, in `ch`) when that is wider (see wbr.css).
    """
    starts = _group_starts(table.columns)
    header = html.Tr(
        [
            html.Th("", scope="col", className="row-label"),
            *(
                html.Th(column, scope="col", className="col-group" if i in starts else "")
                for i, column in enumerate(table.columns)
            ),
        ]
    )
    body = [_row(row, table.columns, chart, currency_symbol, starts) for row in table.rows]
    return html.Table(
        [html.Caption(table.title), html.Thead(header), html.Tbody(body)],
        id=ids.metric_table_id(chart.metric, index),
        className="metric-table",
        style={COLUMNS_PROPERTY: str(len(table.columns)), CELL_CHARS_PROPERTY: str(widest_cell)},
    )


def metric_tables(chart: Chart, currency_symbol: str = "$") -> Component | None:
    """The collapsed section with the chart's tables; None when the model has none."""
    if not chart.tables:
        return None
    widest = _widest_cell(chart, currency_symbol)
    tables = [
        metric_table(chart, index, table, currency_symbol, widest)
        for index, table in enumerate(chart.tables)
    ]
    return html.Details(
        [html.Summary(TABLES_SUMMARY), html.Div(tables, className="metric-tables-body")],
        id=ids.tables_id(chart.metric),
        className="metric-tables",
        open=False,
    )
