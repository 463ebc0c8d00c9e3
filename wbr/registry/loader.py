"""`metrics.yaml` → a validated `Registry`, or every problem with its line.

Each part (project, each source, each metric, the deck) is validated on its
own, so one bad metric does not hide the problems of the others; the
cross-reference rules then run over whatever parsed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wbr.errors import ConfigError
from wbr.registry import yaml_cache
from wbr.registry.access import Access, PersonEntry
from wbr.registry.models import Deck, Metric, Project, Registry, Source
from wbr.registry.problems import Level, Problem, errors
from wbr.registry.ritual import Notifications, Schedule, recipient_problems
from wbr.registry.rules import RegistryDraft, check_cross_references
from wbr.registry.sources import source_model
from wbr.registry.yaml_source import (
    Locations,
    NodePath,
    YamlDocument,
    read_yaml,
    read_yaml_quickly,
)

TOP_LEVEL_KEYS = (
    "project",
    "people",
    "access",
    "schedule",
    "notifications",
    "sources",
    "metrics",
    "deck",
)
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class LoadResult:
    file: Path
    registry: Registry | None  # None when any error was found
    problems: list[Problem]


def _allowed_fields(model: type[BaseModel], error_loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed where an unknown key was found (for "did you mean")."""
    current: Any = model
    for part in error_loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if fields is None or not isinstance(part, str) or part not in fields:
            return []
        annotation = fields[part].annotation
        current = getattr(annotation, "__origin__", annotation)
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _describe(error: Any, model: type[BaseModel], what: str) -> tuple[str, str]:
    """A pydantic error as (message, hint) in the words a YAML author uses."""
    loc = tuple(part for part in error["loc"] if not str(part).startswith(("function-", "tagged-")))
    field_name = ".".join(str(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"allowed keys: {', '.join(allowed)}"
        return f"{what}: unknown key `{field_name}`", hint
    if kind == "missing":
        return f"{what}: `{field_name}` is required but missing", f"add `{field_name}:`"
    if kind in ("enum", "literal_error", "union_tag_invalid"):
        expected = error.get("ctx", {}).get("expected", "")
        return (
            f"{what}: `{field_name}` has the value {error.get('input')!r}, which is not allowed",
            f"use one of {expected}" if expected else "see docs/metrics-yaml.md",
        )
    if kind == "union_tag_not_found":
        return f"{what}: `{field_name}` needs a `type:`", "use type: sum, count, mean or ratio"
    if kind == "string_pattern_mismatch":
        return (
            f"{what}: `{field_name}` is {error.get('input')!r}, not a valid name",
            "names are lower_snake_case: start with a letter; letters, digits, underscores",
        )
    if kind == "string_too_short":
        return f"{what}: `{field_name}` is empty", f"give `{field_name}` a value"
    return f"{what}: `{field_name}`: {error['msg']}", "see docs/metrics-yaml.md"


def _validate(
    model: type[ModelT], data: Any, path: NodePath, what: str, doc: YamlDocument
) -> tuple[ModelT | None, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            loc = tuple(p for p in detail["loc"] if not str(p).startswith(("function-", "tagged-")))
            message, hint = _describe(detail, model, what)
            line = doc.locations.line_of((*path, *loc))
            problems.append(Problem(Level.ERROR, doc.file, line, message, hint))
        return None, problems


def _salvage(raw: Any) -> Metric | None:
    """The metric without its unknown keys, so a typo does not hide its other problems.

    Used only for the cross-reference rules; the typo itself is already reported,
    so a registry with a salvaged metric never loads.
    """
    if not isinstance(raw, dict):
        return None
    known = {key: value for key, value in raw.items() if key in Metric.model_fields}
    try:
        return Metric.model_validate(known)
    except ValidationError:
        return None


def _metric_label(raw: Any, index: int) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"metric `{name}`" if name else f"metric #{index + 1}"


def parse_document(doc: YamlDocument) -> LoadResult:
    problems: list[Problem] = []
    data = doc.data
    if not isinstance(data, dict):
        problem = Problem(
            Level.ERROR,
            doc.file,
            1,
            "the registry must be a mapping",
            "start from the example in docs/metrics-yaml.md: project, sources, metrics, deck",
        )
        return LoadResult(doc.file, None, [problem])
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            problems.append(
                Problem(
                    Level.ERROR,
                    doc.file,
                    doc.locations.line_of((key,)),
                    f"unknown top-level key `{key}`",
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"allowed: {', '.join(TOP_LEVEL_KEYS)}",
                )
            )

    project, found = _validate(Project, data.get("project", {}), ("project",), "project", doc)
    problems += found

    access, found = _validate(Access, data.get("access") or {}, ("access",), "access", doc)
    problems += found
    schedule: Schedule | None = None
    if data.get("schedule") is not None:
        schedule, found = _validate(Schedule, data["schedule"], ("schedule",), "schedule", doc)
        problems += found
    notifications, found = _validate(
        Notifications, data.get("notifications") or {}, ("notifications",), "notifications", doc
    )
    problems += found
    people: list[tuple[int, PersonEntry]] = []
    raw_people = data.get("people") or []
    if not isinstance(raw_people, list):
        problems.append(
            Problem(
                Level.ERROR,
                doc.file,
                doc.locations.line_of(("people",)),
                "`people` must be a list of people",
                "add items such as `- {key: sam, name: Sam Lee, email: sam@example.com}`",
            )
        )
        raw_people = []
    for index, raw in enumerate(raw_people):
        person, found = _validate(PersonEntry, raw, ("people", index), f"person #{index + 1}", doc)
        problems += found
        if person is not None:
            people.append((index, person))

    sources: dict[str, Source] = {}
    raw_sources = data.get("sources") or {}
    for name, raw in raw_sources.items() if isinstance(raw_sources, dict) else []:
        source, found = _validate(
            source_model(raw), raw, ("sources", name), f"source `{name}`", doc
        )
        problems += found
        if source is not None:
            sources[name] = source

    raw_metrics = data.get("metrics")
    if not isinstance(raw_metrics, list) or not raw_metrics:
        problems.append(
            Problem(
                Level.ERROR,
                doc.file,
                doc.locations.line_of(("metrics",)),
                "`metrics` must be a non-empty list of metrics",
                "add `metrics:` with items such as `- name: orders`",
            )
        )
        raw_metrics = []
    metrics: list[tuple[int, Metric]] = []
    for index, raw in enumerate(raw_metrics):
        metric, found = _validate(Metric, raw, ("metrics", index), _metric_label(raw, index), doc)
        problems += found
        if metric is None:
            metric = _salvage(raw)
        if metric is not None:
            metrics.append((index, metric))

    deck: Deck | None = None
    if "deck" not in data:
        problems.append(
            Problem(
                Level.ERROR,
                doc.file,
                None,
                "there is no `deck:`",
                "add `deck:` with `sections:`, each listing metric names, inputs first",
            )
        )
    else:
        deck, found = _validate(Deck, data["deck"], ("deck",), "deck", doc)
        problems += found

    # Only text names: a `name: 1e999` is reported by the metric's own validation.
    names = {
        raw["name"]
        for raw in raw_metrics
        if isinstance(raw, dict) and isinstance(raw.get("name"), str)
    }
    draft = RegistryDraft(
        file=doc.file,
        locations=doc.locations,
        metrics=metrics,
        all_metric_names=names,
        sources=sources,
        source_names=set(raw_sources) if isinstance(raw_sources, dict) else set(),
        deck=deck,
        people=people,
        people_listed="people" in data,
    )
    problems += check_cross_references(draft)
    if notifications is not None:
        problems += recipient_problems(
            notifications, {person.key for _, person in people}, doc.file, doc.locations
        )
    problems.sort(key=lambda p: (p.line or 0, p.level != Level.ERROR))
    if (
        errors(problems)
        or project is None
        or deck is None
        or access is None
        or notifications is None
        or (schedule is None and data.get("schedule") is not None)
    ):
        return LoadResult(doc.file, None, problems)
    registry = Registry(
        project=project,
        sources=sources,
        metrics=tuple(m for _, m in metrics),
        deck=deck,
        people=tuple(person for _, person in people),
        access=access,
        schedule=schedule,
        notifications=notifications,
    )
    return LoadResult(doc.file, registry, problems)


def _cached(file: Path, *, with_lines: bool) -> tuple[bytes | None, YamlDocument | None]:
    """The file's bytes (None when unreadable: the reader reports it), and their parse
    from the cache in `.wbr/` when these very bytes were parsed before.

    The bytes are read once and a miss is parsed from them, so a file edited
    meanwhile is never stored under another content's key.
    """
    try:
        content = file.read_bytes()
    except OSError:
        return None, None
    return content, yaml_cache.lookup(file, content, with_lines=with_lines)


def _remember(file: Path, content: bytes | None, doc: YamlDocument | Problem | None) -> None:
    if content is not None and isinstance(doc, YamlDocument):
        yaml_cache.save(file, content, doc)


def _read_with_lines(file: Path) -> YamlDocument | Problem:
    content, cached = _cached(file, with_lines=True)
    if cached is not None:
        return cached
    doc = read_yaml(file, content)
    _remember(file, content, doc)
    return doc


def _read_quickly(file: Path) -> YamlDocument | None:
    content, cached = _cached(file, with_lines=False)
    if cached is not None:
        return cached
    doc = read_yaml_quickly(file, content)
    _remember(file, content, doc)
    return doc


def validate_file(file: Path) -> LoadResult:
    doc = _read_with_lines(file)
    if isinstance(doc, Problem):
        return LoadResult(file, None, [doc])
    return parse_document(doc)


def load_registry(file: Path) -> Registry:
    """The registry in `file`, or a ConfigError listing every error in it.

    A valid file is read by the quick parser; only one with errors is read again
    with line numbers, to say where each error is. Either parse comes from the
    cache when the file's bytes are unchanged; validation always runs.
    """
    quick = _read_quickly(file)
    if quick is not None:
        checked = parse_document(quick)
        if checked.registry is not None:
            return checked.registry
    result = validate_file(file)
    if result.registry is None:
        found = errors(result.problems)
        detail = "\n".join(problem.render() for problem in found)
        raise ConfigError(f"{file} has {len(found)} error(s):\n{detail}")
    return result.registry


__all__ = ["LoadResult", "Locations", "load_registry", "validate_file"]
