"""A project on disk: its registry file, its folder, and its migrated store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wbr.errors import ConfigError

if TYPE_CHECKING:  # imported when a workspace is opened, so that `wbr --help` starts fast
    from sqlalchemy.engine import Engine

    from wbr.registry.models import Registry

DEFAULT_REGISTRY_FILE = Path("metrics.yaml")


@dataclass(frozen=True)
class Workspace:
    registry_file: Path
    registry: Registry
    engine: Engine  # app state: metric values, flags, load history, annotations
    database_url: str
    # The raw tables' store: `engine` itself unless they live in a store of their own.
    raw_database_url: str
    # Made on first use of `raw_engine`: DuckDB's dialect costs 0.1-0.2 s to import,
    # which a command that reads no raw rows (export of stored values) need not pay.
    _raw_engine: Engine | None = field(default=None, repr=False, compare=False)

    @property
    def separate_raw_store(self) -> bool:
        return self.raw_database_url != self.database_url

    @property
    def raw_engine(self) -> Engine:
        if not self.separate_raw_store:
            return self.engine
        if self._raw_engine is None:
            from wbr.store.engine import create_store_engine

            object.__setattr__(self, "_raw_engine", create_store_engine(self.raw_database_url))
        assert self._raw_engine is not None
        return self._raw_engine

    def dispose(self) -> None:
        self.engine.dispose()
        if self._raw_engine is not None:
            self._raw_engine.dispose()

    @property
    def base_dir(self) -> Path:
        """Source paths in the registry are relative to the registry's folder."""
        return self.registry_file.parent


def open_workspace(
    registry_file: Path, database_url: str | None = None, raw_database_url: str | None = None
) -> Workspace:
    """Load and validate the registry, connect to the store and bring its schema up to date.

    The raw tables go to `raw_database_url` (or `WBR_RAW_DATABASE_URL`) when one
    is given; else, with the default SQLite store, into `.wbr/raw.duckdb` beside
    it, and with a store the user named, into that store.
    """
    from sqlalchemy.exc import OperationalError

    from wbr.registry.loader import load_registry
    from wbr.store.engine import (
        create_store_engine,
        describe_url,
        resolve_database_url,
        resolve_raw_database_url,
        uses_default_store,
    )
    from wbr.store.migration import migrate

    registry_file = registry_file.resolve()
    if not registry_file.is_file():
        raise ConfigError(
            f"no registry file at {registry_file}; pass --registry PATH or run wbr in the "
            "folder that holds metrics.yaml"
        )
    registry = load_registry(registry_file)
    url = resolve_database_url(registry_file.parent, database_url)
    engine = create_store_engine(url)
    try:
        migrate(engine)
    except OperationalError as error:
        engine.dispose()
        raise ConfigError(
            f"cannot open the store at {describe_url(url)}: {error.orig}; check the URL in "
            "WBR_DATABASE_URL or --database-url, and that the server is running"
        ) from error
    raw_url = resolve_raw_database_url(
        registry_file.parent, raw_database_url, main_is_default=uses_default_store(database_url)
    )
    if raw_url is None or raw_url == url:
        return Workspace(registry_file, registry, engine, url, url)
    # Not opened here: a command that never reads raw rows (serve, export, status of
    # the app store) must not wait while a load holds DuckDB's file; nor is its engine
    # made until a command asks for `raw_engine`.
    return Workspace(registry_file, registry, engine, url, raw_url)
