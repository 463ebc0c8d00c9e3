"""plotly.js for the deck page, served by the app itself.

The deck's charts are drawn by `dashboards/assets/deck.js`, not by `dcc.Graph`
(see `dashboards.html_text`), so nothing of Dash's loads plotly.js for them. The
app serves the copy in the `plotly` package (the version Dash draws with) from
its own origin: no CDN, nothing for a Content-Security-Policy to allow but 'self'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import flask
import plotly

PLOTLY_JS_PATH: Final = "/_wbr/plotly.min.js"  # as in dashboards/assets/deck.js
PLOTLY_JS_FILE: Final = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# The file changes only with the installed plotly; a day keeps repeat views off the wire.
CACHE_SECONDS: Final = 86_400


def serve_plotly_js(server: flask.Flask) -> None:
    """Serve the packaged plotly.min.js at PLOTLY_JS_PATH."""

    def plotly_js() -> flask.Response:
        return flask.send_file(
            PLOTLY_JS_FILE, mimetype="text/javascript", max_age=CACHE_SECONDS, conditional=True
        )

    server.add_url_rule(PLOTLY_JS_PATH, "wbr_plotly_js", plotly_js)
