"""What one load did, as the CLI and the scheduler read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FULL = "full"
INCREMENTAL = "incremental"


@dataclass(frozen=True)
class LoadReport:
    """One source's load: `table` is the store table written (e.g. `raw_orders`).

    `rows` is what the raw table gained in this load's window (all rows for a
    full reload); `rows_read` is what the source delivered; `rows_rejected`
    went to `raw_<table>__rejected`. `watermark` is the newest cursor value
    after the load, `window_start` the first cursor value the load replaced.
    """

    source: str
    table: str
    rows: int
    started_at: datetime
    finished_at: datetime
    mode: str = FULL
    rows_read: int = 0
    rows_rejected: int = 0
    watermark: str | None = None
    window_start: str | None = None
    warnings: tuple[str, ...] = ()
