"""The parsed data of a registry file, kept in `.wbr/` between commands.

Every `wbr` command is a fresh process and reads `metrics.yaml` first: parsing a
300-metric registry (and importing the YAML library) costs about 0.1 s of CPU,
the round trip that keeps every line number for `wbr validate` about 0.4 s.
Only that parse is cached, never its validation: the models and the
cross-reference rules run on every command, so a change anywhere else that
validation looks at (a CSV header, an installed connector) is seen as before.

An entry is used only when it was made from exactly the same bytes (SHA-256 of
the file's content, read once and parsed from that read), by the same versions
of wbr, the YAML library and Python, and this module's FORMAT. Anything else —
a missing, unreadable, corrupt or foreign entry — is a miss, and the file is
parsed as if there were no cache. Entries are written atomically, only best-effort
(a read-only project folder just means no cache), and only where wbr already keeps
its local state: a project without a `.wbr/` folder gets none.

Entries are pickles restricted to plain data (containers, text, numbers, and
the date and time types YAML produces), so a planted file cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from wbr.registry.yaml_source import Locations, NodePath, YamlDocument

# Bump when what `read_yaml`/`read_yaml_quickly` produce from the same bytes changes.
FORMAT = 1
CACHE_FOLDER = Path(".wbr") / "registry-cache"
# The only globals an entry may name: what YAML's safe types pickle through.
_ALLOWED_GLOBALS = {("datetime", name) for name in ("date", "datetime", "time", "timedelta")} | {
    ("datetime", "timezone")
}


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"{module}.{name} is not plain data")
        return super().find_class(module, name)


def _versions() -> str:
    found = []
    for package in ("wbr", "ruamel.yaml"):
        try:
            found.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            found.append(f"{package}=?")
    return ";".join([f"format={FORMAT}", *found, f"python={sys.version_info[:2]}"])


def entry_key(content: bytes) -> str:
    """What an entry must have been made from: the file's bytes and the parsers' versions."""
    return hashlib.sha256(content).hexdigest() + ";" + _versions()


def cache_file(registry_file: Path) -> Path:
    """One entry per registry file, in the `.wbr/` folder beside it."""
    resolved = registry_file.resolve()
    name = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:16]
    return resolved.parent / CACHE_FOLDER / f"{name}.pickle"


def lookup(registry_file: Path, content: bytes, *, with_lines: bool) -> YamlDocument | None:
    """The cached parse of `content`, or None when there is no entry to trust."""
    try:
        raw = cache_file(registry_file).read_bytes()
        stored = _PlainUnpickler(io.BytesIO(raw)).load()
    except Exception:  # any unreadable, corrupt or foreign entry is only a miss
        return None
    if not (
        isinstance(stored, tuple)
        and len(stored) == 3
        and stored[0] == entry_key(content)
        and (stored[2] is None or isinstance(stored[2], dict))
    ):
        return None
    lines: dict[NodePath, int] | None = stored[2]  # None: parsed quickly, without lines
    if with_lines and lines is None:
        return None
    return YamlDocument(file=registry_file, data=stored[1], locations=Locations(lines or {}))


def save(registry_file: Path, content: bytes, doc: YamlDocument) -> None:
    """Keep `doc`, parsed from `content`, for the next command; silently skip on any OSError.

    Only in a `.wbr/` folder that exists already (the default store's, made by the first
    load): `wbr validate` in a fresh checkout leaves no new folder behind.
    """
    lines = dict(doc.locations.lines) if doc.locations.lines else None
    try:
        target = cache_file(registry_file)
        if not target.parent.parent.is_dir():
            return
        payload = pickle.dumps((entry_key(content), doc.data, lines), protocol=5)
        target.parent.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".entry-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError, RecursionError):
        return


__all__ = ["CACHE_FOLDER", "FORMAT", "cache_file", "entry_key", "lookup", "save"]
