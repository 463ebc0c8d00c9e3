"""Links into the deck, for messages: the same addresses the Dash app's links use.

`dashboards/ids.py` names the page's anchors; wbr cannot import the dashboards, so
the two formats are kept equal by a test (tests/test_notify_messages.py).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode


def deck_url(base_url: str, week_ending: date) -> str:
    return f"{base_url}/?{urlencode({'week': week_ending.isoformat()})}"


def flag_anchor(metric: str, week_ending: date, detector: str) -> str:
    return f"flag-{metric}-{week_ending.isoformat()}-{detector}"


def flag_url(base_url: str, metric: str, week_ending: date, detector: str) -> str:
    return f"{deck_url(base_url, week_ending)}#{flag_anchor(metric, week_ending, detector)}"
