"""A metric's 6-week and 12-month tables, in a section that opens on demand.

The tables sit under the box, collapsed, so the deck still reads as a deck of
charts; a reader opens them to see the numbers behind a chart. Each table has a
header row of period labels and one row per `TableRow` of the model; each cell
names its row and column and carries the model's number in `data-raw`.

The tables are most of a card's elements, so they are built as plain elements
(`dashboards.elements`) and each cell's text is formatted once.
"""

from __future__ import annotations

from typing import Final

from dashboards import ids
from dashboards.cells import TONE_NA, raw_attribute, sign_tone
from dashboards.elements import HTML_NAMESPACE, Element, element
from wbr.deck.format import CHANGE_KINDS, NOT_AVAILABLE, format_cell, text_sign
from wbr.deck.format import DIFFERENCE_ROWS as DIFFERENCE_ROWS
from wbr.deck.model import Chart, MetricTable, TableRow

TABLES_SUMMARY: Final = "Tables: 6 weeks \u00b7 12 months"
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


def _tones(row: TableRow, texts: list[str], direction: str) -> list[str]:
    """The CSS class of each cell of `row`, whose formatted texts are `texts`.

    A change or a difference is coloured by the sign it reads with (as `change_tone`
    does, without formatting the change again); other values only when N/A.
    """
    if row.kind in CHANGE_KINDS or row.label in DIFFERENCE_ROWS:
        return [sign_tone(text, text_sign(text), direction) for text in texts]
    return [TONE_NA if text == NOT_AVAILABLE else "" for text in texts]


def _group_starts(columns: tuple[str, ...]) -> set[int]:
    """Column positions that start a group: the first to-date column."""
    to_date = [i for i, column in enumerate(columns) if column in TO_DATE_COLUMNS]
    return {to_date[0]} if to_date and to_date[0] > 0 else set()


def _row_texts(row: TableRow, chart: Chart, currency_symbol: str) -> list[str]:
    """The text of each cell of `row`, as the reader sees it."""
    difference = row.label in DIFFERENCE_ROWS
    return [
        format_cell(
            value, row.kind, chart.unit, chart.decimals, currency_symbol, difference=difference
        )
        for value in row.cells
    ]


def _width_in_ch(text: str) -> float:
    """About how wide `text` is in tabular figures, in `ch` (the width of a digit)."""
    narrow = sum(map(text.count, NARROW_GLYPHS))
    return len(text) - narrow * (1.0 - NARROW_GLYPH_CH)


def _widest_cell(tables: tuple[MetricTable, ...], texts: list[list[list[str]]]) -> float:
    """The width (in `ch`) of the widest cell text or column label of the tables."""
    cells = {text for table in texts for row in table for text in row}
    labels = {column for table in tables for column in table.columns}
    return max(map(_width_in_ch, cells | labels))


def _row(
    row: TableRow, texts: list[str], columns: tuple[str, ...], chart: Chart, starts: set[int]
) -> Element:
    """One row: its label, then a cell per column with its text, tone and model number.

    The cells are written as elements directly (`element("Td", text, className=...,
    **{"data-row": ...})`): a deck has tens of thousands of them.
    """
    cells: list[Element] = [element("Th", row.label, scope="row", className="row-label")]
    tones = _tones(row, texts, chart.direction)
    for index, (column, value, text, tone) in enumerate(
        zip(columns, row.cells, texts, tones, strict=True)
    ):
        if index in starts:
            tone = f"{tone} col-group" if tone else "col-group"
        props = {
            "children": text,
            "className": tone,
            ids.DATA_ROW: row.label,
            ids.DATA_COLUMN: column,
            ids.DATA_RAW: raw_attribute(value),
        }
        cells.append({"type": "Td", "namespace": HTML_NAMESPACE, "props": props})
    kind = "row-actual" if row.label == ACTUAL_ROW else f"row-{row.kind}"
    return element("Tr", cells, className=kind)


def metric_table(
    chart: Chart,
    index: int,
    table: MetricTable,
    texts: list[list[str]],
    widest_cell: float,
) -> Element:
    """One table: a header row of period labels, then one row per model row.

    `texts` are the formatted cells, row by row. Columns are a twelfth of the card
    wide, so a chart's two tables line up, or as wide as the widest cell
    (`widest_cell`, in `ch`) when that is wider (see wbr.css).
    """
    starts = _group_starts(table.columns)
    header = element(
        "Tr",
        [
            element("Th", "", scope="col", className="row-label"),
            *(
                element("Th", column, scope="col", className="col-group" if i in starts else "")
                for i, column in enumerate(table.columns)
            ),
        ],
    )
    body = [
        _row(row, row_texts, table.columns, chart, starts)
        for row, row_texts in zip(table.rows, texts, strict=True)
    ]
    return element(
        "Table",
        [element("Caption", table.title), element("Thead", header), element("Tbody", body)],
        id=ids.metric_table_id(chart.metric, index),
        className="metric-table",
        style={COLUMNS_PROPERTY: str(len(table.columns)), CELL_CHARS_PROPERTY: str(widest_cell)},
    )


def metric_tables(chart: Chart, currency_symbol: str = "$") -> Element | None:
    """The collapsed section with the chart's tables; None when the model has none."""
    if not chart.tables:
        return None
    texts = [[_row_texts(row, chart, currency_symbol) for row in t.rows] for t in chart.tables]
    widest = _widest_cell(chart.tables, texts)
    tables = [
        metric_table(chart, index, table, table_texts, widest)
        for index, (table, table_texts) in enumerate(zip(chart.tables, texts, strict=True))
    ]
    return element(
        "Details",
        [
            element("Summary", TABLES_SUMMARY),
            element("Div", tables, className="metric-tables-body"),
        ],
        id=ids.tables_id(chart.metric),
        className="metric-tables",
        open=False,
    )
