"""The one interface every connector implements, built-in or third-party.

A connector turns one declared source into batches of rows (pandas DataFrames,
or `Batch`es that also say where the rows came from). The core does the rest:
types, bad rows, the watermark window, the store. Connectors import nothing
from wbr except the source declarations in `wbr.registry.sources`.

A third-party package registers its class in the `wbr.connectors` entry-point
group under the `kind:` it reads; built-in connectors are registered the same
way in wbr's own pyproject.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from wbr.registry.sources import SourceBase

if TYPE_CHECKING:  # a connector makes frames; the CSV path through DuckDB never does
    import pandas as pd

# The start of the window an incremental load asks for: rows whose cursor column
# is at or past it. None asks for everything.
Since = date | datetime | int | float | None


@dataclass(frozen=True)
class Batch:
    """Rows from one place in the source, with what the core needs to report a bad one.

    `origin` names the place for messages ("file 'orders.csv'", "page 3 of …");
    `first_row` is the 1-based number of the frame's first row there (None: the
    core counts on from the previous batch); `locate` maps positions in the frame
    to row numbers when they are not consecutive (lines of a CSV with quoted
    newlines) and is called only for rows being reported; `row_label` is what
    the numbers count ("row", "line"); `done` is the fraction of the source read
    so far, when the connector can tell, for progress bars.
    """

    frame: pd.DataFrame
    origin: str | None = None
    first_row: int | None = None
    row_label: str = "row"
    locate: Callable[[Sequence[int]], list[int]] | None = None
    done: float | None = None


@runtime_checkable
class Connector(Protocol):
    """Reads one source. Registered under the `wbr.connectors` entry-point group.

    The entry point's name is the source `kind:` it handles; the class is built
    as `cls(source_name, source, base_dir)`, where `base_dir` is the folder of the
    metrics.yaml that declares the source (relative paths resolve against it).
    """

    kind: ClassVar[str]

    def __init__(self, source_name: str, source: SourceBase, base_dir: Path) -> None: ...

    def extract(self, since: Since = None) -> Iterator[pd.DataFrame | Batch]:
        """Yield the source's rows in bounded batches; every batch has the same columns.

        With `since`, only rows whose cursor column (`source.cursor`) is at or past
        it are needed; a connector that cannot filter at the source may yield more,
        and the core drops the rest. Values may arrive as read (text dates, numbers
        as text): the core converts them to the raw table's types.
        """
        ...


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


def secret_from_env(variable: str, source_name: str) -> str:
    """The value of the environment variable a source names for a secret.

    A missing variable is an error that names the variable, never a value.
    """
    value = os.environ.get(variable, "")
    if not value.strip():
        raise ConnectorError(
            f"the environment variable {variable} is not set",
            source=source_name,
            hint=f"Set {variable} before running wbr (it holds a secret, so it is not in YAML)",
        )
    return value.strip()


__all__ = ["Batch", "Connector", "ConnectorError", "Since", "secret_from_env"]
