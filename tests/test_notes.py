"""Notes: revisions, optimistic concurrency, soft delete and restore, sanitised Markdown."""

from __future__ import annotations

import threading
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import Engine

from wbr.errors import AccessError
from wbr.notes.markdown import ALLOWED_TAGS, render_markdown
from wbr.notes.model import NoteConflict, NoteStatus, NoteTarget, RevisionAction
from wbr.notes.store import (
    delete_note,
    get_note,
    notes_for_weeks,
    restore_note,
    save_note,
)
from wbr.people.audit import entries

WEEK = date(2026, 11, 28)
FLAG = NoteTarget("revenue", WEEK, "robust")


def test_every_edit_is_a_new_revision(store_engine: Engine) -> None:
    first = save_note(
        store_engine, FLAG, status="investigating", text="Looking", author="ana", base_revision=None
    )
    second = save_note(
        store_engine,
        FLAG,
        status="explained",
        category="promotion",
        text="Black Friday promo",
        author="ben",
        base_revision=first.revision,
    )
    assert [r.revision for r in second.history] == [1, 2]
    assert [r.author for r in second.history] == ["ana", "ben"]
    assert second.current.status is NoteStatus.EXPLAINED
    assert second.current.category == "promotion"
    assert [e.action for e in entries(store_engine)][:2] == ["write note", "write note"]


def test_a_write_on_an_outdated_revision_is_refused_with_both_texts(store_engine: Engine) -> None:
    base = save_note(
        store_engine, FLAG, status="investigating", text="v1", author="ana", base_revision=None
    )
    save_note(store_engine, FLAG, status="explained", text="ana's", author="ana", base_revision=1)
    with pytest.raises(NoteConflict) as refused:
        save_note(
            store_engine,
            FLAG,
            status="explained",
            text="ben's",
            author="ben",
            base_revision=base.revision,
        )
    assert refused.value.current.current.text == "ana's"
    assert refused.value.yours == "ben's"
    merged = save_note(
        store_engine,
        FLAG,
        status="explained",
        text="ana's + ben's",
        author="ben",
        base_revision=refused.value.current.revision,
    )
    assert [r.text for r in merged.history] == ["v1", "ana's", "ana's + ben's"]


def test_two_first_notes_at_once_keep_one_and_refuse_the_other(store_engine: Engine) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write(author: str) -> None:
        barrier.wait()
        try:
            save_note(
                store_engine,
                FLAG,
                status="explained",
                text=author,
                author=author,
                base_revision=None,
            )
            outcomes.append("saved")
        except NoteConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(name,)) for name in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    note = get_note(store_engine, FLAG)
    assert note is not None and len(note.history) == 1


def test_deleting_hides_the_note_and_restoring_brings_it_back(store_engine: Engine) -> None:
    note = save_note(
        store_engine, FLAG, status="explained", text="Promo", author="ana", base_revision=None
    )
    delete_note(store_engine, note.id, "ana")
    assert get_note(store_engine, FLAG) is None
    assert notes_for_weeks(store_engine, [WEEK]) == {}
    restored = restore_note(store_engine, note.id, "ada")
    assert not restored.deleted
    assert [r.action for r in restored.history] == [
        RevisionAction.WRITTEN,
        RevisionAction.DELETED,
        RevisionAction.RESTORED,
    ]
    assert restored.current.text == "Promo"
    assert notes_for_weeks(store_engine, [WEEK])[FLAG].id == note.id


def test_metric_week_notes_and_flag_notes_are_separate(store_engine: Engine) -> None:
    week_note = NoteTarget("revenue", WEEK)
    save_note(
        store_engine, week_note, status="known event", text="Sale", author="a", base_revision=None
    )
    save_note(store_engine, FLAG, status="explained", text="Promo", author="a", base_revision=None)
    found = notes_for_weeks(store_engine, [WEEK])
    assert set(found) == {week_note, FLAG}
    assert not week_note.on_flag and FLAG.on_flag


@pytest.mark.parametrize(
    ("status", "category", "text", "problem"),
    [
        ("fixed", None, "x", "unknown status"),
        ("explained", "weather", "x", "unknown cause category"),
        ("explained", None, "   ", "text is empty"),
        ("explained", None, "x" * 20_001, "at most"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_stored(
    store_engine: Engine, status: str, category: str | None, text: str, problem: str
) -> None:
    with pytest.raises(AccessError, match=problem):
        save_note(
            store_engine,
            FLAG,
            status=status,
            category=category,
            text=text,
            author="ana",
            base_revision=None,
        )
    assert get_note(store_engine, FLAG, include_deleted=True) is None


class _Elements(HTMLParser):
    """Every tag and attribute the browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "[x](JaVaScRiPt:alert(1))",
        '<svg onload="alert(1)">',
    ],
)
def test_markdown_keeps_no_script_handler_or_javascript_link(attack: str) -> None:
    parsed = _Elements()
    parsed.feed(render_markdown(attack))
    assert set(parsed.tags) <= ALLOWED_TAGS
    assert not {"script", "img", "svg"} & set(parsed.tags)
    assert not [name for name, _ in parsed.attributes if name.startswith("on")]
    hrefs = [value.strip().lower() for name, value in parsed.attributes if name == "href"]
    assert not [href for href in hrefs if href.startswith("javascript")]


def test_markdown_keeps_formatting_and_safe_links() -> None:
    html = render_markdown("**Promo** in _EU_, see [the plan](https://example.com/p)")
    assert "<strong>Promo</strong>" in html and "<em>EU</em>" in html
    assert 'href="https://example.com/p"' in html and 'rel="noopener noreferrer nofollow"' in html
