"""The Dash app for a workspace, as `wbr serve` and a WSGI server (dashboards/wsgi.py) build it."""

from __future__ import annotations

import dash

from dashboards.app import create_app
from dashboards.deck_cache import CachedDeckSource
from dashboards.source import Site, StoreDeckSource
from wbr.store import create_store_engine
from wbr.workspace import Workspace

# How long a page view waits for DuckDB's file while a load holds it.
PAGE_RAW_LOCK_TIMEOUT_SECONDS = 0.5


def app_for(workspace: Workspace) -> dash.Dash:
    """The deck app reading `workspace`'s store; it never runs a job itself."""
    raw_engine = workspace.engine
    if workspace.separate_raw_store:
        # A page must not hang for 30 s while a load holds DuckDB's file: it shows the
        # few values read from raw rows (older weeks' to-date medians) as N/A instead.
        raw_engine = create_store_engine(
            workspace.raw_database_url, lock_timeout_seconds=PAGE_RAW_LOCK_TIMEOUT_SECONDS
        )
    source = StoreDeckSource(workspace.engine, workspace.registry, raw_engine)
    return create_app(
        # Each worker keeps the decks it built until the store changes (dashboards/deck_cache.py).
        CachedDeckSource(source, workspace.engine),
        Site(workspace.engine, workspace.registry),
    )
