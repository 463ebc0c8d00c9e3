"""Importers: turn another tool's configuration into a `metrics.yaml`.

Each importer returns the registry it built and a list of `ImportNote`s: every
setting it could not translate, translated differently, or left for the user to
fill in. Nothing is dropped without a note.
"""

from __future__ import annotations

from wbr.importers.notes import ImportNote, NoteLevel

__all__ = ["ImportNote", "NoteLevel"]
