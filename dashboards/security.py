"""What every response of the deck app carries, whoever serves it: headers and limits.

A Content-Security-Policy that Dash works under: scripts only from this origin plus
the hashes of Dash's own inline scripts (`Dash.csp_hashes`), so an injected
`<script>` in a note or a metric label would not run; styles may be inline because
Plotly and React set them on elements. The page may not be framed
(`frame-ancestors 'none'`: no clickjacking of the note editor), browsers may not
guess content types, and a request body is capped so a write callback cannot be
used to fill memory. A failure answers a short text, never a traceback: the
details go to the server's log.
"""

from __future__ import annotations

from typing import Final

import dash
from werkzeug.exceptions import InternalServerError
from werkzeug.wrappers import Response

# Dash's callbacks carry small JSON (a note is at most wbr.notes.model.MAX_NOTE_LENGTH
# characters); anything this large is not a note, and is refused with 413 unread.
MAX_REQUEST_BYTES: Final = 256 * 1024
SERVER_ERROR_TEXT: Final = "Something went wrong on the server; the error is in its log."

# Fixed parts of the policy; script-src gets Dash's inline-script hashes added.
_POLICY: Final = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # Plotly writes <style> rules and style attributes while drawing a chart.
    "style-src": ["'self'", "'unsafe-inline'"],
    # Plotly's modebar icons and "download as PNG" use data: and blob: images.
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

FIXED_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    # Same-origin requests keep the full referrer: the layout request reads the page's
    # address from it (dashboards/app.py); other sites learn nothing.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(inline_script_hashes: list[str]) -> str:
    """The policy text, with `inline_script_hashes` ("'sha256-…'") allowed as scripts."""
    directives = {**_POLICY, "script-src": [*_POLICY["script-src"], *inline_script_hashes]}
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def harden(app: dash.Dash) -> None:
    """Install the headers, the request size limit and the error page on `app`'s server.

    Call it after every callback is registered: clientside callbacks are inline
    scripts whose hashes the policy must list.
    """
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    # Never serve the interactive debugger or a traceback, whatever FLASK_DEBUG says.
    server.debug = False
    policy: list[str] = []  # computed once, on the first response (Dash is set up by then)

    def add_headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(list(app.csp_hashes())))
        response.headers["Content-Security-Policy"] = policy[0]
        for name, value in FIXED_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def server_error(error: InternalServerError) -> Response:
        # Flask has logged the exception with its traceback; the browser gets one line.
        return Response(SERVER_ERROR_TEXT, status=500, mimetype="text/plain")

    server.after_request(add_headers)
    server.register_error_handler(InternalServerError, server_error)


__all__: Final = ["MAX_REQUEST_BYTES", "content_security_policy", "harden"]
