"""`wbr validate`: check metrics.yaml and report every problem."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wbr.cli.common import EXIT_USER_ERROR, registry_option


@click.command()
@registry_option
def validate(registry_file: Path) -> None:
    """Check metrics.yaml and report every problem with its line and a fix."""
    from wbr.registry.loader import validate_file  # pydantic: not for `wbr --help`
    from wbr.registry.problems import errors, summary

    result = validate_file(registry_file)
    for problem in result.problems:
        color = "red" if problem in errors(result.problems) else "yellow"
        click.secho(problem.render(), fg=color)
    click.echo(summary(result.problems))
    if errors(result.problems):
        sys.exit(EXIT_USER_ERROR)


COMMANDS = [validate]
