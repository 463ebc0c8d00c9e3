"""A project on disk: its registry file, its folder, and its migrated store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from wbr.errors import ConfigError
from wbr.registry.loader import load_registry
from wbr.registry.models import Registry
from wbr.store import create_store_engine, describe_url, migrate, resolve_database_url

DEFAULT_REGISTRY_FILE = Path("metrics.yaml")


@dataclass(frozen=True)
class Workspace:
    registry_file: Path
    registry: Registry
    engine: Engine
    database_url: str

    @property
    def base_dir(self) -> Path:
        """Source paths in the registry are relative to the registry's folder."""
        return self.registry_file.parent


def open_workspace(registry_file: Path, database_url: str | None = None) -> Workspace:
    """Load and validate the registry, connect to the store and bring its schema up to date."""
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
    return Workspace(registry_file, registry, engine, url)
