"""Older weeks' to-date medians and percentiles, kept between deck builds until a load changes them.

Those values are not stored ahead of time (`wbr.compute.schedule`): a deck of an
older week computes them from raw rows, which is most of its build time (about
70 of 90 ms for the demo) and needs the raw store, which a load may hold for
writing. They depend on nothing but the raw rows of their period, so a server
keeps them (`dashboards.source`) and drops only those a later load may have
changed: every value of a table reloaded whole, the periods ending on or after
the first replaced day of an incremental or appended load. A deck rebuilt after a
refresh then reads its raw rows only for the periods the refresh touched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Engine

from wbr.compute.state import Everything, load_changes
from wbr.compute.values import source_read
from wbr.deck.values import StoredValue, ValueKey
from wbr.registry.models import Registry

MAX_VALUES: Final = 200_000  # a bound on memory: 300 metrics × 3 years of weeks' to-dates
MAX_DROPS: Final = 256  # catch-ups that dropped values, remembered for the kept decks


class OnDemandValues:
    """A worker's to-date medians and percentiles, valid as of the loads it has seen."""

    def __init__(self, registry: Registry) -> None:
        self._tables = {
            metric.name: source_read(registry, metric).table
            for metric in registry.metrics
            if metric.reads_source and metric.source is not None
        }
        self._lock = threading.Lock()
        self._values: dict[ValueKey, StoredValue] = {}
        self._through: int | None = None  # the newest load run accounted for
        # Each catch-up that dropped values: its number and the earliest period end it
        # dropped, so a kept deck can tell whether it showed any (`dropped_since`).
        self._epoch = 0
        self._drops: list[tuple[int, date]] = []

    def catch_up(self, engine: Engine) -> KeptValues:
        """Forget what the loads since the last call may have changed (`engine`: the app store).

        The values computed next are kept through what this returns, unless another
        catch-up moved on meanwhile: they may have been read before the load it saw.
        """
        with self._lock:
            after = self._through
        with engine.connect() as conn:
            through, changed = load_changes(conn, after or 0)
        with self._lock:
            if after is not None and self._through == after:
                dropped = [key for key in self._values if self._touched(key, changed)]
                for key in dropped:
                    del self._values[key]
                if dropped:
                    self._drop(min(key[3] for key in dropped))
                self._through = through
            elif after is None and self._through is None:  # the first call: nothing kept yet
                self._through = through
            return KeptValues(self, self._through)

    def _drop(self, earliest_end: date) -> None:
        self._epoch += 1
        self._drops.append((self._epoch, earliest_end))
        del self._drops[:-MAX_DROPS]

    def epoch(self) -> int:
        """The number of the latest catch-up that dropped values, as of the last catch-up
        (no query: an older epoch only makes a later `dropped_since` more cautious)."""
        with self._lock:
            return self._epoch

    def dropped_since(self, engine: Engine, epoch: int, week_ending: date) -> bool:
        """Whether, since `epoch`, a load dropped a value a deck of `week_ending` may show."""
        self.catch_up(engine)
        with self._lock:
            if self._drops and self._drops[0][0] > epoch + 1:
                return True  # older drops forgotten: assume the worst
            return any(at > epoch and end <= week_ending for at, end in self._drops)

    def _touched(self, key: ValueKey, changed: dict[str, date | Everything | None]) -> bool:
        table = self._tables.get(key[0])
        change = changed.get(table) if table is not None else None
        if change is None:
            return table is None  # a metric the registry no longer reads from a table
        return isinstance(change, Everything) or key[3] >= change

    def _known(self, keys: Iterable[ValueKey]) -> dict[ValueKey, StoredValue]:
        with self._lock:
            return {key: self._values[key] for key in keys if key in self._values}

    def _keep(self, found: dict[ValueKey, StoredValue], through: int | None) -> None:
        with self._lock:
            if through != self._through:
                return  # a load was seen since these were read: they may predate it
            if len(self._values) + len(found) > MAX_VALUES:
                self._values.clear()  # rare: start again rather than track use
                self._drop(date.min)
            self._values.update(found)


@dataclass(frozen=True, slots=True)
class KeptValues:
    """The kept values as of one catch-up: what a deck build reads and adds to."""

    store: OnDemandValues
    through: int | None

    def known(self, keys: Iterable[ValueKey]) -> dict[ValueKey, StoredValue]:
        return self.store._known(keys)

    def keep(self, found: dict[ValueKey, StoredValue]) -> None:
        self.store._keep(found, self.through)


__all__: Final = ["KeptValues", "OnDemandValues"]
