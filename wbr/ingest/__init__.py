"""Ingest: load declared sources into the store's raw tables.

`ingest` loads sources (incrementally where declared, atomically always) and
records each run in `load_runs`; `freshness` tells how current each source is.
"""

from wbr.ingest.report import LoadReport
from wbr.ingest.run import LoadObserver, ingest, load_source

__all__ = ["LoadObserver", "LoadReport", "ingest", "load_source"]
