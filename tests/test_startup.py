"""Start-up: a command imports only what it uses (issue 12).

Every `wbr` command starts a fresh Python process, so a library imported at the top
of a module the CLI reaches is paid by every command. These tests look at what a
fresh interpreter has imported (sys.modules), never at how long it took.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from small_project import write_project

from wbr.store.engine import create_store_engine
from wbr.store.migration import head_revision, migrate, shipped_head

# Detection (scipy, statsmodels) and migrations (Alembic) cost over a second to
# import; none of them is needed to print help, show status or export a deck.
HEAVY = ("scipy", "statsmodels", "alembic")
# Nor pandas (~0.4 s), the web stack or DuckDB, for a command that shows stored values.
NOT_FOR_PAGES = (*HEAVY, "pandas", "dash", "plotly", "duckdb")
# `import wbr.cli` and `wbr --help` need only click: not even what opening a project
# needs (SQLAlchemy ~0.2 s, pydantic and the registry's models ~0.15 s, the YAML
# reader, rich), so `--help` starts in under 0.1 s.
NOT_FOR_HELP = (*NOT_FOR_PAGES, "sqlalchemy", "pydantic", "ruamel", "rich")
# The JSON export of stored values reads the app store only: no raw store (DuckDB and
# its SQLAlchemy dialect, which brings PostgreSQL's), no compute (numpy), no web stack.
# Status reads the load history, with the rows and days each load left in its table
# (the raw store only when a later load may have changed them): no compute (numpy),
# no deck page (markdown, the web stack).
NOT_FOR_STATUS = (*HEAVY, "pandas", "numpy", "dash", "plotly", "flask", "werkzeug", "markdown_it")
NOT_FOR_JSON_EXPORT = (*NOT_FOR_PAGES, "duckdb_engine", "numpy", "flask", "werkzeug")


def _own_store_env() -> dict[str, str]:
    """The environment without store URLs: each project uses its own .wbr/ stores."""
    return {key: value for key, value in os.environ.items() if not key.startswith("WBR_")}


def _imported_after(code: str, cwd: Path | None = None) -> set[str]:
    """The top-level packages a fresh interpreter holds after running `code`."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    script = f"{code}\nimport json, sys\n{listing}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=_own_store_env(),
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library() -> None:
    imported = _imported_after("import wbr.cli")
    assert "click" in imported
    assert not imported & set(NOT_FOR_HELP), sorted(imported & set(NOT_FOR_HELP))


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\nfrom wbr.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0"
    )
    imported = _imported_after(code)
    assert not imported & set(NOT_FOR_HELP), sorted(imported & set(NOT_FOR_HELP))


def _run_command(args: list[str], cwd: Path) -> set[str]:
    code = (
        "from wbr.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as e:\n    assert not e.code, e.code"
    )
    return _imported_after(code, cwd)


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small project, ingested and computed once for the tests below."""
    folder = tmp_path_factory.mktemp("startup")
    write_project(folder)
    for command in (["ingest", "--no-progress"], ["compute"]):
        subprocess.run(
            [sys.executable, "-m", "wbr.cli", *command],
            cwd=folder,
            check=True,
            capture_output=True,
            env=_own_store_env(),
        )
    return folder


def test_loading_and_computing_plain_csv_files_imports_no_pandas(tmp_path: Path) -> None:
    # DuckDB reads and types the small shop's files itself (numbers, ISO dates, order
    # ids declared as text: "2023-01-01-0" could be a number in another batch of an
    # undeclared column) and takes its distinct counts' day maps as numpy arrays:
    # pandas (0.2 s, 100 MB) is left for files it must look at, other stores, detection.
    registry_file = write_project(tmp_path)
    data = YAML(typ="safe").load(registry_file.read_text(encoding="utf-8"))
    distinct = {"type": "count_distinct", "column": "order_id"}
    data["sources"]["orders"]["columns"] = {"order_id": "text"}
    data["metrics"].append(
        {**data["metrics"][3], "name": "distinct_orders", "aggregation": distinct}
    )
    with registry_file.open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(data, handle)
    for args in (["ingest", "--no-progress"], ["compute"]):
        imported = _run_command(args, tmp_path)
        assert "duckdb" in imported, args
        assert "pandas" not in imported, args
    _run_command(["export", "--format", "json", "-o", "deck.json"], tmp_path)
    engine = create_store_engine(f"sqlite:///{tmp_path / '.wbr' / 'wbr.db'}")
    with engine.connect() as conn:
        counts = conn.exec_driver_sql(
            "SELECT metric, value FROM metric_values WHERE grain = 'week' AND period_end = "
            "'2024-03-16' AND metric IN ('orders', 'distinct_orders')"
        ).all()
    engine.dispose()
    assert dict(counts) == {"orders": 21, "distinct_orders": 21}  # three a day in 2024


def test_status_and_export_import_neither_detection_nor_migrations(built_project: Path) -> None:
    for args in (["status"], ["export", "--format", "json", "-o", "deck.json"]):
        imported = _run_command(args, built_project)
        assert not imported & set(HEAVY), (args, sorted(imported & set(HEAVY)))
    assert json.loads((built_project / "deck.json").read_text())["week_ending"]


def test_status_imports_neither_compute_nor_the_deck_page(built_project: Path) -> None:
    imported = _run_command(["status"], built_project)
    # The loads recorded their tables' rows and days: status does not open DuckDB.
    assert "duckdb" not in imported
    assert not imported & set(NOT_FOR_STATUS), sorted(imported & set(NOT_FOR_STATUS))


def test_json_export_reads_stored_values_only(built_project: Path) -> None:
    imported = _run_command(["export", "--format", "json", "-o", "deck.json"], built_project)
    assert not imported & set(NOT_FOR_JSON_EXPORT), sorted(imported & set(NOT_FOR_JSON_EXPORT))
    assert json.loads((built_project / "deck.json").read_text())["sections"]


def test_shipped_head_matches_alembic() -> None:
    """The head read from the version files' text is Alembic's own answer."""
    assert shipped_head() is not None
    assert shipped_head() == head_revision()


def test_migrate_skips_alembic_only_when_the_store_is_at_head(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)  # an empty store: Alembic creates every table
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert stored == head_revision()
    migrate(engine)  # at head: a no-op
    engine.dispose()


def test_every_command_module_is_listed() -> None:
    """The CLI imports a command's module on demand: each module's commands are all listed."""
    import importlib

    from wbr.cli import COMMAND_MODULES

    for module_name in set(COMMAND_MODULES.values()):
        module = importlib.import_module(f"wbr.cli.{module_name}")
        for command in module.COMMANDS:
            assert COMMAND_MODULES.get(command.name) == module_name, command.name
    found = {path.stem for path in Path(__file__).parent.parent.joinpath("wbr", "cli").glob("*.py")}
    assert found - {"__init__", "__main__", "common"} == set(COMMAND_MODULES.values())


def test_status_imports_only_its_own_command_module(built_project: Path) -> None:
    code = (
        "from wbr.cli import main\n"
        "try:\n    main(['status'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "import json, sys\nprint(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=built_project,
        env=_own_store_env(),
    )
    imported = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "wbr.cli.sources" in imported
    assert not imported & {"wbr.cli.detect", "wbr.cli.users", "wbr.cli.pipeline"}
