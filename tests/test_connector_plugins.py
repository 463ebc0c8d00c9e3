"""A third-party connector, installed as its own distribution, is found and used like a built-in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from ingest_support import project, rows
from sqlalchemy import Engine

from connectors.registry import available_connectors
from wbr.errors import ConfigError, LoadError
from wbr.ingest import ingest
from wbr.registry.sources import PluginSource

PLUGIN = '''
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from connectors.base import Batch, ConnectorError


class CountdownConnector:
    """Yields `options.days` rows counting down, in batches of two, and can fail on demand."""

    kind = "countdown"

    def __init__(self, source_name, source, base_dir: Path) -> None:
        self.source = source
        self.name = source_name

    def extract(self, since=None) -> Iterator[Batch]:
        days = int(self.source.options["days"])
        frame = pd.DataFrame(
            {"day": [f"2024-01-{n + 1:02d}" for n in range(days)], "left": list(range(days, 0, -1))}
        )
        for start in range(0, days, 2):
            yield Batch(frame.iloc[start : start + 2], origin="the countdown", first_row=start + 1)
        if self.source.options.get("fail"):
            raise ConnectorError("the countdown broke", source=self.name)
'''


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[None]:
    """A distribution `wbr-countdown` on sys.path, registering kind `countdown`."""
    site = tmp_path / "site"
    (site / "wbr_countdown").mkdir(parents=True)
    (site / "wbr_countdown" / "__init__.py").write_text(PLUGIN)
    info = site / "wbr_countdown-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wbr-countdown\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[wbr.connectors]\ncountdown = wbr_countdown:CountdownConnector\n"
    )
    sys.path.insert(0, str(site))
    try:
        yield
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("wbr_countdown", None)


def test_a_plugin_kind_validates_and_loads(
    plugin: None, store_engine: Engine, tmp_path: Path
) -> None:
    assert "countdown" in available_connectors()
    source = {"kind": "countdown", "options": {"days": 5}, "date_column": "day"}
    registry = project(tmp_path / "project", ticks=source)
    assert isinstance(registry.sources["ticks"], PluginSource)
    (report,) = ingest(store_engine, registry, tmp_path)
    assert report.rows == 5
    assert rows(store_engine, "raw_ticks")[0] == (date(2024, 1, 1), 5)


def test_a_plugin_failure_keeps_the_table(
    plugin: None, store_engine: Engine, tmp_path: Path
) -> None:
    good = project(
        tmp_path / "a", ticks={"kind": "countdown", "options": {"days": 3}, "date_column": "day"}
    )
    ingest(store_engine, good, tmp_path)
    failing = {"kind": "countdown", "options": {"days": 9, "fail": True}, "date_column": "day"}
    with pytest.raises(LoadError, match="the countdown broke"):
        ingest(store_engine, project(tmp_path / "b", ticks=failing), tmp_path)
    assert len(rows(store_engine, "raw_ticks")) == 3


def test_an_unknown_kind_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        project(tmp_path, ticks={"kind": "cvs", "path": "x.csv", "date_column": "day"})
    assert "no connector handles kind 'cvs'" in str(raised.value)
    assert "did you mean 'csv'?" in str(raised.value)
