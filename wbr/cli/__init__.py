"""The `wbr` command line: one group, its commands in one module per job.

wbr's own errors become a message and an exit code in `wbr.cli.common`; no
traceback reaches a user for a mistake in their input.
"""

from __future__ import annotations

import importlib

import click

# Each command and the module (under wbr/cli/) that defines it. A command imports only
# its own module: every `wbr` run is a fresh process, and importing all nine modules
# cost `wbr status` 0.03-0.05 s (the people modules' `secrets`, detect's options, …).
COMMAND_MODULES = {
    "validate": "validate",
    "ingest": "sources",
    "status": "sources",
    "compute": "pipeline",
    "refresh": "pipeline",
    "export": "pipeline",
    "serve": "pipeline",
    "demo": "pipeline",
    "scheduler": "scheduler",
    "import-wbr-app": "importers",
    "detect": "detect",
    "users": "users",
    "notes": "notes",
    "backup": "backup",
    "restore": "backup",
}


class _CommandsOnDemand(click.Group):
    """A group that imports a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"wbr.cli.{module_name}")
        commands: list[click.Command] = module.COMMANDS
        return next(command for command in commands if command.name == cmd_name)


@click.group(
    cls=_CommandsOnDemand,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="wbr")
def main() -> None:
    """wbr: a Weekly Business Review from your raw data.

    Typical flow: `wbr validate`, `wbr ingest`, `wbr compute`, then `wbr serve`
    (or `wbr refresh` for ingest + compute). `wbr demo` does it all on bundled data.
    """


__all__ = ["COMMAND_MODULES", "main"]
