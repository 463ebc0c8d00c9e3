"""Seasonal fits kept in `.wbr/` between detection runs, so a refresh does not redo them.

Every detection run scores every week of every metric again, and a metric with two
years of history costs one robust STL fit per season of it (`wbr.anomalies.seasonal`):
at 300 metrics, 464 fits and about 40 % of the run. A weekly refresh changes none of
their inputs (each fit sees only the history before its block of weeks), so each fit
is kept, keyed by exactly what it was made from: the history's bytes, the period, the
fit's settings and the versions of statsmodels, numpy and this module's FORMAT. A fit
found under its key is the fit that would be made, so the flags come out the same
with or without the file (a test checks it).

The file holds the fits the last run used, nothing older: a fit no run asks for again
(its block's history has changed) drops out at the next save. It is plain arrays
(`numpy.savez`, no pickles), written atomically, and only where wbr already keeps its
local state: a project without a `.wbr/` folder (a PostgreSQL store, `wbr detect
--csv`) gets none. An unreadable, corrupt or foreign file is only a miss.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from contextvars import ContextVar
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import numpy.typing as npt

from wbr.anomalies.kept_arrays import kept_in, read_arrays, write_arrays

FORMAT = 1  # bump when what a fit returns for the same input changes
FILE_NAME = "seasonal-fits.npz"

Floats = npt.NDArray[np.float64]
Fit = tuple[Floats, Floats, float]  # seasonal component, detrended values, strength


class FitCache:
    """Fits by key: those read from the file, and those this run used or made."""

    def __init__(self, stored: dict[str, Fit] | None = None) -> None:
        self._stored = stored or {}
        self.used: dict[str, Fit] = {}
        self.hits = 0

    def get(self, key: str) -> Fit | None:
        found = self.used.get(key) or self._stored.get(key)
        if found is not None:
            self.hits += 1
            self.used[key] = found
        return found

    def put(self, key: str, fit: Fit) -> None:
        self.used[key] = fit


_active: ContextVar[FitCache | None] = ContextVar("wbr_fit_cache", default=None)


def active() -> FitCache | None:
    """The cache of the detection run in progress, if it keeps one."""
    return _active.get()


def fit_key(history: Floats, period: int, settings: str) -> str:
    """What a fit is made from: the history's exact values, its period and settings."""
    digest = hashlib.sha256(np.ascontiguousarray(history, dtype=np.float64).tobytes())
    digest.update(f"{period};{settings};{versions()}".encode())
    return digest.hexdigest()


@functools.cache  # reading a package's version scans its metadata: 1.4 ms a call
def versions() -> str:
    found = [f"format={FORMAT}", f"numpy={np.__version__}"]
    try:
        found.append(f"statsmodels={version('statsmodels')}")
    except PackageNotFoundError:
        found.append("statsmodels=?")
    return ";".join(found)


def project_file(registry_file: Path) -> Path | None:
    """Where a project keeps its fits: in the `.wbr/` folder beside its registry, if any."""
    # Imported here: the store's module brings SQLAlchemy, which scoring alone never needs.
    from wbr.store.engine import DEFAULT_STORE_RELATIVE_PATH

    folder = registry_file.resolve().parent / DEFAULT_STORE_RELATIVE_PATH.parent
    return folder / FILE_NAME if folder.is_dir() else None


def fits_kept_in(path: Path | None) -> contextlib.AbstractContextManager[FitCache | None]:
    """Within the block, seasonal fits come from and go to `path` (None: no cache).

    The file is written only when the block ends without an error."""
    return kept_in(path, _active, lambda at: FitCache(_read(at)), _save)


def _save(path: Path, cache: FitCache) -> None:
    _write(path, cache.used)


def _read(path: Path) -> dict[str, Fit]:
    data = read_arrays(path)
    if data is None:
        return {}
    try:
        keys, lengths = data["keys"], data["lengths"]
        seasonal, detrended, strengths = data["seasonal"], data["detrended"], data["strength"]
        if not (len(keys) == len(lengths) == len(strengths)) or lengths.sum() != len(seasonal):
            return {}
        ends = np.cumsum(lengths)
        return {
            str(key): (
                seasonal[end - length : end].copy(),
                detrended[end - length : end].copy(),
                float(strength),
            )
            for key, length, end, strength in zip(keys, lengths, ends, strengths, strict=True)
        }
    except Exception:  # a foreign file (other arrays, other shapes) is only a miss
        return {}


def _write(path: Path, fits: dict[str, Fit]) -> None:
    keys = list(fits)
    empty = np.zeros(0)
    write_arrays(
        path,
        {
            "keys": np.array(keys, dtype="U64"),
            "lengths": np.array([len(fits[k][0]) for k in keys], dtype=np.int64),
            "seasonal": np.concatenate([fits[k][0] for k in keys]) if keys else empty,
            "detrended": np.concatenate([fits[k][1] for k in keys]) if keys else empty,
            "strength": np.array([fits[k][2] for k in keys], dtype=np.float64),
        },
    )


__all__ = ["FitCache", "active", "fit_key", "fits_kept_in", "project_file", "versions"]
