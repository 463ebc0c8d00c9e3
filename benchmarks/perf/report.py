"""The machine a benchmark ran on, and its results as a table."""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import resource
import sqlite3
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

REFERENCE_APP = "wbr-app: 5.3 s / 680 MB for 5 M rows × 7 metrics; ~7.5 s for 300 metrics"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's VmHWM belongs to the process image, so it starts afresh at exec;
    ru_maxrss does not (a child started by a large parent reports the parent's
    size), so it is only the fallback elsewhere.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def compile_bytecode() -> int:
    """Compile wbr's own modules to bytecode, as installing a wheel does; returns how many
    files were checked.

    An editable install compiles nothing, and where PYTHONDONTWRITEBYTECODE is set (as
    on this machine) every `wbr` process then compiles its ~60 modules again: 0.1-0.2 s
    of CPU that an installed wbr never pays. The measured processes read the files
    written here whatever that variable says.
    """
    import compileall

    import connectors
    import dashboards
    import wbr

    roots = [Path(package.__file__).parent for package in (wbr, connectors, dashboards)]
    for root in roots:
        compileall.compile_dir(root, quiet=2)
    return sum(len(list(root.rglob("*.py"))) for root in roots)


def code() -> dict[str, Any]:
    """Which wbr was measured: the commit, and a hash of the sources actually imported."""
    import connectors
    import wbr

    digest = hashlib.sha1()
    roots = [Path(wbr.__file__).parent, Path(connectors.__file__).parent]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(path.read_bytes())
    repo = Path(__file__).parent.parent.parent

    def git(*command: str) -> str:
        found = subprocess.run(["git", *command], cwd=repo, capture_output=True, text=True)
        return found.stdout.strip()

    return {
        "imported_from": str(roots[0].parent),
        "sources_sha1": digest.hexdigest()[:12],
        "git_head": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files_in_wbr": len(git("status", "--porcelain", "--", "wbr").splitlines()),
    }


def speed_probe() -> float:
    """Seconds of a fixed pure-Python workload, best of five: this machine's speed now.

    Its speed moves by up to ±30 % from minute to minute at the same load (another
    tenant's work), so a figure taken at another time is only comparable once scaled
    by the probes taken beside each; a ratio within one run needs no scaling.
    """
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number * number % 7
        best = min(best, time.perf_counter() - start)
    return round(best, 4)


def machine() -> dict[str, Any]:
    memory = None
    with contextlib.suppress(OSError):
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "free_h": memory,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "code": code(),
        "speed_probe_s": speed_probe(),
        "versions": {
            name: _version(name)
            # pyarrow: pandas 3 imports it whenever it is installed (~65 MiB resident),
            # so a venv with the `test` or `parquet` extra peaks higher than a plain install.
            for name in (
                "pandas",
                "numpy",
                "pyarrow",
                "sqlalchemy",
                "duckdb",
                "duckdb-engine",
                "psycopg",
            )
        },
    }


def _cell(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ratio(top: dict[str, Any] | None, bottom: dict[str, Any] | None) -> str:
    if not top or not bottom or not top.get("ok") or not bottom.get("ok"):
        return "—"
    return f"{top['seconds'] / bottom['seconds']:.2f}×"


def _detail(result: dict[str, Any]) -> str:
    parts = [f"{k} {v:.2f}" for k, v in result.get("phases", {}).items()]
    if not result.get("ok"):
        return "; ".join([f"FAILED: {result.get('error')}", *parts])
    if "median_seconds" in result:
        parts = [
            f"median {result['median_seconds']:.3f} (model {result['model_median_seconds']:.3f}"
            f" + JSON {result['json_median_seconds']:.3f}), first {result['first_seconds']:.3f}"
        ]
    agreement = result.get("agreement")
    if agreement:
        parts.append(
            f"{agreement['values_differing']} of {2 * agreement['metrics']} values differ from wbr"
        )
    if "rows_appended" in result:
        parts.append(f"{result['rows_appended']:,} rows appended")
    return "; ".join(parts)


def print_size(size: dict[str, Any], store: str) -> None:
    steps = size["steps"]
    print()
    print(f"{size['rows']:,} rows × {size['metrics']} metrics, store {store}")
    print(f"{'step':<20} {'seconds':>9} {'peak RSS MB':>12}  detail (seconds)")
    for name, result in steps.items():
        seconds = result.get("median_seconds", result.get("seconds"))
        rss = result.get("peak_rss_mb")
        print(f"{name:<20} {_cell(seconds, 3):>9} {_cell(rss, 0):>12}  {_detail(result)}")
    build = steps.get("wbr build")
    print("ratios:")
    for label, other in (
        ("wbr build / floor (SQL)", "floor (SQL)"),
        ("wbr build / floor (DuckDB CSV)", "floor (DuckDB CSV)"),
        ("wbr build / floor (DuckDB fused)", "floor (DuckDB fused)"),
        ("wbr build / pandas", "pandas"),
    ):
        print(f"  {label:<34} {_ratio(build, steps.get(other))}")
    for refresh in ("wbr refresh", "wbr refresh 2", "wbr scheduler"):
        if refresh in steps:
            print(f"  {refresh + ' / wbr build':<34} {_ratio(steps.get(refresh), build)}")
    print(f"  reference: {REFERENCE_APP}")
    print()
