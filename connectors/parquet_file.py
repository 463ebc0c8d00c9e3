"""The Parquet connector: one file or a glob of files, read a batch at a time.

Needs pyarrow (`pip install 'wbr[parquet]'`). Each file is read in record
batches of `batch_rows`, never whole; with `since`, row groups whose statistics
show they end before the window are skipped without being read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from connectors.base import Batch, ConnectorError, Since
from connectors.files import resolve_files
from wbr.registry.sources import ParquetSource, SourceBase


class ParquetConnector:
    kind: ClassVar[str] = "parquet"

    def __init__(self, source_name: str, source: SourceBase, base_dir: Path) -> None:
        if not isinstance(source, ParquetSource):
            raise ConnectorError(f"not a Parquet source (kind {source.kind!r})", source=source_name)
        self.source_name = source_name
        self.source = source
        self.base_dir = base_dir

    def extract(self, since: Since = None) -> Iterator[Batch]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ConnectorError(
                "reading Parquet needs pyarrow",
                source=self.source_name,
                hint="pip install 'wbr[parquet]'",
            ) from None
        files = resolve_files(self.source.path, self.base_dir, self.source_name)
        total = 0
        opened = []
        for path in files:
            try:
                parquet = pq.ParquetFile(path)
            except Exception as exc:  # pyarrow raises its own, and OSError
                raise ConnectorError(
                    f"not a readable Parquet file ({exc})", source=self.source_name, path=path
                ) from None
            opened.append((path, parquet))
            total += parquet.metadata.num_rows
        columns: list[str] | None = None
        done = 0
        for path, parquet in opened:
            names = list(parquet.schema_arrow.names)
            if columns is None:
                columns = names
                if self.source.date_column not in names:
                    raise ConnectorError(
                        f"date column {self.source.date_column!r} not found; the columns are: "
                        f"{', '.join(names)}",
                        source=self.source_name,
                        path=path,
                    )
            elif set(names) != set(columns):
                raise ConnectorError(
                    f"columns differ from the first file's ({', '.join(columns)})",
                    source=self.source_name,
                    path=path,
                    value=", ".join(names),
                )
            groups = self._row_groups(parquet, since)
            row = 1 + sum(
                parquet.metadata.row_group(g).num_rows for g in range(min(groups, default=0))
            )
            for record_batch in parquet.iter_batches(
                batch_size=self.source.batch_rows, row_groups=groups, columns=columns
            ):
                frame = record_batch.to_pandas()
                done += len(frame)
                yield Batch(
                    frame,
                    origin=f"file {str(path)!r}",
                    first_row=row,
                    done=done / max(total, 1),
                )
                row += len(frame)

    def _row_groups(self, parquet: Any, since: Since) -> list[int]:
        """Row groups that may hold rows at or past `since` (all of them without it).

        Row numbers stay right only while the groups kept are consecutive, which
        they are for files written in cursor order, the case worth skipping for.
        """
        count = parquet.metadata.num_row_groups
        cursor = self.source.cursor
        if since is None or cursor is None:
            return list(range(count))
        index = parquet.schema_arrow.get_field_index(cursor)
        if index < 0:
            return list(range(count))
        keep = []
        for group in range(count):
            stats = parquet.metadata.row_group(group).column(index).statistics
            maximum = stats.max if stats is not None and stats.has_min_max else None
            if maximum is None or not _before(maximum, since):
                keep.append(group)
        # Keep everything from the first group needed on, so row numbers stay true.
        return list(range(keep[0], count)) if keep else []


def _before(maximum: Any, since: Since) -> bool:
    if isinstance(maximum, datetime) and not isinstance(since, datetime):
        maximum = maximum.date()  # a timestamp column holding the dates of a DATE cursor
    try:
        return bool(maximum < since)
    except TypeError:  # a datetime statistic against a date, or text: cannot tell
        return False
