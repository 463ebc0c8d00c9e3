"""End to end: CSV → store → compute → the served deck in Chromium and the JSON export.

The numbers a reader sees in the browser equal the JSON export's, and both equal
the hand-checked numbers of the small project (see small_project.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import small_project as shop
from browser_support import (
    DECK_SNAPSHOT_JS,
    assert_page_shows,
    browser_marks,
    chromium_page,
    wait_for_deck,
)
from browser_support import served as served_app
from click.testing import CliRunner

from dashboards.source import StoreDeckSource
from wbr.cli import main
from wbr.export import deck_from_dict
from wbr.workspace import open_workspace

pytestmark = browser_marks


def test_served_deck_equals_the_json_export_and_the_hand_checked_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WBR_DATABASE_URL", raising=False)
    registry_file = shop.write_project(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["refresh", "--registry", str(registry_file)]).exit_code == 0
    exported = runner.invoke(main, ["export", "--registry", str(registry_file)])
    assert exported.exit_code == 0, exported.output
    deck = deck_from_dict(json.loads(exported.output))

    workspace = open_workspace(registry_file)
    try:
        source = StoreDeckSource(workspace.engine, workspace.registry)
        with served_app(source) as url, chromium_page() as page:
            page.goto(url)
            wait_for_deck(page, deck)
            # Every section, box number and plotted value on the page equals the export.
            assert_page_shows(page, deck)
            cards = {
                card["metric"]: {cell["field"]: cell["raw"] for cell in card["cells"]}
                for section in page.evaluate(DECK_SNAPSHOT_JS)
                for card in section["cards"]
            }
    finally:
        workspace.engine.dispose()

    # ...and the export equals the numbers worked out by hand.
    assert float(cards["clicks"]["last_week"]) == 84
    assert float(cards["clicks"]["last_week_yoy"]) == pytest.approx(20.0)
    assert float(cards["clicks"]["mtd"]) == 192
    assert float(cards["ctr"]["last_week_yoy"]) == pytest.approx(-400.0)
    assert float(cards["orders"]["last_week"]) == 21
