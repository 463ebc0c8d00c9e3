"""One project computed on DuckDB, PostgreSQL and Spark, for the cross-engine tests.

`run_duckdb` loads the project's sources into a DuckDB raw store and computes;
it also writes every raw table as Parquet, which is how the rows then sit in a
lake: `spark_project` writes a copy of the registry whose sources are `kind:
spark` sources over those files, and `run_pipeline` computes it with Spark as
the raw store. Each run returns the stored metric values, keyed by metric and
period.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from ruamel.yaml import YAML

from wbr.compute.run import compute
from wbr.deck.build import build_deck
from wbr.export.json_export import deck_to_dict
from wbr.ingest import ingest
from wbr.store.raw import raw_table_name
from wbr.store.schema import metric_values
from wbr.workspace import Workspace, open_workspace

Key = tuple[str, str, str, str]  # metric, grain, period start, period end
Row = tuple[Any, ...]  # value, numerator, denominator, days present, days expected, complete
# Sums of the same doubles in another order differ in the last bits; a cent is 0.01.
REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-6


def stored_values(workspace: Workspace) -> dict[Key, Row]:
    table = metric_values.c
    query = sa.select(
        table.metric,
        table.grain,
        table.period_start,
        table.period_end,
        table.value,
        table.numerator,
        table.denominator,
        table.days_present,
        table.days_expected,
        table.complete,
    )
    with workspace.engine.connect() as connection:
        return {
            (row[0], row[1], str(row[2]), str(row[3])): tuple(row[4:])
            for row in connection.execute(query)
        }


def run_pipeline(
    registry_file: Path, app_url: str, raw_url: str, *, full: bool = False
) -> dict[Key, Row]:
    """`wbr ingest` then `wbr compute`, as the CLI runs them; the stored values."""
    workspace = open_workspace(registry_file, app_url, raw_url)
    try:
        ingest(
            workspace.engine,
            workspace.registry,
            workspace.base_dir,
            raw_engine=workspace.raw_engine,
        )
        compute(workspace.engine, workspace.registry, full=full, raw_engine=workspace.raw_engine)
        return stored_values(workspace)
    finally:
        workspace.dispose()


def run_duckdb(registry_file: Path, workdir: Path, parquet_dir: Path) -> dict[Key, Row]:
    """Compute on DuckDB and write each raw table to `parquet_dir/<source>/part-0.parquet`."""
    workdir.mkdir(parents=True, exist_ok=True)
    raw_url = f"duckdb:///{workdir / 'raw.duckdb'}"
    values = run_pipeline(registry_file, f"sqlite:///{workdir / 'app.db'}", raw_url)
    workspace = open_workspace(registry_file, f"sqlite:///{workdir / 'app.db'}", raw_url)
    try:
        with workspace.raw_engine.connect() as connection:
            for name, source in workspace.registry.sources.items():
                folder = parquet_dir / name
                folder.mkdir(parents=True, exist_ok=True)
                table = raw_table_name(source.table_name(name))
                target = folder / "part-0.parquet"
                connection.exec_driver_sql(f"COPY {table} TO '{target}' (FORMAT parquet)")
    finally:
        workspace.dispose()
    return values


def spark_project(
    registry_file: Path, parquet_dir: Path, out_dir: Path, incremental: bool = False
) -> Path:
    """A copy of the registry whose sources read `parquet_dir/<source>` in Spark."""
    yaml = YAML()
    document = yaml.load(registry_file.read_text(encoding="utf-8"))
    sources = document["sources"]
    for name in list(sources):
        old = sources[name]
        new: dict[str, Any] = {
            "kind": "spark",
            "path": str(parquet_dir / name),
            "date_column": old["date_column"],
        }
        if "table" in old:
            new["table"] = old["table"]
        if incremental:
            new["incremental"] = {"lookback": 0}
        sources[name] = new
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "metrics.yaml"
    with target.open("w", encoding="utf-8") as out:
        yaml.dump(document, out)
    return target


def differences(expected: Mapping[Key, Row], actual: Mapping[Key, Row]) -> list[str]:
    """Every stored value that differs between two engines (at most 20 listed)."""
    found = [f"only in the first: {key}" for key in sorted(set(expected) - set(actual))]
    found += [f"only in the second: {key}" for key in sorted(set(actual) - set(expected))]
    for key in sorted(set(expected) & set(actual)):
        if not _same(expected[key], actual[key]):
            found.append(f"{key}: {expected[key]} != {actual[key]}")
    return found[:20]


def _same(left: Row, right: Row) -> bool:
    for a, b in zip(left, right, strict=True):
        if a is None or b is None:
            if a is not b:
                return False
        elif isinstance(a, float) or isinstance(b, float):
            if not math.isclose(float(a), float(b), rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE):
                return False
        elif a != b:
            return False
    return True


def deck_charts(registry_file: Path, app_url: str, raw_url: str, week: date) -> list[Any]:
    """The charts of the deck for `week` as plain data (an older week's to-date
    medians are computed on demand from the raw store)."""
    workspace = open_workspace(registry_file, app_url, raw_url)
    try:
        deck = build_deck(workspace.engine, workspace.registry, week, workspace.raw_engine)
    finally:
        workspace.dispose()
    body = deck_to_dict(deck)
    return [
        {key: chart[key] for key in ("metric", "weeks", "months", "box", "tables")}
        for section in body["sections"]
        for chart in section["charts"]
    ]


def same_data(left: Any, right: Any) -> bool:
    """Equal, with floats equal within the cross-engine tolerance."""
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_data(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same_data, left, right))
    return bool(left == right)
