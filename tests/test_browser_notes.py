"""The owners' journeys in real headless Chromium: explain a flag, read it, merge, stay safe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import small_project as shop
from browser_support import CHROMIUM, CHROMIUM_ARGS, RENDER_TIMEOUT_MS, browser_marks
from sqlalchemy import Engine
from web_support import (
    FLAGGED,
    PASSWORD,
    build_store,
    callback_payload,
    find_component,
    save_request,
    served_site,
)

from dashboards import ids
from wbr.anomalies.store import flags_for_week
from wbr.notes.model import NoteTarget
from wbr.notes.store import get_note, save_note

pytestmark = browser_marks


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Engine, str, NoteTarget]]:
    engine, project = build_store(f"sqlite:///{tmp_path / 'store.db'}")
    [flag] = flags_for_week(engine, shop.WEEK_ENDING)[FLAGGED]
    target = NoteTarget(FLAGGED, shop.WEEK_ENDING, flag.detector.value)
    with served_site(engine, project) as base:
        yield engine, base, target
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _signed_in(browser: Any, base: str, key: str) -> Any:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)
    page.goto(f"{base}/")
    assert "/login" in page.url  # reading needs a person here
    page.fill("#sign-in-key", key)
    page.fill("#sign-in-password", PASSWORD)
    page.click("#sign-in-submit")
    page.wait_for_selector(f"#{ids.card_id(FLAGGED)}")
    return page


def _note_selector(target: NoteTarget) -> str:
    return f"#{ids.note_id(target.metric, target.week_ending, target.detector)}"


def _open_editor(page: Any) -> None:
    page.click(f"#{ids.flags_id(FLAGGED)} .explain-button")
    page.wait_for_selector(f"#{ids.EDITOR}.open")


def _write(page: Any, text: str) -> None:
    page.fill(f"#{ids.EDITOR_TEXT}", text)
    page.click(f"#{ids.EDITOR_SAVE}")


def test_owner_explains_a_flag_and_the_viewer_reads_it(
    site: tuple[Engine, str, NoteTarget], browser: Any
) -> None:
    engine, base, target = site
    owner = _signed_in(browser, base, "ana")
    assert "0 explained \u00b7 2 waiting" in owner.text_content(f"#{ids.DECK_EXCEPTIONS}")
    _open_editor(owner)
    _write(owner, "A **CDN outage** on Thursday halved the clicks; fixed Friday.")
    owner.wait_for_selector(f"{_note_selector(target)} strong")
    owner.click(f"#{ids.SIGN_OUT_BUTTON}")
    owner.wait_for_url("**/login**")

    viewer = _signed_in(browser, base, "viv")
    viewer.wait_for_selector(f"{_note_selector(target)} .note-text strong")  # Markdown loads lazily
    note = viewer.locator(_note_selector(target))
    assert "CDN outage" in note.text_content()
    assert "Ana" in note.locator(".note-byline").text_content()
    assert note.get_attribute(ids.DATA_NOTE_STATUS) == "explained"
    assert "1 explained \u00b7 1 waiting" in viewer.text_content(f"#{ids.DECK_EXCEPTIONS}")
    assert viewer.locator(".explain-button").count() == 0  # a viewer gets no buttons

    # The viewer's own forged write, from the same signed-in browser: 403, nothing stored.
    request = viewer.context.request
    layout = request.get(f"{base}/_dash-layout").json()
    token = find_component(layout, ids.CSRF_TOKEN)["props"]["data"]
    dependencies = request.get(f"{base}/_dash-dependencies").json()
    body = callback_payload(dependencies, *save_request(target.key, "viewer's", 1, token))
    reply = request.post(
        f"{base}/_dash-update-component",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 403
    stored = get_note(engine, target)
    assert stored is not None and stored.revision == 1 and stored.current.author == "ana"


def test_two_sessions_on_one_revision_merge_without_losing_either(
    site: tuple[Engine, str, NoteTarget], browser: Any
) -> None:
    engine, base, target = site
    save_note(
        engine, target, status="investigating", text="Looking", author="ana", base_revision=None
    )
    first, second = _signed_in(browser, base, "ana"), _signed_in(browser, base, "ada")
    _open_editor(first)
    _open_editor(second)  # both now edit revision 1
    _write(first, "Ana: the CDN failed.")
    first.wait_for_selector(f"#{ids.EDITOR}:not(.open)", state="attached")
    _write(second, "Ada: also a pricing test.")
    second.wait_for_selector(".conflict-theirs")
    assert second.text_content(".conflict-theirs") == "Ana: the CDN failed."
    assert second.text_content(".conflict-yours") == "Ada: also a pricing test."
    assert get_note(engine, target).current.text == "Ana: the CDN failed."  # type: ignore[union-attr]

    _write(second, "Ana: the CDN failed. Ada: also a pricing test.")
    second.wait_for_selector(f"#{ids.EDITOR}:not(.open)", state="attached")
    note = get_note(engine, target)
    assert note is not None
    assert [r.text for r in note.history] == [
        "Looking",
        "Ana: the CDN failed.",
        "Ana: the CDN failed. Ada: also a pricing test.",
    ]
    history = second.locator(
        f"#{ids.history_id(target.metric, target.week_ending, target.detector)}"
    )
    assert "3 revisions" in history.text_content()


def test_script_in_a_note_renders_as_inert_text(
    site: tuple[Engine, str, NoteTarget], browser: Any
) -> None:
    engine, base, target = site
    attack = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)> [click me](javascript:alert(1))"
    )
    save_note(engine, target, status="explained", text=attack, author="ana", base_revision=None)
    page = _signed_in(browser, base, "viv")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    note = page.locator(f"{_note_selector(target)} .note-text")
    page.wait_for_selector(f"{_note_selector(target)} .note-text p")  # Markdown loads lazily
    assert "<script>alert(1)</script>" in note.text_content()
    assert note.locator("script, img").count() == 0
    assert note.locator("a[href^='javascript']").count() == 0
    note.locator("text=click me").click()  # a link that went nowhere would fire here
    page.wait_for_timeout(500)  # give any injected handler the chance to run
    assert dialogs == []
