"""Raw tables in a store of their own (DuckDB) beside the app store (SQLite).

The same metric definitions must give the same numbers whichever store holds
the raw rows, loads must stay atomic although the data and its load record
commit in two stores, and a DuckDB file held by another process must make a
command wait, and a page leave out what it cannot read, not fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import small_project
import sqlalchemy as sa

from dashboards.source import StoreDeckSource
from wbr.calendar import Grain
from wbr.compute import percentiles
from wbr.compute import values as compute_values
from wbr.compute.run import compute
from wbr.compute.state import EVERYTHING, table_changes
from wbr.deck.build import build_deck
from wbr.deck.on_demand import OnDemandValues
from wbr.deck.values import StoredValue
from wbr.errors import LoadError
from wbr.ingest import ingest
from wbr.ingest import run as ingest_run
from wbr.ingest.runs import INTERRUPTED, RUNNING, SUCCEEDED
from wbr.ingest.status import freshness
from wbr.schedule.jobs import run_refresh
from wbr.store import engine as store_engine
from wbr.store import raw as raw_store
from wbr.store.engine import held_open
from wbr.store.raw import table_schema
from wbr.store.schema import load_runs, metric_values
from wbr.workspace import Workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "benchmarks" / "perf" / "generate.py"
ROWS = 30_000  # three years: a few dozen orders a day, every aggregation class
METRICS = 60
RELATIVE_TOLERANCE = 1e-9  # sums added in another order differ in the last digits

ValueKey = tuple[str, str, date, date]


def generate(folder: Path) -> Path:
    command = [sys.executable, str(GENERATOR), "--rows", str(ROWS), "--metrics", str(METRICS)]
    subprocess.run([*command, "--out", str(folder)], check=True, capture_output=True, text=True)
    return folder / "metrics.yaml"


def append_week(folder: Path) -> None:
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        from generate import append_week as append  # the benchmark's own generator
    finally:
        sys.path.remove(str(GENERATOR.parent))
    append(folder / "orders.csv", ROWS, seed=11)


def stored_values(workspace: Workspace) -> dict[ValueKey, tuple[Any, ...]]:
    table = metric_values.c
    query = sa.select(
        table.metric,
        table.grain,
        table.period_start,
        table.period_end,
        table.value,
        table.days_present,
        table.complete,
    )
    with workspace.engine.connect() as conn:
        return {(r[0], r[1], r[2], r[3]): tuple(r[4:]) for r in conn.execute(query)}


def assert_same_values(
    got: dict[ValueKey, tuple[Any, ...]], expected: dict[ValueKey, tuple[Any, ...]]
) -> None:
    assert got.keys() == expected.keys()
    for key, (value, *rest) in expected.items():
        other, *other_rest = got[key]
        assert other_rest == rest, key
        if value is None:
            assert other is None, key
        else:
            assert other == pytest.approx(value, rel=RELATIVE_TOLERANCE), key


def split_workspace(folder: Path, registry_file: Path) -> Workspace:
    return open_workspace(
        registry_file, f"sqlite:///{folder / 'app.db'}", f"duckdb:///{folder / 'raw.duckdb'}"
    )


def build(workspace: Workspace) -> None:
    ingest(
        workspace.engine, workspace.registry, workspace.base_dir, raw_engine=workspace.raw_engine
    )
    compute(workspace.engine, workspace.registry, raw_engine=workspace.raw_engine)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("bench-project"))


@pytest.fixture(scope="module")
def single_store_values(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[ValueKey, tuple[Any, ...]]:
    """Every value computed with raw rows and app state in one SQLite file."""
    folder = tmp_path_factory.mktemp("single")
    workspace = open_workspace(project, f"sqlite:///{folder / 'store.db'}")
    try:
        assert not workspace.separate_raw_store
        build(workspace)
        return stored_values(workspace)
    finally:
        workspace.dispose()


@pytest.fixture
def split(project: Path, tmp_path: Path) -> Iterator[Workspace]:
    workspace = split_workspace(tmp_path, project)
    yield workspace
    workspace.dispose()


def test_every_aggregation_gives_the_same_numbers_with_raw_rows_in_duckdb(
    split: Workspace, single_store_values: dict[ValueKey, tuple[Any, ...]]
) -> None:
    build(split)
    got = stored_values(split)
    assert len(got) > 10_000  # 60 metrics over three years of periods
    assert_same_values(got, single_store_values)
    with split.raw_engine.connect() as conn:
        schema = table_schema(conn, "raw_orders")
        rows = conn.execute(sa.text("SELECT count(*) FROM raw_orders")).scalar_one()
    assert schema is not None and schema["amount"].value == "float"
    assert rows == ROWS
    with split.engine.connect() as conn:  # the app store holds no raw table
        assert table_schema(conn, "raw_orders") is None


def test_money_keeps_its_cents_in_duckdb(split: Workspace) -> None:
    """A 32-bit FLOAT column would turn 17483.11 into 17483.110054."""
    build(split)
    with split.raw_engine.connect() as conn:
        kind = conn.execute(
            sa.text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'raw_orders' AND column_name = 'amount'"
            )
        ).scalar_one()
    assert kind == "DOUBLE"


def test_refresh_with_raw_rows_in_duckdb_equals_a_full_computation(
    project: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("metrics.yaml", "orders.csv"):
        (folder / name).write_bytes((project.parent / name).read_bytes())
    workspace = split_workspace(tmp_path, folder / "metrics.yaml")
    try:
        build(workspace)
        append_week(folder)
        reports = ingest(
            workspace.engine,
            workspace.registry,
            workspace.base_dir,
            raw_engine=workspace.raw_engine,
        )
        assert [report.mode for report in reports] == ["incremental"]
        report = compute(workspace.engine, workspace.registry, raw_engine=workspace.raw_engine)
        assert report.incremental
        refreshed = stored_values(workspace)
        compute(workspace.engine, workspace.registry, full=True, raw_engine=workspace.raw_engine)
        full = stored_values(workspace)
        # The refresh keeps the previous latest week's to-date percentiles (still
        # right: nothing before the new week changed); a full computation stores
        # only the latest week's, and computes older ones when a deck asks.
        kept = refreshed.keys() - full.keys()
        assert {key[1] for key in kept} <= {"mtd", "qtd", "ytd"}
        assert {key[0].split("_")[0] for key in kept} <= {"median", "p90"}
        assert_same_values({key: refreshed[key] for key in full}, full)
    finally:
        workspace.dispose()


@pytest.fixture
def own_copy(project: Path, tmp_path: Path) -> Iterator[Workspace]:
    """A split workspace on a copy of the project, whose CSV a test may change."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("metrics.yaml", "orders.csv"):
        (folder / name).write_bytes((project.parent / name).read_bytes())
    workspace = split_workspace(tmp_path, folder / "metrics.yaml")
    yield workspace
    workspace.dispose()


def test_a_refresh_opens_the_duckdb_file_once_and_frees_it_after(own_copy: Workspace) -> None:
    split = own_copy
    build(split)
    before = stored_values(split)
    append_week(split.base_dir)
    opened: list[object] = []
    with held_open(split.raw_engine) as held:
        raw = held.engine
        sa.event.listen(raw, "connect", lambda connection, _record: opened.append(connection))
        (report,) = ingest(split.engine, split.registry, split.base_dir, raw_engine=raw)
        computed = compute(split.engine, split.registry, raw_engine=raw)
    assert report.mode == "incremental" and report.rows > 0
    assert computed.incremental and computed.rows_written > 0
    assert len(opened) == 1  # the loads and the computation shared one connection
    # Freed: another process opens the file at once (it would fail on DuckDB's lock).
    path = str(split.raw_engine.url.database)
    opener = f"import duckdb; duckdb.connect({path!r}).execute('SELECT count(*) FROM raw_orders')"
    subprocess.run([sys.executable, "-c", opener], check=True, timeout=60)
    refreshed = stored_values(split)
    assert refreshed != before
    compute(split.engine, split.registry, full=True, raw_engine=split.raw_engine)
    full = stored_values(split)
    assert_same_values({key: refreshed[key] for key in full}, full)


def test_a_refresh_on_one_store_leaves_its_engine_open(tmp_path: Path) -> None:
    # Raw rows in the app store itself (here in memory): the refresh holds nothing of
    # its own, and must not close the caller's engine after a first, whole-file load.
    workspace = open_workspace(small_project.write_project(tmp_path), "sqlite://")
    try:
        assert not workspace.separate_raw_store
        first = run_refresh(workspace)
        assert first.values_written > 0 and sum(first.loaded.values()) > 0
        second = run_refresh(workspace)
        assert second.values_written == 0 and second.week_ending == first.week_ending
    finally:
        workspace.dispose()


def test_a_failed_load_on_a_held_duckdb_file_leaves_it_usable(own_copy: Workspace) -> None:
    split = own_copy
    build(split)
    orders = split.base_dir / "orders.csv"
    original = orders.read_text()
    before = stored_values(split)
    try:
        orders.write_text(
            original + "999999999,2026-01-05,not-a-customer,x,1,0,1,0,0,na,books,web\n"
        )
        with held_open(split.raw_engine) as held:
            raw = held.engine
            with pytest.raises(LoadError):
                ingest(split.engine, split.registry, split.base_dir, raw_engine=raw)
            # The same connection, rolled back: the table as it was, and a computation
            # that finds nothing new.
            with raw.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM raw_orders")).scalar_one() == ROWS
            assert compute(split.engine, split.registry, raw_engine=raw).rows_written == 0
    finally:
        orders.write_text(original)
    assert stored_values(split) == before


def test_a_failed_load_leaves_the_duckdb_table_as_it_was(split: Workspace) -> None:
    build(split)
    orders = split.base_dir / "orders.csv"
    original = orders.read_text()
    try:
        orders.write_text(
            original + "999999999,2026-01-05,not-a-customer,x,1,0,1,0,0,na,books,web\n"
        )
        with pytest.raises(LoadError):
            ingest(split.engine, split.registry, split.base_dir, raw_engine=split.raw_engine)
    finally:
        orders.write_text(original)
    with split.raw_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM raw_orders")).scalar_one() == ROWS
    with split.engine.connect() as conn:
        statuses = conn.execute(sa.select(load_runs.c.status).order_by(load_runs.c.id)).scalars()
        assert list(statuses) == [SUCCEEDED, "failed"]


def test_a_load_whose_record_fails_after_the_rows_commit_is_recomputed_whole(
    split: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows commit in DuckDB before their record in SQLite; if the record fails,
    the run is `interrupted` and the next computation rereads the whole table."""
    build(split)
    real_finish = ingest_run.finish_run

    def finish_fails(connection: sa.Connection, run_id: int, values: Any) -> None:
        if values.get("status") == SUCCEEDED:
            raise sa.exc.OperationalError("UPDATE load_runs", {}, Exception("disk I/O error"))
        real_finish(connection, run_id, values)

    monkeypatch.setattr(ingest_run, "finish_run", finish_fails)
    with pytest.raises(LoadError, match="the rows are loaded, but recording the load failed"):
        ingest(split.engine, split.registry, split.base_dir, raw_engine=split.raw_engine)
    monkeypatch.setattr(ingest_run, "finish_run", real_finish)
    with split.engine.connect() as conn:
        last = conn.execute(sa.select(load_runs.c.status).order_by(load_runs.c.id.desc())).first()
        assert last is not None and last[0] == INTERRUPTED
        changes = table_changes(conn)
    assert changes.of("raw_orders") is not None  # the whole table counts as changed


def record_run(conn: sa.Connection, table: str, status: str, host: str, **values: Any) -> None:
    conn.execute(
        load_runs.insert().values(
            source=table.removeprefix("raw_"),
            table_name=table,
            started_at=sa.func.now(),
            status=status,
            pid=os.getpid(),  # alive: this very process
            host=host,
            **values,
        )
    )


@pytest.mark.parametrize("host", ["this", "another"])
def test_a_load_still_running_is_reread_and_looked_at_again(split: Workspace, host: str) -> None:
    """A running load (or one on another host, whose process cannot be checked) may
    commit at any moment: its table is reread, later loads still count, and it and
    they are looked at again by the next computation."""
    build(split)
    here = socket.gethostname()[:255] if host == "this" else "elsewhere.example"
    with split.engine.begin() as conn:
        before = table_changes(conn).through_load_run
        record_run(conn, "raw_orders", RUNNING, here)
        record_run(conn, "raw_returns", SUCCEEDED, socket.gethostname()[:255], mode="full")
        changes = table_changes(conn)
    assert changes.through_load_run == before
    assert changes.of("raw_orders") is EVERYTHING
    assert changes.of("raw_returns") is EVERYTHING  # not hidden behind the running load


def test_status_counts_the_rows_in_the_raw_store(split: Workspace) -> None:
    build(split)
    (found,) = freshness(split.engine, split.registry, date(2026, 1, 1), split.raw_engine)
    assert found.rows == ROWS
    assert found.last_status == SUCCEEDED


HOLD_FILE = textwrap.dedent(
    """
    import sys, time, duckdb
    connection = duckdb.connect(sys.argv[1])
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    connection.close()
    """
)


@contextmanager
def hold_file(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the DuckDB file open for `seconds`."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_FILE, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder


def test_opening_a_duckdb_file_another_process_holds_waits_for_it(split: Workspace) -> None:
    build(split)
    path = Path(str(split.raw_engine.url.database))
    with hold_file(path, 1.0), split.raw_engine.connect() as conn:
        # Without waiting, opening fails at once: "Could not set lock on file".
        assert conn.execute(sa.text("SELECT count(*) FROM raw_orders")).scalar_one() == ROWS


def test_a_deck_leaves_out_percentiles_it_cannot_read_instead_of_failing(
    split: Workspace,
) -> None:
    """An older week's to-date medians come from raw rows; while a load holds the
    DuckDB file, the page shows them as N/A and everything else as stored."""
    build(split)
    weeks = sorted(key[3] for key in stored_values(split) if key[1] == "week")
    older = weeks[len(weeks) // 2]
    readable = build_deck(split.engine, split.registry, older, split.raw_engine)
    impatient = store_engine.create_store_engine(split.raw_engine.url, lock_timeout_seconds=0.2)
    with hold_file(Path(str(split.raw_engine.url.database)), 3.0):
        locked = build_deck(split.engine, split.registry, older, impatient)

    def boxes(deck: Any) -> dict[str, Any]:
        return {chart.metric: chart.box for section in deck.sections for chart in section.charts}

    medians = {
        m.name for m in split.registry.metrics if m.aggregation.type in ("median", "percentile")
    }
    before, after = boxes(readable), boxes(locked)
    assert medians & before.keys()
    for metric, box in before.items():
        if metric in medians:
            assert box.ytd is not None  # computed from raw rows while they were readable
            assert after[metric].ytd is None  # left out while they were not
            assert after[metric].last_week == box.last_week  # the week itself is stored
        else:
            assert after[metric] == box


def test_a_deck_makes_the_raw_engine_only_for_values_it_did_not_store(split: Workspace) -> None:
    """`wbr export` passes a function that makes the raw store's engine (importing
    DuckDB): the latest week's deck never calls it; an older week's calls it once for
    its to-date medians and gets the deck an engine would give."""
    build(split)
    weeks = sorted(key[3] for key in stored_values(split) if key[1] == "week")
    older = weeks[len(weeks) // 2]
    made: list[int] = []

    def make() -> Any:
        made.append(1)
        return split.raw_engine

    build_deck(split.engine, split.registry, None, make)
    assert made == []
    lazily = build_deck(split.engine, split.registry, older, make)
    assert made == [1]
    assert (
        lazily.sections
        == build_deck(split.engine, split.registry, older, split.raw_engine).sections
    )


def test_percentiles_split_into_many_small_queries_give_the_same_numbers(
    split: Workspace,
    single_store_values: dict[ValueKey, tuple[Any, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The memory budget splits metrics and periods into chunks: at 20 M rows a year
    of rows is more than one query may hold. Chunks must not change a number."""
    monkeypatch.setattr(percentiles, "ROWS_PER_QUERY", 2_000)  # a few weeks of rows
    calls: list[int] = []
    real = percentiles._percentile_cont

    def counted(*args: Any) -> Any:
        calls.append(len(args[3]))  # metrics in this query
        return real(*args)

    monkeypatch.setattr(percentiles, "_percentile_cont", counted)
    build(split)
    assert len(calls) > 50 and max(calls) == 1
    assert_same_values(stored_values(split), single_store_values)


def test_a_full_reload_that_fails_after_committing_chunks_leaves_the_table_as_it_was(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB keeps a transaction's rows in memory, so a long load commits its
    staging table every DUCKDB_ROWS_PER_COMMIT rows; the swap is still one step."""
    folder = tmp_path / "project"
    folder.mkdir()
    text = (project.parent / "metrics.yaml").read_text()
    (folder / "metrics.yaml").write_text(
        text.replace(
            "    date_column: order_date\n",
            "    date_column: order_date\n    batch_rows: 5000\n",
            1,
        )
    )
    orders = (project.parent / "orders.csv").read_text()
    (folder / "orders.csv").write_text(orders)
    workspace = split_workspace(tmp_path, folder / "metrics.yaml")
    try:
        build(workspace)
        monkeypatch.setattr(raw_store, "DUCKDB_ROWS_PER_COMMIT", 4_000)
        commits: list[int] = []
        real_commit = raw_store.commit_chunk
        monkeypatch.setattr(
            raw_store, "commit_chunk", lambda conn: (commits.append(1), real_commit(conn))
        )
        (folder / "orders.csv").write_text(
            orders + "99999999,not-a-date,1,1.0,1,0,1,0,0,na,books,web\n"
        )
        with pytest.raises(LoadError, match="not-a-date"):
            ingest(
                workspace.engine,
                workspace.registry,
                workspace.base_dir,
                raw_engine=workspace.raw_engine,
                full=True,
            )
        assert len(commits) >= 5  # the staging table was committed several times
        with workspace.raw_engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM raw_orders")).scalar_one() == ROWS
            assert table_schema(conn, "raw_orders__staging") is None  # dropped after
    finally:
        workspace.dispose()


def test_a_server_keeps_older_weeks_medians_until_a_load_changes_them(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A served deck of an older week reads its to-date medians from raw rows once;
    a load that appends days keeps them (their days did not change), a full reload
    drops them, and every deck equals one built from scratch."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("metrics.yaml", "orders.csv"):
        (folder / name).write_bytes((project.parent / name).read_bytes())
    workspace = split_workspace(tmp_path, folder / "metrics.yaml")
    reads: list[int] = []
    real = compute_values.compute_on_demand

    def counted(*args: Any) -> Any:
        reads.append(1)
        return real(*args)

    monkeypatch.setattr(compute_values, "compute_on_demand", counted)
    try:
        build(workspace)
        source = StoreDeckSource(workspace.engine, workspace.registry, workspace.raw_engine)
        weeks = sorted(key[3] for key in stored_values(workspace) if key[1] == "week")
        older = weeks[len(weeks) // 2]

        def from_scratch() -> Any:
            return build_deck(workspace.engine, workspace.registry, older, workspace.raw_engine)

        assert source.deck(older).sections == from_scratch().sections
        assert len(reads) == 2  # the served deck's, and the one from scratch
        assert source.deck(older).sections == from_scratch().sections
        assert len(reads) == 3  # the served deck read no raw rows again

        epoch = source.raw_epoch()
        append_week(folder)
        build(workspace)  # an appended load: its days come after every kept period
        assert not source.raw_changed_since(epoch, older)  # a served deck of it still holds
        assert source.deck(older).sections == from_scratch().sections
        assert len(reads) == 4

        ingest(
            workspace.engine,
            workspace.registry,
            workspace.base_dir,
            full=True,
            raw_engine=workspace.raw_engine,
        )
        assert source.raw_changed_since(epoch, older)
        assert source.deck(older).sections == from_scratch().sections
        assert len(reads) == 6  # a full reload may have changed any day: read again
    finally:
        workspace.dispose()


def test_kept_medians_read_before_a_load_was_seen_are_not_kept(split: Workspace) -> None:
    """Two requests: one catches up, reads raw rows; meanwhile a load commits and the
    other catches up with it. The first one's values may predate the load: dropped."""
    build(split)
    kept = OnDemandValues(split.registry)
    key = (
        "median_amount",
        Grain.MTD,
        date(2024, 1, 1),
        date(2024, 1, 6),
    )
    slow = kept.catch_up(split.engine)
    ingest(split.engine, split.registry, split.base_dir, full=True, raw_engine=split.raw_engine)
    quick = kept.catch_up(split.engine)
    slow.keep({key: StoredValue(1.0, True)})
    assert quick.known([key]) == {}
    quick.keep({key: StoredValue(2.0, True)})
    assert quick.known([key]) == {key: StoredValue(2.0, True)}
