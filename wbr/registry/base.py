"""What every registry model shares: immutable, and unknown keys are errors."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
NAME_RE = re.compile(NAME_PATTERN)


class StrictModel(BaseModel):
    """Base of every registry model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
