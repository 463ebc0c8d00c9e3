"""The SQL store: connection, schema and migrations, and the raw tables of sources."""

from typing import TYPE_CHECKING, Any

from wbr.store.dialect import is_sqlite, rename_table
from wbr.store.engine import (
    DATABASE_URL_ENV,
    DEFAULT_STORE_RELATIVE_PATH,
    create_store_engine,
    describe_url,
    resolve_database_url,
)
from wbr.store.migration import current_revision, head_revision, migrate
from wbr.store.schema import compute_runs, load_runs, metadata, metric_values

if TYPE_CHECKING:
    from wbr.store.raw import raw_table_name, replace_raw_table

_LAZY = {"raw_table_name", "replace_raw_table"}


def __getattr__(name: str) -> Any:
    """The raw-table helpers import pandas: load them on first use, not with the store."""
    if name in _LAZY:
        from wbr.store import raw

        return getattr(raw, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_STORE_RELATIVE_PATH",
    "compute_runs",
    "create_store_engine",
    "current_revision",
    "describe_url",
    "head_revision",
    "is_sqlite",
    "load_runs",
    "metadata",
    "metric_values",
    "migrate",
    "raw_table_name",
    "rename_table",
    "replace_raw_table",
    "resolve_database_url",
]
