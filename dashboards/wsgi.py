"""The deck app for a WSGI server: `gunicorn --workers 4 dashboards.wsgi:server`.

Each worker opens the project named by `WBR_REGISTRY` (default: metrics.yaml in the
working folder) and the store in `WBR_DATABASE_URL` (default: SQLite in .wbr/ beside
it). Workers only read the store and write owners' notes; refreshes and notifications
are `wbr scheduler`'s, a process of its own, so several workers never run a job
several times (docs/ritual.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from dashboards.serving import app_for
from wbr.workspace import DEFAULT_REGISTRY_FILE, open_workspace

REGISTRY_ENV = "WBR_REGISTRY"

workspace = open_workspace(Path(os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY_FILE))
app = app_for(workspace)
server = app.server  # the Flask app: what gunicorn serves, as Dash recommends
