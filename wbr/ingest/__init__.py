"""Ingest: load declared sources into the store's raw tables.

`ingest` loads sources (incrementally where declared, atomically always) and
records each run in `load_runs`; `freshness` tells how current each source is.
"""

from typing import TYPE_CHECKING, Any

from wbr.ingest.report import LoadReport

if TYPE_CHECKING:
    from wbr.ingest.run import LoadObserver, ingest, load_source


def __getattr__(name: str) -> Any:
    """The loaders import pandas and the connectors: not for `wbr status`."""
    if name in {"LoadObserver", "ingest", "load_source"}:
        from wbr.ingest import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LoadObserver", "LoadReport", "ingest", "load_source"]
