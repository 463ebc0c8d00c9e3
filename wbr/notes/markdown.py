"""A note's Markdown → HTML that is safe to put in the page.

markdown-it-py renders with raw HTML disabled (so `<script>` stays text), and
nh3 (the Rust `ammonia` sanitiser) then keeps only an allow-list of tags and
attributes and only http, https and mailto links: no script, no event
handlers, no `javascript:` URLs, whatever the renderer let through.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS: Final = frozenset(
    {
        "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
        "a", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: Final = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # "js-default": CommonMark with raw HTML off; tables and strikethrough on.
    return MarkdownIt("js-default", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Sanitised HTML of `text`; links open in a new tab without the page's opener."""
    html = _renderer().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
