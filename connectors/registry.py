"""Find connectors through the `wbr.connectors` entry-point group.

Built-in connectors are registered in wbr's own pyproject exactly like a
third-party package would register one, so there is a single lookup path.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from connectors.base import Connector, ConnectorError
from wbr.registry.sources import CONNECTOR_GROUP, SourceBase

ENTRY_POINT_GROUP = CONNECTOR_GROUP


def available_connectors() -> dict[str, type[Connector]]:
    """Every installed connector class by the source `kind:` it handles."""
    return {name: _load(entry_point) for name, entry_point in _entry_points().items()}


def connector_for(source_name: str, source: SourceBase, base_dir: Path) -> Connector:
    """The connector that reads `source`, ready to `extract()`."""
    found = _entry_points()
    entry_point = found.get(source.kind)
    if entry_point is None:
        known = ", ".join(sorted(found)) or "none"
        raise ConnectorError(
            f"no connector for kind {source.kind!r} (installed: {known})",
            source=source_name,
            hint="Install the package that provides it, or fix `kind:`",
        )
    # Only the connector needed is imported, so a broken unrelated plugin
    # cannot stop this source from loading.
    return _load(entry_point)(source_name, source, base_dir)


def _entry_points() -> dict[str, EntryPoint]:
    return {entry_point.name: entry_point for entry_point in entry_points(group=ENTRY_POINT_GROUP)}


def _load(entry_point: EntryPoint) -> type[Connector]:
    try:
        loaded = entry_point.load()
    except Exception as exc:  # any import failure of third-party code
        raise ConnectorError(
            f"connector {entry_point.value!r} for kind {entry_point.name!r} "
            f"could not be imported ({exc})",
            hint="Reinstall the package that provides it",
        ) from exc
    if not isinstance(loaded, type):
        raise ConnectorError(f"entry point {entry_point.value!r} is not a class")
    return loaded
