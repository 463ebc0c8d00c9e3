"""`wbr detect`: flag the weeks that matter, for the project or for any CSV series."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wbr.cli.common import (
    Workspace,
    database_option,
    open_project,
    parse_week,
    registry_option,
    reports_errors,
)
from wbr.registry.vocabulary import DetectionMethod, Unit, Weekday

if TYPE_CHECKING:  # wbr.anomalies imports statsmodels: only when the command runs
    from wbr.anomalies.csv_series import Columns, Dropped
    from wbr.anomalies.model import Flag
    from wbr.anomalies.project import DetectionReport
    from wbr.registry.anomaly_settings import KnownEvent

# The registry's own names, so the CLI cannot drift from metrics.yaml.
WEEKDAYS = tuple(day.value for day in Weekday)
UNITS = tuple(unit.value for unit in Unit)
METHODS = tuple(m.value for m in DetectionMethod if m is not DetectionMethod.OFF)
TOP_CONTRIBUTORS_SHOWN = 3


@click.command()
@registry_option
@database_option
@click.option(
    "--week-ending", default=None, help="Show this week's flags (YYYY-MM-DD); default: latest."
)
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Score this CSV's series instead of the project (any two-column file: date, value).",
)
@click.option(
    "--date-column",
    default=None,
    help="CSV mode: the column that dates each row (default: the one column of dates).",
)
@click.option(
    "--value-column",
    default=None,
    help="CSV mode: the column to score (default: the one column of numbers).",
)
@click.option(
    "--grain",
    type=click.Choice(["week", "day"]),
    default="week",
    show_default=True,
    help="CSV mode: score weeks or days.",
)
@click.option(
    "--week-ends-on",
    type=click.Choice(WEEKDAYS),
    default="saturday",
    show_default=True,
    help="CSV mode: the weekday weeks end on.",
)
@click.option(
    "--aggregate",
    type=click.Choice(["sum", "mean", "last"]),
    default="sum",
    show_default=True,
    help="CSV mode: how rows combine into a period.",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="auto",
    show_default=True,
    help="CSV mode: the detector.",
)
@click.option(
    "--sensitivity",
    type=click.FloatRange(min=0, min_open=True, max=10),
    default=1.0,
    show_default=True,
    help="CSV mode: higher flags more.",
)
@click.option(
    "--direction",
    type=click.Choice(["higher_is_better", "lower_is_better"]),
    default="higher_is_better",
    show_default=True,
    help="CSV mode: which moves are bad.",
)
@click.option(
    "--alert-on",
    type=click.Choice(["any", "bad"]),
    default="any",
    show_default=True,
    help="CSV mode: flag every move, or only bad ones.",
)
@click.option(
    "--unit",
    type=click.Choice(UNITS),
    default="count",
    show_default=True,
    help="CSV mode: how numbers are written (percent: fractions).",
)
@click.option(
    "--min-volume", type=float, default=None, help="CSV mode: never flag periods below this value."
)
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="NAME=START..END",
    help="CSV mode: a known event, e.g. 'Black Friday=2024-11-29..2024-12-02'; repeatable.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the flags to this .csv or .json file.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="CSV mode: json writes the flags and the dropped periods to standard output as JSON.",
)
@click.option(
    "--all-periods",
    is_flag=True,
    help="CSV mode, with --output: every period's expectation and band, not only the flags.",
)
@click.option(
    "--from-start",
    is_flag=True,
    help="Score every week from the first and fit every season anew, without the fits and "
    "scorer states kept in .wbr/ (the flags are the same either way).",
)
@reports_errors
def detect(
    registry_file: Path,
    database_url: str | None,
    week_ending: str | None,
    csv_file: Path | None,
    output: Path | None,
    from_start: bool,
    **options: Any,
) -> None:
    """Flag the weeks that matter: values outside the band their history allows.

    Without --csv, scores every metric's complete weeks in the store (after
    `wbr compute`), stores the flags (a rerun updates them, never duplicates
    them) and prints the latest week's. With --csv FILE, scores that series
    alone and prints its flags, so anyone can try the detectors on their own
    data: the date and value columns are guessed when the file has one of each
    (else name them with --date-column and --value-column), and the periods left
    out (incomplete, or without rows) are counted. See docs/anomalies.md.
    """
    if csv_file is not None:
        _detect_csv(csv_file, output, **options)
    else:
        week = parse_week(week_ending)
        _detect_project(registry_file, database_url, week, output, from_start=from_start)


def run_detection(workspace: Workspace, *, from_start: bool = False) -> DetectionReport:
    """Score the project's stored weeks and say what was found (used by refresh and demo).

    `from_start`: without the fits and scorer states kept in `.wbr/` (neither read nor
    written), so every week is scored and every season fitted anew."""
    from wbr.anomalies import detect_project
    from wbr.anomalies.fit_cache import project_file

    fits = None if from_start else project_file(workspace.registry_file)
    report = detect_project(workspace.engine, workspace.registry, workspace.raw_engine, fits)
    explained = sum(flag.explained_by is not None for flag in report.flags)
    click.echo(
        f"scored {report.metrics_scored} metrics over {report.weeks_scored:,} metric-weeks: "
        f"{len(report.flags)} flags ({report.open_count} open, {explained} explained by known "
        f"events); {report.inserted} new, {report.updated} updated, {report.resolved} resolved"
    )
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    return report


def _detect_project(
    registry_file: Path,
    database_url: str | None,
    week: date | None,
    output: Path | None,
    *,
    from_start: bool,
) -> None:
    from wbr.anomalies import flags_for_week

    workspace = open_project(registry_file, database_url)
    report = run_detection(workspace, from_start=from_start)
    shown = week or report.latest_week
    if shown is None:
        return
    flags = [flag for found in flags_for_week(workspace.engine, shown).values() for flag in found]
    click.echo(f"\nweek ending {shown}: {len(flags)} flag(s)")
    for flag in flags:
        click.echo(_line(flag.metric, flag))
        parts = [
            f"{c.dimension}={c.value} {_share(c.share)}"
            for c in flag.drivers()[:TOP_CONTRIBUTORS_SHOWN]
        ]
        if parts:
            click.echo(f"    drivers vs {flag.comparison_week}: " + ", ".join(parts))
    if output is not None:
        from wbr.anomalies.export import flags_frame, write_table

        write_table(flags_frame(report.flags), output)


def _share(share: float | None) -> str:
    return "" if share is None else f"({share * 100:.0f}% of the change)"


def _line(label: str, flag: Flag) -> str:
    verdict = "bad " if flag.is_bad else "good"
    status = "explained" if flag.explained_by else flag.status.value
    columns = f"{flag.detector.value:<8} {flag.severity.value:<6} {verdict}  {status:<9}"
    return f"{label}  {flag.week_ending}  {columns}  {flag.explanation}"


def _parse_event(text: str) -> KnownEvent:
    from wbr.registry.anomaly_settings import KnownEvent

    name, _, span = text.rpartition("=")
    start, _, end = span.partition("..")
    try:
        return KnownEvent(
            name=name.strip(),
            start=date.fromisoformat(start.strip()),
            end=date.fromisoformat((end or start).strip()),
        )
    except ValueError as error:
        raise click.BadParameter(
            f"{text!r}: use NAME=YYYY-MM-DD..YYYY-MM-DD ({error})", param_hint="--event"
        ) from error


def _detect_csv(csv_file: Path, output: Path | None, **options: Any) -> None:
    from wbr.anomalies import SeriesContext, detect_series, score_series
    from wbr.anomalies.csv_series import (
        Aggregate,
        Columns,
        dropped_periods,
        guess_columns,
        read_series,
    )
    from wbr.anomalies.export import flags_frame, write_table
    from wbr.registry.anomaly_settings import AnomalySettings

    as_json = options["output_format"] == "json"
    if options["date_column"] and options["value_column"]:
        columns = Columns(options["date_column"], options["value_column"])
    else:
        guessed = guess_columns(csv_file)
        columns = Columns(
            options["date_column"] or guessed.date, options["value_column"] or guessed.value
        )
        click.echo(f"columns: date {columns.date!r}, value {columns.value!r} (guessed)", err=True)
    grain = options["grain"]
    series = read_series(
        csv_file,
        columns.date,
        columns.value,
        grain,
        options["week_ends_on"],
        Aggregate(options["aggregate"]),
    )
    settings = AnomalySettings(
        method=options["method"],
        sensitivity=options["sensitivity"],
        min_volume=options["min_volume"],
        alert_on=options["alert_on"],
    )
    context = SeriesContext(
        metric=columns.value,
        grain=grain,
        direction=options["direction"],
        unit=options["unit"],
        events=tuple(_parse_event(text) for text in options["events"]),
    )
    flags = detect_series(series, settings, context)
    scored = int(series.notna().sum())
    dropped = dropped_periods(series, grain)
    if as_json:
        document = _json_document(csv_file, columns, grain, scored, dropped, flags)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{csv_file.name}: {scored} complete {grain}s scored, {len(flags)} flagged")
        if dropped.count:
            click.echo(
                f"dropped {dropped.count} {grain}(s): {len(dropped.incomplete)} incomplete"
                f"{_dates(dropped.incomplete)}, {len(dropped.missing)} without rows"
                f"{_dates(dropped.missing)}"
            )
        for flag in flags:
            click.echo(_line(columns.value, flag))
    if output is not None:
        if options["all_periods"]:
            frame = score_series(series, settings, context)
            write_table(frame.reset_index(), output)
        else:
            write_table(flags_frame(flags), output)
        click.echo(f"wrote {output}", err=True)


DATES_SHOWN = 5  # dropped periods listed by date; the rest are counted


def _dates(days: Sequence[date]) -> str:
    if not days:
        return ""
    shown = ", ".join(day.isoformat() for day in days[:DATES_SHOWN])
    more = f", and {len(days) - DATES_SHOWN} more" if len(days) > DATES_SHOWN else ""
    return f" ({shown}{more})"


def _json_document(
    csv_file: Path,
    columns: Columns,
    grain: str,
    scored: int,
    dropped: Dropped,
    flags: Sequence[Flag],
) -> dict[str, Any]:
    from wbr.anomalies.export import flag_record

    return {
        "file": str(csv_file),
        "date_column": columns.date,
        "value_column": columns.value,
        "grain": grain,
        "periods_scored": scored,
        "periods_dropped": {
            "incomplete": [day.isoformat() for day in dropped.incomplete],
            "missing": [day.isoformat() for day in dropped.missing],
        },
        "flags": [flag_record(flag) for flag in flags],
    }


COMMANDS = [detect]
