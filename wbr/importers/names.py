"""Metric names of other tools → wbr's lower_snake_case names, without collisions."""

from __future__ import annotations

import re

from wbr.registry.base import NAME_RE

# Words inside an identifier: an acronym with a plural "s" (PMs, KPIs), an acronym
# before a capitalised word (the "HTTP" of HTTPServer), a capitalised or lower-case
# word with any digits that follow it (Weekly404s), an acronym, or a number.
_WORD_RE = re.compile(
    r"[A-Z]+s(?![a-z]{2})"
    r"|[A-Z]+(?=[A-Z][a-z])"
    r"|[A-Z]?[a-z]+(?:[0-9]+[a-z]*)*"
    r"|[A-Z]+[0-9]*"
    r"|[0-9]+[a-z]*"
)
FALLBACK_NAME = "metric"
NAME_PREFIX_FOR_DIGIT = "m_"


def snake_case(name: str) -> str:
    """`PageViews TARGET` → `page_views_target`; `vsFTSignUps` → `vs_ft_sign_ups`."""
    words = [word.lower() for word in _WORD_RE.findall(name)]
    result = "_".join(words) or FALLBACK_NAME
    if not result[0].isalpha():
        result = NAME_PREFIX_FOR_DIGIT + result
    assert NAME_RE.match(result), result
    return result


class NameMap:
    """Original names → unique wbr names, in the order they were added."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def add(self, original: str) -> str:
        if original in self._names:
            return self._names[original]
        base = snake_case(original)
        candidate, suffix = base, 2
        taken = set(self._names.values())
        while candidate in taken:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        self._names[original] = candidate
        return candidate

    def get(self, original: str) -> str | None:
        return self._names.get(original)

    def __contains__(self, original: object) -> bool:
        return original in self._names

    def as_dict(self) -> dict[str, str]:
        return dict(self._names)
