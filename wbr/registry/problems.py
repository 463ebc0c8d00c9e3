"""A problem found in a registry file: where, what, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    level: Level
    file: Path
    line: int | None  # 1-based; None when the problem has no single place
    message: str  # names the object and the problem
    hint: str = ""  # the fix

    def render(self) -> str:
        place = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        text = f"{place}: {self.level.value}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.level is Level.ERROR]


def summary(problems: list[Problem]) -> str:
    n_errors = len(errors(problems))
    n_warnings = len(problems) - n_errors
    if not problems:
        return "No problems found."
    return f"{n_errors} error(s), {n_warnings} warning(s)."
