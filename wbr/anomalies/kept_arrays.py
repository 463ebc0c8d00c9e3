"""Arrays a detection run keeps in `.wbr/` for the next one: read, written, made active.

The seasonal fits (`wbr.anomalies.fit_cache`) and the scorers' states
(`wbr.anomalies.resume`) are each one `.npz` file of plain arrays (no pickles): read
whole at the start of a run, written whole, atomically, after a run that ended well,
and active in between through a context variable, so that scoring code deep inside
`detect_series` finds them without being handed them. An unreadable, corrupt or
foreign file is only a miss; a folder that cannot be written keeps the old file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

import numpy as np

Arrays = dict[str, np.ndarray]
Cache = TypeVar("Cache")


def read_arrays(path: Path) -> Arrays | None:
    """Every array of the file; None when there is none to read or it is no such file."""
    try:
        # Opened here: numpy leaves its own handle open when the file is no zip.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except Exception:  # a missing, unreadable, corrupt or foreign file is only a miss
        return None


def write_arrays(path: Path, arrays: Arrays) -> None:
    """The arrays, atomically; silently nothing when the folder cannot be written."""
    # Beside the target, made with open() so that the file gets the umask's mode (a
    # scheduler and a CLI run by different users can both read it), then moved over it.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        try:
            with temporary.open("wb") as out:
                np.savez(out, allow_pickle=False, **arrays)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError:
        return


@contextlib.contextmanager
def kept_in(
    path: Path | None,
    active: ContextVar[Cache | None],
    opened: Callable[[Path], Cache],
    save: Callable[[Path, Cache], None],
) -> Iterator[Cache | None]:
    """Within the block, `active` holds the cache `opened(path)` made (None: no path);
    `save(path, cache)` runs when the block ends without an error."""
    if path is None:
        yield None
        return
    cache = opened(path)
    token = active.set(cache)
    try:
        yield cache
    finally:
        active.reset(token)
    save(path, cache)


__all__ = ["Arrays", "kept_in", "read_arrays", "write_arrays"]
