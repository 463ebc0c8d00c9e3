"""Start-up of whole `wbr` processes: `--help`, `validate`, `status`, `export --format json`.

    .venv/bin/python benchmarks/perf/startup.py --folder DIR [--repeat 7] [--out FILE]

DIR is a project with a built store: run.py leaves one in $TMPDIR/wbr-perf/
work-default-<rows>/, or any project after `wbr ingest` and `wbr compute` (the store in
.wbr/; a store.db of an older run.py is read where it is). The deck's size depends on
the metrics, not the rows. Each command runs --repeat times as a fresh process; the
median wall-clock seconds and the median CPU seconds (user + system, from the kernel's
accounting of the child) are reported.
CPU seconds move less than wall-clock seconds when others share the machine.
wbr's modules are compiled to bytecode first, as a wheel install has them (report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from report import compile_bytecode, speed_probe

COMMANDS = {
    "wbr --help": ["--help"],
    "wbr validate": ["validate"],
    "wbr status": ["status"],
    "wbr export --format json": ["export", "--format", "json", "--output", "deck.json"],
}


def run_once(wbr: str, args: list[str], folder: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([wbr, *args], cwd=folder, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    compile_bytecode()
    wbr = shutil.which("wbr", path=str(Path(sys.executable).parent)) or "wbr"
    folder = args.folder.resolve()
    env = dict(os.environ)
    if (folder / "store.db").is_file():  # run.py's layout; else wbr's default, .wbr/
        env["WBR_DATABASE_URL"] = f"sqlite:///{folder / 'store.db'}"
        env["WBR_RAW_DATABASE_URL"] = f"duckdb:///{folder / 'raw.duckdb'}"
    results: dict[str, Any] = {"speed_probe_s": speed_probe()}
    print(f"speed probe {results['speed_probe_s']} s (see report.speed_probe)", flush=True)
    for name, command in COMMANDS.items():
        run_once(wbr, command, folder, env)  # warm the file cache
        timings = [run_once(wbr, command, folder, env) for _ in range(args.repeat)]
        wall = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        results[name] = {"wall_median_s": round(wall, 3), "cpu_median_s": round(cpu, 3)}
        print(f"{name:28} wall {wall:6.3f} s   cpu {cpu:6.3f} s", flush=True)
    results["load_average"] = os.getloadavg()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
