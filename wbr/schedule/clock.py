"""The scheduler's clock: the real one, or one set to a moment that then ticks on.

`wbr scheduler --once --now 2026-11-30T06:00` runs with a clock that starts at that
moment and advances with real time, so runs started and finished in it keep their
order and a retry's backoff is measured in the same time as the run that failed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("a clock's start needs a time zone (an offset such as +00:00)")
        self._start = start
        self._started = time.monotonic()

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    @property
    def simulated(self) -> bool:
        return self._start is not None
