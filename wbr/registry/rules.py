"""Cross-reference rules over a parsed registry; each returns a list of problems.

A rule is a small function of the draft (the parts that parsed), so a new rule
is one function added to `RULES`.
"""

from __future__ import annotations

import difflib
import glob
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from wbr.registry.access import PersonEntry
from wbr.registry.aggregations import FormulaAggregation, RatioAggregation
from wbr.registry.formula import FormulaError, formula_references, parse_formula
from wbr.registry.models import Deck, Metric, MetricKind, Source
from wbr.registry.problems import Level, Problem
from wbr.registry.sources import CsvSource, SparkSource
from wbr.registry.yaml_source import Locations, NodePath


@dataclass(frozen=True)
class RegistryDraft:
    file: Path
    locations: Locations
    metrics: list[tuple[int, Metric]]  # (index in the YAML list, metric) of those that parsed
    all_metric_names: set[str]  # names of every metric, parsed or not
    sources: dict[str, Source]
    source_names: set[str]
    deck: Deck | None
    people: list[tuple[int, PersonEntry]] = field(default_factory=list)
    people_listed: bool = False  # whether the file has a `people:` section at all

    def line(self, *path: str | int) -> int | None:
        node: NodePath = path
        return self.locations.line_of(node)

    def problem(
        self, path: NodePath, message: str, hint: str, level: Level = Level.ERROR
    ) -> Problem:
        return Problem(level, self.file, self.locations.line_of(path), message, hint)

    @property
    def by_name(self) -> dict[str, Metric]:
        return {metric.name: metric for _, metric in self.metrics}


def _known(names: Iterable[str], wanted: str) -> str:
    ordered = sorted(names)
    close = difflib.get_close_matches(wanted, ordered, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    return f"known metrics: {', '.join(ordered[:12])}{', …' if len(ordered) > 12 else ''}"


def duplicate_names(draft: RegistryDraft) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for index, metric in draft.metrics:
        if metric.name in seen:
            first_line = draft.line("metrics", seen[metric.name])
            problems.append(
                draft.problem(
                    ("metrics", index, "name"),
                    f"metric `{metric.name}` is defined twice (first at line {first_line})",
                    "rename one of them or delete the duplicate",
                )
            )
        else:
            seen[metric.name] = index
    return problems


def ratio_parts_exist(draft: RegistryDraft) -> list[Problem]:
    problems = []
    for index, metric in draft.metrics:
        agg = metric.aggregation
        if not isinstance(agg, RatioAggregation):
            continue
        for role in ("numerator", "denominator"):
            part = getattr(agg, role)
            if part not in draft.all_metric_names:
                problems.append(
                    draft.problem(
                        ("metrics", index, "aggregation", role),
                        f"metric `{metric.name}`: {role} `{part}` is not a metric",
                        _known(draft.all_metric_names, part),
                    )
                )
    return problems


def sources_exist(draft: RegistryDraft) -> list[Problem]:
    problems = []
    declared = ", ".join(sorted(draft.source_names)) or "none"
    for index, metric in draft.metrics:
        if metric.source is None and metric.reads_source:
            problems.append(
                draft.problem(
                    ("metrics", index),
                    f"metric `{metric.name}` has no `source`",
                    f"add `source:` naming a declared source ({declared})",
                )
            )
        elif metric.source is not None and metric.source not in draft.source_names:
            close = difflib.get_close_matches(metric.source, sorted(draft.source_names), n=1)
            problems.append(
                draft.problem(
                    ("metrics", index, "source"),
                    f"metric `{metric.name}`: source `{metric.source}` is not declared "
                    "under `sources:`",
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"declare it under `sources:` (declared: {declared})",
                )
            )
    return problems


def drives_point_at_outputs(draft: RegistryDraft) -> list[Problem]:
    problems = []
    by_name = draft.by_name
    for index, metric in draft.metrics:
        if metric.drives and metric.kind is MetricKind.OUTPUT:
            problems.append(
                draft.problem(
                    ("metrics", index, "drives"),
                    f"metric `{metric.name}` is an output but lists `drives`",
                    "only controllable inputs drive outputs: set `kind: input` or remove `drives`",
                    Level.WARNING,
                )
            )
        for position, target in enumerate(metric.drives):
            path: NodePath = ("metrics", index, "drives", position)
            if target not in draft.all_metric_names:
                problems.append(
                    draft.problem(
                        path,
                        f"metric `{metric.name}` drives `{target}`, which is not a metric",
                        _known(draft.all_metric_names, target),
                    )
                )
            elif target in by_name and by_name[target].kind is not MetricKind.OUTPUT:
                problems.append(
                    draft.problem(
                        path,
                        f"metric `{metric.name}` drives `{target}`, "
                        "which is an input, not an output",
                        f"list outputs under `drives`, or set `kind: output` on `{target}`",
                    )
                )
    return problems


def no_dependency_cycles(draft: RegistryDraft) -> list[Problem]:
    """A ratio (later: a formula) may not depend on itself through other metrics."""
    graph = {name: metric.depends_on for name, metric in draft.by_name.items()}
    index_of = {metric.name: index for index, metric in draft.metrics}
    reported: set[frozenset[str]] = set()
    problems = []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                problems.append(
                    draft.problem(
                        ("metrics", index_of[cycle[0]], "aggregation"),
                        f"metric `{cycle[0]}` depends on itself: {' → '.join(cycle)}",
                        "break the cycle: one of these must be computed from a source column",
                    )
                )
            return
        for child in graph.get(name, ()):
            visit(child, [*trail, name])

    for name in graph:
        visit(name, [])
    return problems


def deck_metrics_exist_in_order(draft: RegistryDraft) -> list[Problem]:
    if draft.deck is None:
        return []
    problems = []
    by_name = draft.by_name
    listed: Counter[str] = Counter()
    seen_output: str | None = None
    for s_index, section in enumerate(draft.deck.sections):
        for m_index, name in enumerate(section.metrics):
            path: NodePath = ("deck", "sections", s_index, "metrics", m_index)
            listed[name] += 1
            if name not in draft.all_metric_names:
                problems.append(
                    draft.problem(
                        path,
                        f"deck section `{section.title}` lists `{name}`, which is not a metric",
                        _known(draft.all_metric_names, name),
                    )
                )
                continue
            if listed[name] == 2:
                problems.append(
                    draft.problem(
                        path,
                        f"deck lists `{name}` more than once",
                        "show each metric once; remove the repeat",
                        Level.WARNING,
                    )
                )
            metric = by_name.get(name)
            if metric is None:
                continue
            if metric.kind is MetricKind.OUTPUT and seen_output is None:
                seen_output = name
            elif metric.kind is MetricKind.INPUT and seen_output is not None:
                problems.append(
                    draft.problem(
                        path,
                        f"deck shows input `{name}` after output `{seen_output}`",
                        "a WBR deck shows controllable inputs first: "
                        "move the inputs above the outputs",
                    )
                )
    return problems


def formulas_parse_and_resolve(draft: RegistryDraft) -> list[Problem]:
    problems = []
    for index, metric in draft.metrics:
        agg = metric.aggregation
        if not isinstance(agg, FormulaAggregation):
            continue
        path: NodePath = ("metrics", index, "aggregation", "expression")
        try:
            parse_formula(agg.expression)
        except FormulaError as error:
            problems.append(
                draft.problem(
                    path,
                    f"metric `{metric.name}`: formula {error}",
                    "write arithmetic over metric names, e.g. `(revenue - cost) / orders`",
                )
            )
            continue
        if not formula_references(agg.expression):
            problems.append(
                draft.problem(
                    path,
                    f"metric `{metric.name}`: formula uses no metric",
                    "a formula combines other metrics, e.g. `revenue / orders`",
                )
            )
        for name in formula_references(agg.expression):
            if name not in draft.all_metric_names:
                problems.append(
                    draft.problem(
                        path,
                        f"metric `{metric.name}`: formula uses `{name}`, which is not a metric",
                        _known(draft.all_metric_names, name),
                    )
                )
    return problems


def targets_exist(draft: RegistryDraft) -> list[Problem]:
    problems = []
    for index, metric in draft.metrics:
        plan = metric.target.metric if metric.target is not None else None
        if plan is not None and plan not in draft.all_metric_names:
            problems.append(
                draft.problem(
                    ("metrics", index, "target", "metric"),
                    f"metric `{metric.name}`: target metric `{plan}` is not a metric",
                    _known(draft.all_metric_names, plan),
                )
            )
    return problems


def _csv_header(draft: RegistryDraft, source: Source) -> list[str] | None:
    """The header of a CSV source's first file, or None when it cannot be read yet."""
    if not isinstance(source, CsvSource):
        return None
    full = Path(source.path).expanduser()
    if not full.is_absolute():
        full = draft.file.parent / full
    files = sorted(glob.glob(str(full), recursive=True))  # absolute paths and globs alike
    if not files:
        return None
    try:
        with open(files[0], encoding="utf-8-sig", newline="") as handle:
            return source.split_header(handle.readline())
    except (OSError, UnicodeDecodeError):
        return None


def columns_exist(draft: RegistryDraft) -> list[Problem]:
    """Columns named by metrics and filters exist in their CSV source (when it is there)."""
    headers = {name: _csv_header(draft, source) for name, source in draft.sources.items()}
    problems = []
    for index, metric in draft.metrics:
        header = headers.get(metric.source or "")
        if header is None:
            continue
        agg = metric.aggregation
        wanted: list[tuple[NodePath, str, str]] = []
        column = getattr(agg, "column", None)
        if column is not None:
            wanted.append((("metrics", index, "aggregation", "column"), column, "column"))
        for position, condition in enumerate(getattr(agg, "filters", ())):
            path: NodePath = ("metrics", index, "aggregation", "filters", position, "column")
            wanted.append((path, condition.column, "filter column"))
        for position, dimension in enumerate(metric.dimensions):
            wanted.append((("metrics", index, "dimensions", position), dimension, "dimension"))
        for path, name, role in wanted:
            if name not in header:
                close = difflib.get_close_matches(name, header, n=1)
                problems.append(
                    draft.problem(
                        path,
                        f"metric `{metric.name}`: {role} `{name}` is not a column of "
                        f"source `{metric.source}`",
                        f"did you mean `{close[0]}`?" if close else f"columns: {', '.join(header)}",
                    )
                )
    return problems


def people_are_unique(draft: RegistryDraft) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, person in draft.people:
        if person.key in seen:
            problems.append(
                draft.problem(
                    ("people", index, "key"),
                    f"person `{person.key}` is listed twice",
                    "keep one entry per person; keys are unique",
                )
            )
        seen.add(person.key)
    return problems


def owners_are_people(draft: RegistryDraft) -> list[Problem]:
    """An owner that names nobody in `people:` is a warning: the metric still computes.

    Without a `people:` section owners are free text (a name to show), as in
    files written before people existed, and nothing is checked.
    """
    if not draft.people_listed:
        return []
    keys = sorted(person.key for _, person in draft.people)
    problems = []
    for index, metric in draft.metrics:
        if metric.owner in keys:
            continue
        close = difflib.get_close_matches(metric.owner, keys, n=1)
        hint = (
            f"did you mean `{close[0]}`?"
            if close
            else f"add them under `people:` or use one of: {', '.join(keys[:12]) or '(none yet)'}"
        )
        problems.append(
            draft.problem(
                ("metrics", index, "owner"),
                f"metric `{metric.name}`: owner `{metric.owner}` names nobody in `people:`, "
                "so nobody can sign in to explain its flags",
                hint,
                Level.WARNING,
            )
        )
    return problems


def spark_sources_stand_alone(draft: RegistryDraft) -> list[Problem]:
    """`spark` sources need Spark as the raw store, and wbr loads no rows into Spark:
    a project cannot mix them with sources whose rows are copied into the store."""
    spark = [name for name, source in draft.sources.items() if isinstance(source, SparkSource)]
    if not spark:
        return []
    problems = []
    for name, source in draft.sources.items():
        if isinstance(source, SparkSource):
            continue
        problems.append(
            draft.problem(
                ("sources", name, "kind"),
                f"source `{name}` is of kind `{source.kind}`, but `{spark[0]}` is of kind "
                "`spark`: all raw tables live in one store, and wbr does not copy rows "
                "into Spark",
                f"write `{name}`'s rows to Parquet (or a table) in Spark and declare it "
                "`kind: spark` with `path:` or `spark_table:` (docs/spark.md)",
            )
        )
    return problems


RULES: tuple[Callable[[RegistryDraft], list[Problem]], ...] = (
    duplicate_names,
    sources_exist,
    ratio_parts_exist,
    drives_point_at_outputs,
    no_dependency_cycles,
    formulas_parse_and_resolve,
    targets_exist,
    columns_exist,
    deck_metrics_exist_in_order,
    people_are_unique,
    owners_are_people,
    spark_sources_stand_alone,
)


def check_cross_references(draft: RegistryDraft) -> list[Problem]:
    return [problem for rule in RULES for problem in rule(draft)]
