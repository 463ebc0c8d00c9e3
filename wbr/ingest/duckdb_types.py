"""A new CSV table's column types found by DuckDB, as pandas would find them.

The row-by-row path types a new raw table's columns from its first batch, as pandas
reads it (`wbr.ingest.convert.infer_schema`). The DuckDB path asked pandas too, which
cost a first load 0.2 s and 100 MB for importing it. Most columns of a metrics file
are plainly numbers, and for those pandas' answer is certain: a column of whole
numbers with no gap is int64 (INTEGER), a column of decimal numbers, or of whole
numbers with a gap, float64 (FLOAT), and a column holding a text that no reading
could take for a number, a boolean or a missing value ("north", "2024-01-05",
"C-17") is text. DuckDB reads the same first batch as text and checks each column
against those shapes; a column of any other shape (booleans, "NA", " 5", "1e400",
"1_000", an empty column), and a file pandas lays out otherwise (a row with a field
more, a blank line before the header), leaves the whole table to pandas, as before.
The checked load that follows is the same either way.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from connectors.csv_file import plain_header
from wbr.ingest import duckdb_writes as writes
from wbr.registry.sources import ColumnType, CsvSource

# Texts pandas reads as int64 when a batch of a column holds only such texts: at most
# 18 digits, so that every one fits in int64 (pandas would read 2**63 as uint64).
WHOLE = r"-?[0-9]{1,18}"
# Texts pandas reads as float64 (with the whole numbers, and gaps read as NaN): a point
# or an exponent of at most two digits, so that no value overflows to infinity. No sign
# but a leading minus, no blank, no thousands separator, no "inf" or "nan"; a whole
# number of more than 18 digits is not one (pandas keeps such a column as integers).
POINTED = r"-?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,2})?"
EXPONENT = r"-?[0-9]+[eE][-+]?[0-9]{1,2}"
DECIMAL = f"({WHOLE})|({POINTED})|({EXPONENT})"
# A text pandas reads as nothing but text, which makes its column text (object): one
# that no reading could take for a number (NUMBER_LIKE is looser than any parser, and
# matches a thousands separator, blanks and underscores anywhere), and no word pandas
# reads as a number, a boolean or missing ("inf", "NaN", "True", "NULL", "#N/A", "<NA>":
# left out by the first letters after any sign, more than needed, or by '#' or '<').
NUMBER_LIKE = r"[\s\x0b+-]*[0-9,_\x27\s\x0b]*(\.[0-9,_\x27\s\x0b]*)?([eE][\s\x0b+-]*[0-9\s\x0b]*)?"
NEVER_MISSING = "\x01"  # no text is missing in `_plain_layout`: a byte no CSV holds
NOT_WORDS = ("inf", "nan", "tru", "fal", "nul", "non", "na", "n/a")
# Thousands separators that cannot appear in a WHOLE or DECIMAL text: with any other
# ("." as in 1.234) pandas would read those texts differently.
SAFE_THOUSANDS = (None, ",", " ", "'", "_")


def inferred_schema(
    connection: Connection, path: Path, header: list[str], kept: list[str], source: CsvSource
) -> dict[str, ColumnType] | None:
    """The `kept` columns' types as `infer_schema` would find them in the first batch;
    None when pandas must look (a column of another shape, a file laid out otherwise)."""
    if source.thousands not in SAFE_THOUSANDS:
        return None
    # DuckDB takes the first line for the header: pandas skips blank lines before it.
    if plain_header(path, source.delimiter) != header:
        return None
    schema: dict[str, ColumnType] = {}
    open_columns = []
    for name in kept:
        if name == source.date_column:
            schema[name] = ColumnType.DATE
        elif name in source.columns:
            schema[name] = source.columns[name]
        else:
            open_columns.append(name)
    found = _shapes(connection, path, header, open_columns, source) if open_columns else {}
    if found is None:
        return None
    for name in open_columns:
        kind = found.get(name)
        if kind is None:
            return None
        schema[name] = kind
    return {name: schema[name] for name in kept}


def _reader(path: Path, header: list[str], source: CsvSource, options: str) -> str:
    """DuckDB's reader of the file's texts (every column VARCHAR), with `options`."""
    return writes.csv_reader(path, dict.fromkeys(header, "VARCHAR"), source.delimiter, options)


def _plain_layout(
    connection: Connection, path: Path, header: list[str], source: CsvSource
) -> int | None:
    """The first batch's rows, when each has the header's fields and a value; else None.

    pandas and DuckDB part ways on other files: a row with a field more (pandas makes
    the first column an index, or fails; DuckDB drops an empty last field), a blank
    line (pandas skips it, which moves the batch's end). So the batch is read once with
    a column more, padded where a row has fewer fields, and no text taken as missing:
    an extra field, or a row of nothing but empty fields, leaves the file to pandas.
    """
    quote = connection.dialect.identifier_preparer.quote
    extra = "wbr_extra"
    while extra in header:
        extra += "_"
    # DuckDB's parallel reader does not pad rows with quoted line breaks: such a file
    # fails here and is left to pandas.
    options = f"null_padding = true, nullstr = ['{NEVER_MISSING}']"
    reader = _reader(path, [*header, extra], source, options)
    empty_row = " AND ".join(f"coalesce({quote(name)}, '') = ''" for name in header)
    rows, empty_rows, extras = connection.exec_driver_sql(
        f"SELECT count(*), count(*) FILTER (WHERE {empty_row}), count({quote(extra)}) "
        f"FROM (SELECT * FROM {reader} LIMIT {int(source.batch_rows)})"
    ).one()
    return None if empty_rows or extras or not rows else int(rows)


def _shapes(
    connection: Connection, path: Path, header: list[str], columns: list[str], source: CsvSource
) -> dict[str, ColumnType | None] | None:
    """Each column's type from the first batch's texts (None: pandas must look)."""
    quote = connection.dialect.identifier_preparer.quote
    reader = _reader(path, header, source, "nullstr = ['']")
    batch = f"(SELECT * FROM {reader} LIMIT {int(source.batch_rows)})"
    # One row per column (UNPIVOT leaves out NULLs): a regular expression per column
    # instead cost 0.37 s and 180 MB for 300 columns, each match keeping its own state.
    names = ", ".join(quote(name) for name in columns)
    bare = "lower(ltrim(value, ' +-\t'))"
    not_words = " OR ".join(f"{bare} LIKE {writes.sql_text(w + '%')}" for w in NOT_WORDS)
    # CASE keeps the order: as an AND, DuckDB ran the cheaper-looking LIKEs on every
    # value first (0.30 s against 0.04 s on 50,000 rows of five number columns).
    textual = (
        f"CASE WHEN regexp_full_match(value, '{NUMBER_LIKE}') THEN false "
        f"WHEN regexp_matches(value, '[#<]') THEN false ELSE NOT ({not_words}) END"
    )
    shapes = (
        f"SELECT name, count(*), "
        f"count(*) FILTER (WHERE regexp_full_match(value, '{WHOLE}')), "
        f"count(*) FILTER (WHERE regexp_full_match(value, '{DECIMAL}')), "
        f"count(*) FILTER (WHERE {textual}) "
        f"FROM (UNPIVOT (SELECT {names} FROM {batch}) ON COLUMNS(*) INTO NAME name VALUE value) "
        f"GROUP BY name"
    )
    try:
        # The first rows in the file's order (a full load may have turned it off).
        connection.exec_driver_sql("SET preserve_insertion_order = true")
        rows = _plain_layout(connection, path, header, source)
        if rows is None:
            return None
        counted = {row[0]: row[1:] for row in connection.exec_driver_sql(shapes)}
    except DBAPIError:  # a file DuckDB cannot read as text: pandas reads it and says why
        writes.start_again(connection)
        return None
    found: dict[str, ColumnType | None] = {}
    for name in columns:
        present, whole, decimal, texts = counted.get(name, (0, 0, 0, 0))
        if whole == rows:  # a value in every row, each a whole number
            found[name] = ColumnType.INTEGER
        elif present and decimal == present:
            found[name] = ColumnType.FLOAT
        elif texts:  # pandas reads the column as text (object), whatever else it holds
            found[name] = ColumnType.TEXT
        else:
            found[name] = None
    return found
