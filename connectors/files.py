"""What the file connectors share: finding the files a `path:` names.

A path is one file or a glob pattern (`data/orders-*.csv`, `exports/**/*.parquet`),
relative to the folder of the metrics.yaml that declares it. The pattern is
expanded on every run, so files added since the last run are picked up.
"""

from __future__ import annotations

import glob
from pathlib import Path

from connectors.base import ConnectorError

_GLOB_CHARACTERS = frozenset("*?[")


def resolve_files(pattern: str, base_dir: Path, source_name: str) -> list[Path]:
    """The files to read, in sorted order when `pattern` is a glob pattern."""
    full = Path(pattern).expanduser()
    if not full.is_absolute():
        full = base_dir / full
    if _GLOB_CHARACTERS.intersection(pattern):
        matches = sorted(Path(match) for match in glob.glob(str(full), recursive=True))
        files = [match for match in matches if match.is_file()]
        if not files:
            raise ConnectorError("no files match the pattern", source=source_name, path=full)
        return files
    if not full.is_file():
        raise ConnectorError(
            "file not found",
            source=source_name,
            path=full,
            hint=f"Relative paths start at {base_dir}",
        )
    return [full]


def total_bytes(files: list[Path]) -> int:
    return sum(path.stat().st_size for path in files) or 1
