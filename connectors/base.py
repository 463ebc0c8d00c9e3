"""The one interface every connector implements, built-in or third-party.

A connector turns one declared source into batches of rows (pandas DataFrames);
the core loads them into the store. Connectors import nothing from wbr except
the source declarations in `wbr.registry.models`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import pandas as pd

from wbr.registry.models import Source


@runtime_checkable
class Connector(Protocol):
    """Reads one source. Registered under the `wbr.connectors` entry-point group.

    The entry point's name is the source `kind:` it handles; the class is built
    as `cls(source_name, source, base_dir)`, where `base_dir` is the folder of the
    metrics.yaml that declares the source (relative paths resolve against it).
    """

    kind: ClassVar[str]

    def __init__(self, source_name: str, source: Source, base_dir: Path) -> None: ...

    def extract(self) -> Iterator[pd.DataFrame]:
        """Yield the source's rows in batches; every batch has the same columns.

        The source's date column must arrive parsed (datetime64 or `date`s), so
        that loading never guesses a date format.
        """
        ...


@dataclass(frozen=True)
class LoadReport:
    """What one load did: `table` is the store table written (e.g. `raw_orders`)."""

    source: str
    table: str
    rows: int
    started_at: datetime
    finished_at: datetime


class ConnectorError(Exception):
    """A source cannot be read; the message names the source, file, line and value."""

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        path: Path | str | None = None,
        line: int | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.path = path
        self.line = line
        self.value = value
        where = []
        if source is not None:
            where.append(f"source {source!r}")
        if path is not None:
            where.append(f"file {str(path)!r}")
        if line is not None:
            where.append(f"line {line}")
        message = f"{', '.join(where)}: {problem}" if where else problem
        if value is not None:
            message += f": {value!r}"
        if hint:
            message += f". {hint}"
        super().__init__(message)
