"""The `wbr` command line: one group, its commands in one module per job.

wbr's own errors become a message and an exit code in `wbr.cli.common`; no
traceback reaches a user for a mistake in their input.
"""

from __future__ import annotations

import click

from wbr.cli import backup, detect, importers, notes, pipeline, scheduler, sources, users, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wbr")
def main() -> None:
    """wbr: a Weekly Business Review from your raw data.

    Typical flow: `wbr validate`, `wbr ingest`, `wbr compute`, then `wbr serve`
    (or `wbr refresh` for ingest + compute). `wbr demo` does it all on bundled data.
    """


for module in (validate, sources, pipeline, scheduler, importers, detect, users, notes, backup):
    for command in module.COMMANDS:
        main.add_command(command)

__all__ = ["main"]
