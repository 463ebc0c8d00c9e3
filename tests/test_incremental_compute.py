"""A refresh recomputes only what changed, and gives the same numbers as a full computation."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import small_project as shop
import sqlalchemy as sa
from ingest_support import metric_value_rows
from ruamel.yaml import YAML
from sqlalchemy import Connection

import wbr.compute.run as run_module
from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.export import deck_to_dict
from wbr.ingest import ingest
from wbr.registry.models import Registry
from wbr.store import create_store_engine
from wbr.store.schema import metric_series, metric_series_blocks, metric_values
from wbr.workspace import Workspace, open_workspace

NEXT_WEEK = [shop.LAST_DAY + timedelta(days=n) for n in range(1, 8)]  # 17-23 March 2024


def stored(workspace: Workspace) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return metric_value_rows(workspace.engine, computed_at=True)


def saved_state(workspace: Workspace) -> dict[str, tuple[Any, ...]]:
    """Each metric's definition, first day and saved blocks of daily arrays, and when
    they were written (last)."""
    columns = [c for c in metric_series.c if c.name not in ("metric", "updated_at")]
    blocks = metric_series_blocks.c
    with workspace.engine.connect() as conn:
        rows = conn.execute(
            sa.select(metric_series.c.metric, *columns, metric_series.c.updated_at)
        ).all()
        saved = conn.execute(
            sa.select(metric_series_blocks).order_by(blocks.metric, blocks.block)
        ).all()
    by_metric: dict[str, list[tuple[Any, ...]]] = {}
    for block in saved:
        by_metric.setdefault(block.metric, []).append((block.block, *(bytes(v) for v in block[2:])))
    return {row[0]: (*row[1:-1], tuple(by_metric.get(row[0], ())), row[-1]) for row in rows}


def without_time(state: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return {metric: values[:-1] for metric, values in state.items()}  # updated_at is last


@pytest.fixture
def workspace(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    monkeypatch.setenv("WBR_DATABASE_URL", store_url)
    registry_file = shop.write_project(tmp_path)
    yaml = YAML(typ="safe")
    data = yaml.load(registry_file)
    for source in data["sources"].values():
        source["incremental"] = {"lookback": 3}  # re-read the last 3 days: late rows
    with registry_file.open("w") as handle:
        yaml.dump(data, handle)
    opened = open_workspace(registry_file)
    ingest(opened.engine, opened.registry, opened.base_dir)
    compute(opened.engine, opened.registry)
    yield opened
    opened.engine.dispose()


def append_week(folder: Path) -> None:
    traffic = pd.DataFrame({"day": NEXT_WEEK, "clicks": 12, "impressions": 200})
    traffic.to_csv(folder / "data" / "traffic.csv", mode="a", header=False, index=False)
    orders = pd.DataFrame(
        [
            {"order_id": f"{d}-{n}", "order_date": d, "amount": 5.0}
            for d in NEXT_WEEK
            for n in range(3)
        ]
    )
    orders.to_csv(folder / "data" / "orders.csv", mode="a", header=False, index=False)


def test_a_weekly_refresh_rewrites_only_the_periods_it_touches(workspace: Workspace) -> None:
    before = stored(workspace)
    append_week(workspace.base_dir)
    ingest(workspace.engine, workspace.registry, workspace.base_dir)
    report = compute(workspace.engine, workspace.registry)
    after = stored(workspace)
    assert report.incremental
    assert report.latest_week_ending == date(2024, 3, 23)
    # Periods that ended before the reloaded window (lookback 3 days) were not rewritten.
    window_start = shop.LAST_DAY - timedelta(days=3)
    untouched = [key for key in before if key[3] < window_start]
    assert untouched and all(after[key] == before[key] for key in untouched)
    rewritten = [key for key in before if key[3] >= window_start]
    assert rewritten and all(after[key][2] > before[key][2] for key in rewritten)
    new_week = ("clicks", "week", date(2024, 3, 17), date(2024, 3, 23))
    assert after[new_week][0] == 84 and after[new_week][1] is True
    # The re-read days came out the same: no period of the week before the new one changed.
    assert report.changed_periods is not None
    assert ("week", "2024-03-10", "2024-03-16") not in report.changed_periods
    assert ("week", "2024-03-17", "2024-03-23") in report.changed_periods
    assert all(
        end > shop.LAST_DAY.isoformat()
        for _, start, end in report.changed_periods
        if start.startswith("2024")
    )


def test_refresh_equals_a_full_computation(workspace: Workspace) -> None:
    append_week(workspace.base_dir)
    ingest(workspace.engine, workspace.registry, workspace.base_dir)
    compute(workspace.engine, workspace.registry)
    refreshed = deck_to_dict(build_deck(workspace.engine, workspace.registry))
    incremental_rows = {k: v[:2] for k, v in stored(workspace).items()}
    incremental_state = without_time(saved_state(workspace))
    compute(workspace.engine, workspace.registry, full=True)
    full = deck_to_dict(build_deck(workspace.engine, workspace.registry))
    assert {k: v[:2] for k, v in stored(workspace).items()} == incremental_rows
    assert without_time(saved_state(workspace)) == incremental_state
    refreshed.pop("generated_at"), full.pop("generated_at")
    assert refreshed == full


def test_the_deck_says_when_its_values_were_computed(workspace: Workspace) -> None:
    # Read from the computations' history: the newest stamp on any value, every time.
    def newest_stamp() -> str:
        with workspace.engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.max(metric_values.c.computed_at))).scalar()
        return str(found.isoformat())

    first = build_deck(workspace.engine, workspace.registry).generated_at
    assert first == newest_stamp()
    compute(workspace.engine, workspace.registry)  # nothing new: no value is written
    assert build_deck(workspace.engine, workspace.registry).generated_at == first
    append_week(workspace.base_dir)
    ingest(workspace.engine, workspace.registry, workspace.base_dir)
    compute(workspace.engine, workspace.registry)
    second = build_deck(workspace.engine, workspace.registry).generated_at
    assert second == newest_stamp()
    assert second > first


def test_nothing_changed_writes_nothing(workspace: Workspace) -> None:
    before, state = stored(workspace), saved_state(workspace)
    report = compute(workspace.engine, workspace.registry)
    assert report.rows_written == 0
    assert stored(workspace) == before
    assert saved_state(workspace) == state  # not even the daily arrays were written again


def test_an_edited_definition_recomputes_that_metric(workspace: Workspace) -> None:
    yaml = YAML(typ="safe")
    data = yaml.load(workspace.registry_file)
    for metric in data["metrics"]:
        if metric["name"] == "clicks":
            metric["aggregation"] = {"type": "max", "column": "clicks"}
    with workspace.registry_file.open("w") as handle:
        yaml.dump(data, handle)
    edited = open_workspace(workspace.registry_file)
    try:
        report = compute(edited.engine, edited.registry)
        deck = build_deck(edited.engine, edited.registry, shop.WEEK_ENDING)
    finally:
        edited.engine.dispose()
    clicks = next(c for c in deck.charts if c.metric == "clicks")
    assert clicks.box.last_week == 12  # the largest day, no longer the sum
    assert report.metrics == 2  # clicks, and ctr which is computed from it


def test_a_metric_taken_out_of_the_registry_loses_its_values_and_state(
    workspace: Workspace,
) -> None:
    before, state = stored(workspace), saved_state(workspace)
    yaml = YAML(typ="safe")
    data = yaml.load(workspace.registry_file)
    data["metrics"] = [m for m in data["metrics"] if m["name"] != "order_value"]
    for section in data["deck"]["sections"]:
        section["metrics"] = [name for name in section["metrics"] if name != "order_value"]
    with workspace.registry_file.open("w") as handle:
        yaml.dump(data, handle)
    edited = open_workspace(workspace.registry_file)
    try:
        report = compute(edited.engine, edited.registry)
        after, state_after = stored(edited), saved_state(edited)
        again = compute(edited.engine, edited.registry)
    finally:
        edited.engine.dispose()
    kept = {key: row for key, row in before.items() if key[0] != "order_value"}
    assert len(kept) < len(before)
    assert after == kept  # the others' values untouched, not even their computed_at
    assert set(state_after) == set(state) - {"order_value"}
    assert report.changed_periods is None  # every period lost a value: the deck rebuilds
    assert (again.rows_written, again.changed_periods) == (0, frozenset())


def test_values_left_by_an_overlapping_compute_go_at_the_next(
    workspace: Workspace, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL two computes can overlap (`wbr compute` beside a refresh). One with
    the old registry rewrites a metric's values after one with an edited registry took
    the metric's state and values; the values it leaves, with no state, go at the next
    compute."""
    if not store_url.startswith("postgres"):
        pytest.skip("SQLite lets one transaction write at a time: they cannot overlap")
    old = workspace.registry  # defines ctr (a ratio of two metrics: reads no source)
    data = copy.deepcopy(shop.REGISTRY_DATA)
    data["metrics"] = [m for m in data["metrics"] if m["name"] != "ctr"]
    data["deck"]["sections"][0]["metrics"] = ["clicks"]
    edited = Registry.model_validate(data)
    rewrite_traffic(workspace.base_dir, {"clicks": 40})  # clicks change, and so would ctr
    ingest(workspace.engine, old, workspace.base_dir)
    other = create_store_engine(store_url)
    real = run_module.table_changes

    def with_the_other_compute_in_between(conn: Connection) -> Any:
        monkeypatch.setattr(run_module, "table_changes", real)
        compute(other, edited)  # commits while the first compute's transaction is open
        return real(conn)

    monkeypatch.setattr(run_module, "table_changes", with_the_other_compute_in_between)
    try:
        compute(workspace.engine, old)  # writes ctr's values again; its state stays gone
        assert "ctr" not in saved_state(workspace)
        compute(other, edited)
        with workspace.engine.connect() as conn:
            left = conn.execute(
                sa.select(sa.func.count()).where(metric_values.c.metric == "ctr")
            ).scalar()
    finally:
        other.dispose()
    assert left == 0


def rewrite_traffic(folder: Path, change: dict[str, int]) -> None:
    """Rewrite traffic.csv in place, its last day's columns set to `change`: a full reload."""
    path = folder / "data" / "traffic.csv"
    frame = pd.read_csv(path)
    for column, value in change.items():
        frame.loc[frame.index[-1], column] = value
    frame.to_csv(path, index=False)


def test_a_reload_that_changes_nothing_rewrites_no_value(workspace: Workspace) -> None:
    before = stored(workspace)
    rewrite_traffic(workspace.base_dir, {})  # the same rows, written again: a full reload
    ingest(workspace.engine, workspace.registry, workspace.base_dir)
    report = compute(workspace.engine, workspace.registry)
    # Everything reading traffic was recomputed and came out as stored: nothing written,
    # not even a new computed_at, so a served deck has no reason to rebuild.
    assert (report.metrics, report.rows_written) == (0, 0)
    assert stored(workspace) == before


def test_a_reload_rewrites_only_the_metrics_whose_values_changed(workspace: Workspace) -> None:
    before, state_before = stored(workspace), saved_state(workspace)
    rewrite_traffic(workspace.base_dir, {"clicks": 40})  # the last day had 40 clicks, not 12
    ingest(workspace.engine, workspace.registry, workspace.base_dir)
    report = compute(workspace.engine, workspace.registry)
    after = stored(workspace)
    changed = {key[0] for key in after if after[key] != before.get(key)}
    assert changed == {"clicks", "ctr"}  # impressions, from the same file, came out the same
    resaved = {m for m, row in saved_state(workspace).items() if row != state_before[m]}
    assert resaved == {"clicks"}  # the one metric whose daily arrays changed (ctr has none)
    assert report.metrics == 2
    # The week, the month and year to date… ending that day: the periods that hold it.
    assert report.changed_periods is not None
    assert ("week", "2024-03-10", "2024-03-16") in report.changed_periods
    assert ("week", "2024-03-03", "2024-03-09") not in report.changed_periods
    assert all(start <= "2024-03-16" <= end for _, start, end in report.changed_periods)
    last_week = ("clicks", "week", shop.WEEK_ENDING - timedelta(days=6), shop.WEEK_ENDING)
    assert after[last_week][0] == before[last_week][0] + 28
