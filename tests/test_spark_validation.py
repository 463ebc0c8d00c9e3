"""`wbr validate` on `kind: spark` sources: what cannot work is reported with its line
and a fix, before any Spark is reached."""

from __future__ import annotations

from pathlib import Path

from wbr.registry.loader import validate_file
from wbr.registry.problems import Level

REGISTRY = """\
people:
  - {key: o, name: Owner}
sources:
  good:
    kind: spark
    path: /data/good
    date_column: day
  lake_orders:
    kind: spark
    spark_table: lake.orders
    date_column: order_date
    columns: {amount: float}
  both_places:
    kind: spark
    spark_table: lake.x
    path: /data/x
    date_column: day
  moving_cursor:
    kind: spark
    path: /data/orders
    date_column: order_date
    incremental: {cursor: order_id}
  files:
    kind: csv
    path: data/plan.csv
    date_column: date
metrics:
  - name: revenue
    label: Revenue
    description: Order revenue.
    kind: output
    owner: o
    source: lake_orders
    aggregation: {type: median, column: amount}
deck:
  sections:
    - title: Outputs
      metrics: [revenue]
"""


def _line(needle: str) -> int:
    return next(n for n, line in enumerate(REGISTRY.splitlines(), 1) if needle in line)


def test_spark_sources_that_cannot_work_are_reported_with_lines(tmp_path: Path) -> None:
    registry = tmp_path / "metrics.yaml"
    registry.write_text(REGISTRY)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "plan.csv").write_text("date,revenue\n2024-01-01,1\n")
    errors = [p for p in validate_file(registry).problems if p.level == Level.ERROR]
    by_words = {
        "`columns` do(es) not apply to a `spark` source": _line("lake_orders:"),
        "give exactly one of `spark_table`": _line("both_places:"),
        "window is in days of its `date_column`": _line("moving_cursor:"),
        "source `files` is of kind `csv`, but `good` is of kind `spark`": _line("kind: csv"),
    }
    for words, line in by_words.items():
        found = [p for p in errors if words in p.message]
        assert len(found) == 1, (words, errors)
        assert found[0].line == line, (words, found[0])
    assert len(errors) == len(by_words), errors
