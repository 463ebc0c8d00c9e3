"""Where raw rows come from: one model per kind of source, chosen by `kind`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wbr.registry.base import NAME_PATTERN, StrictModel


class CsvSource(StrictModel):
    """A CSV file (or a glob of files) loaded into a raw table of the store."""

    kind: Literal["csv"]
    path: str
    table: str | None = Field(default=None, pattern=NAME_PATTERN)
    date_column: str
    date_format: str | None = None  # strptime format; None lets pandas infer ISO dates

    def table_name(self, source_name: str) -> str:
        return self.table or source_name


Source = CsvSource
