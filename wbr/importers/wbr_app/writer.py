"""Write the imported registry as a `metrics.yaml` a person can read and finish.

Short mappings (an aggregation, a filter) are written inline; each metric's
`name` carries its name in the reference config, and the placeholders the
importer wrote carry a TODO comment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from wbr.importers.wbr_app.metrics import DEFAULT_KIND, DEFAULT_OWNER

LINE_WIDTH = 120  # long descriptions stay on one line
FLOW_LIST_WIDTH = 80
ITEM_INDENT = 4  # a metric's keys sit under "  - "
COMMENT_GAP = 2  # spaces between a value and its comment
TODO_COMMENTS = {
    "description": "TODO: describe what it measures and why it matters",
    "kind": "TODO: input (controllable) or output",
    "owner": "TODO: the one person who explains its exceptions",
}


def _flow(data: dict[str, Any]) -> CommentedMap:
    mapping = CommentedMap()
    for key, value in data.items():
        if isinstance(value, list):
            items = CommentedSeq(_flow(item) if isinstance(item, dict) else item for item in value)
            items.fa.set_flow_style()
            mapping[key] = items
        else:
            mapping[key] = value
    mapping.fa.set_flow_style()
    return mapping


def _metric(metric: dict[str, Any], original: str | None) -> CommentedMap:
    mapping = CommentedMap()
    for key, value in metric.items():
        mapping[key] = _flow(value) if key == "aggregation" else value
    if original is not None and original != metric["name"]:
        _comment(mapping, "name", f"wbr-app: {original}")
    placeholders = {"kind": DEFAULT_KIND, "owner": DEFAULT_OWNER}
    mapping.yaml_set_comment_before_after_key(
        "description", before=TODO_COMMENTS["description"], indent=ITEM_INDENT
    )
    for key in ("kind", "owner"):
        if metric.get(key) == placeholders[key]:
            _comment(mapping, key, TODO_COMMENTS[key])
    return mapping


def _comment(mapping: CommentedMap, key: str, text: str) -> None:
    """An end-of-line comment two spaces after the value (ruamel would align it oddly)."""
    column = ITEM_INDENT + len(f"{key}: {mapping[key]}") + COMMENT_GAP
    mapping.yaml_add_eol_comment(f"# {text}", key, column=column)


def _section(section: dict[str, Any]) -> CommentedMap:
    mapping = CommentedMap(section)
    metrics = CommentedSeq(section["metrics"])
    if len(", ".join(section["metrics"])) <= FLOW_LIST_WIDTH:  # short lists on one line
        metrics.fa.set_flow_style()
    mapping["metrics"] = metrics
    return mapping


def write_registry(
    registry: dict[str, Any], names: dict[str, str], path: Path, header: str
) -> None:
    """Write `registry` to `path`; `names` maps reference names to wbr names."""
    originals = {new: original for original, new in names.items()}
    root = CommentedMap()
    root["project"] = CommentedMap(registry["project"])
    root["sources"] = CommentedMap(
        {name: CommentedMap(source) for name, source in registry["sources"].items()}
    )
    root["metrics"] = CommentedSeq(
        _metric(metric, originals.get(metric["name"])) for metric in registry["metrics"]
    )
    deck = CommentedMap(registry["deck"])
    deck["sections"] = CommentedSeq(_section(section) for section in deck["sections"])
    root["deck"] = deck
    root.yaml_set_start_comment(header)
    for key in ("sources", "metrics", "deck"):
        root.yaml_set_comment_before_after_key(key, before="\n")
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = LINE_WIDTH
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(root, handle)
