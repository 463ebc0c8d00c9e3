"""Load DataFrames a caller already holds into a raw table (tests, generated data).

The same typing and store steps as a source load, without a connector or a
load run: column types come from the first frame, later frames are converted
to them, and a value that does not fit stops the load with a `LoadError`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Engine

from connectors.base import Batch
from wbr.ingest.load import SourceLoad
from wbr.ingest.plan import plan_load
from wbr.registry.sources import SourceBase
from wbr.store.dialect import lock_table_loads
from wbr.store.raw import raw_table_name

FRAMES_KIND = "frames"


def load_frames(
    engine: Engine, table: str, frames: Iterable[pd.DataFrame], date_column: str
) -> int:
    """Replace `raw_<table>` with the rows of `frames`; return the row count."""
    source = SourceBase.model_construct(kind=FRAMES_KIND, table=table, date_column=date_column)
    with engine.begin() as connection:
        lock_table_loads(connection, raw_table_name(table))
        plan = plan_load(connection, table, source, full=True)
        load = SourceLoad(connection, table, source, plan, run_id=0)
        for frame in frames:
            load.add(Batch(frame))
        outcome = load.finish()
    return int(outcome["rows_loaded"])
