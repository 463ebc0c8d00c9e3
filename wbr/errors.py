"""The exceptions the core raises for mistakes in a user's input or data.

The CLI turns these into a message and an exit code in one place; anything else
reaching the user is a bug in wbr.
"""

from __future__ import annotations


class WbrError(Exception):
    """Base of every error wbr reports to a user without a traceback."""


class ConfigError(WbrError):
    """metrics.yaml or another setting is wrong."""


class LoadError(WbrError):
    """A source could not be loaded into its raw table; the store is unchanged."""


class ComputeError(WbrError):
    """Metric values could not be computed from the raw tables."""


class AccessError(WbrError):
    """A person may not do what they asked, or does not exist; nothing was changed."""
