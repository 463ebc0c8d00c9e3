"""plotly.js for the deck page, served by the app itself.

The deck's charts are drawn by `dashboards/assets/deck.js`, not by `dcc.Graph`
(see `dashboards.html_text`), so nothing of Dash's loads plotly.js for them. The
app serves plotly.js's official "basic" bundle (scatter, bar and pie traces; the
6-12 chart uses only scatter and bar), vendored in `dashboards/vendor/` from the
npm package `plotly.js-basic-dist-min` at the version the `plotly` package ships
(tests/test_deck_html.py checks both). It is 1.2 MB against the full bundle's
4.8 MB: compiling the full one held the browser's main thread for over a second
on a first visit, the most of the wait for the first chart (docs/browser.md).
Served from the app's own origin: no CDN, nothing for a Content-Security-Policy
to allow but 'self'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import flask

PLOTLY_JS_PATH: Final = "/_wbr/plotly-basic.min.js"  # as in dashboards/assets/deck.js
PLOTLY_JS_FILE: Final = Path(__file__).parent / "vendor" / "plotly-basic.min.js"
# The file changes only with a new vendored version; a day keeps repeat views off the wire.
CACHE_SECONDS: Final = 86_400


def serve_plotly_js(server: flask.Flask) -> None:
    """Serve the vendored plotly.js basic bundle at PLOTLY_JS_PATH."""

    def plotly_js() -> flask.Response:
        return flask.send_file(
            PLOTLY_JS_FILE, mimetype="text/javascript", max_age=CACHE_SECONDS, conditional=True
        )

    server.add_url_rule(PLOTLY_JS_PATH, "wbr_plotly_js", plotly_js)
