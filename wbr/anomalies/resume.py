"""Scorers' states kept in `.wbr/` between detection runs, so a refresh scores only new weeks.

A detection run scores every week of every metric from the first, and at 300 metrics
that is most of a weekly refresh (1.5 s of 2.8 s in a running scheduler,
docs/performance.md). A week's expectation depends only on the weeks before it, so
after a week is appended the scorers could go on from where the last run stopped.
`auto`'s two scorers of a weekly series (`wbr.anomalies.detectors._robust_and_seasonal`)
are kept at the end of each run, with the detector that scored each week, under a key
of everything they were made from: the values, dates and event marks of the weeks
they scored, the settings and events, the scale and count decisions taken on the
whole series, and the source of the detection code itself. The next run looks for a
state under the key of its own first weeks (the same number of weeks, or up to
`MAX_NEW_PERIODS` fewer) and, when one is found, scores only the weeks after it. Any
difference, a restated week, an edited setting, a metric that took its first zero,
another version of wbr, is a miss, and the series is scored from the start, as
without the file: the flags are the same either way (tests check it). So is a week
that starts a new season of the yearly pattern (once a year), which needs a new fit.

Like the seasonal fits (`wbr.anomalies.fit_cache`), the file holds plain arrays (no
pickles), only the states the last run made, and is written atomically after a run
that ended well; a missing or unreadable file is a miss.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Sequence
from contextvars import ContextVar
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wbr.anomalies import fit_cache
from wbr.anomalies.kept_arrays import kept_in, read_arrays, write_arrays

if TYPE_CHECKING:
    from wbr.anomalies.detectors import SeriesInput
    from wbr.registry.anomaly_settings import AnomalySettings

FILE_NAME = "scorer-states.npz"
FORMAT = 1  # bump when what a state holds changes
MAX_NEW_PERIODS = 8  # a run this many weeks after the last one still goes on from it

State = dict[str, np.ndarray]


class StateCache:
    """States by key: those read from the file, and those this run made."""

    def __init__(self, stored: dict[str, State] | None = None) -> None:
        self._stored = stored or {}
        self.made: dict[str, State] = {}
        self.resumed = 0  # series that went on from a kept state in this run

    def find(self, keys: Sequence[str]) -> tuple[str, State] | None:
        for key in keys:
            found = self.made.get(key) or self._stored.get(key)
            if found is not None:
                return key, found
        return None

    def keep(self, key: str, state: State) -> None:
        self.made[key] = state


_active: ContextVar[StateCache | None] = ContextVar("wbr_scorer_states", default=None)


def active() -> StateCache | None:
    """The cache of the detection run in progress, if it keeps one."""
    return _active.get()


def _source_digest() -> str:
    """wbr/anomalies' source, read once when this module is imported: a process whose
    files are replaced under it (an upgrade beneath a running scheduler) keeps keying
    its states by the code it runs, not by the code on disk."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_SOURCE = _source_digest()


@functools.cache
def _code_digest() -> str:
    """The code that made a state: this module's format, wbr's version and source, and
    the numpy and statsmodels the seasonal fits come from (`fit_cache`'s versions)."""
    try:
        installed = version("wbr")
    except PackageNotFoundError:
        installed = "?"
    text = f"format={FORMAT};wbr={installed};source={_SOURCE};{fit_cache.versions()}"
    return hashlib.sha256(text.encode()).hexdigest()


def series_key(
    kind: str, series: SeriesInput, settings: AnomalySettings, log: bool, periods: int
) -> str:
    """Everything the scorers' state after the first `periods` periods was made from;
    `kind` names the runs whose state it is (`auto`'s two, or one robust run)."""
    return _KeyMaker(kind, series, settings, log).key(periods)


def candidate_keys(
    kind: str, series: SeriesInput, settings: AnomalySettings, log: bool
) -> list[str]:
    """Keys of the states a run of `series` could go on from, newest first."""
    n = len(series.values)
    maker = _KeyMaker(kind, series, settings, log)
    return [maker.key(periods) for periods in range(n, max(n - MAX_NEW_PERIODS, 1) - 1, -1)]


class _KeyMaker:
    """Keys of a series' first periods: what all of them share is hashed once."""

    def __init__(
        self, kind: str, series: SeriesInput, settings: AnomalySettings, log: bool
    ) -> None:
        base = hashlib.sha256(_code_digest().encode())
        base.update(f"kind={kind};".encode())
        base.update(settings.model_dump_json().encode())
        base.update(repr(series.cadence).encode())
        base.update(f"counts={series.counts};log={log}".encode())
        base.update("|".join(event.model_dump_json() for event in series.events).encode())
        self._base = base
        days = np.fromiter((day.toordinal() for day in series.dates), np.int64, len(series.dates))
        self._columns = (
            np.ascontiguousarray(series.values, dtype=np.float64),
            np.ascontiguousarray(series.known, dtype=np.bool_),
            np.ascontiguousarray(series.one_off, dtype=np.bool_),
            days,
        )

    def key(self, periods: int) -> str:
        digest = self._base.copy()
        digest.update(f"periods={periods}".encode())
        for column in self._columns:
            digest.update(column[:periods].tobytes())
        return digest.hexdigest()


def project_file(fits_file: Path | None) -> Path | None:
    """Where a project keeps its scorers' states: beside its seasonal fits, if any."""
    return None if fits_file is None else fits_file.with_name(FILE_NAME)


def states_kept_in(path: Path | None) -> contextlib.AbstractContextManager[StateCache | None]:
    """Within the block, scorers' states come from and go to `path` (None: no cache).

    The file is written only when the block ends without an error."""
    return kept_in(path, _active, lambda at: StateCache(_read(at)), _save)


def _save(path: Path, cache: StateCache) -> None:
    _write(path, cache.made)


def _read(path: Path) -> dict[str, State]:
    """The states of the file: each field of every state is one array, cut by lengths
    (-1: the state has no such field)."""
    data = read_arrays(path)
    if data is None:
        return {}
    try:
        keys = [str(key) for key in data["keys"]]
        fields = [str(name) for name in data["fields"]]
        lengths = data["lengths"].reshape(len(fields), len(keys))
        states: dict[str, State] = {key: {} for key in keys}
        for row, name in enumerate(fields):
            values = data[f"field_{name}"]
            present = lengths[row] >= 0
            ends = np.cumsum(np.where(present, lengths[row], 0))
            if len(keys) and ends[-1] != len(values):
                return {}
            for key, end, length, there in zip(keys, ends, lengths[row], present, strict=True):
                if there:
                    states[key][name] = values[end - length : end].copy()
        return states
    except Exception:  # a foreign file (other arrays, other shapes) is only a miss
        return {}


def _write(path: Path, states: dict[str, State]) -> None:
    keys = list(states)
    fields = sorted({name for state in states.values() for name in state})
    lengths = np.array(
        [
            [len(states[key][name]) if name in states[key] else -1 for key in keys]
            for name in fields
        ],
        dtype=np.int64,
    )
    arrays = {
        f"field_{name}": np.concatenate([states[key][name] for key in keys if name in states[key]])
        for name in fields
    }
    write_arrays(
        path,
        {
            "keys": np.array(keys, dtype="U64"),
            "fields": np.array(fields, dtype="U32"),
            "lengths": lengths.reshape(-1),
            **arrays,
        },
    )


__all__ = [
    "StateCache",
    "active",
    "candidate_keys",
    "project_file",
    "series_key",
    "states_kept_in",
]
