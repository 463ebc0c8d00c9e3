"""Copy the WBR reference app's test scenarios into tests/conformance/wbr_app/.

    .venv/bin/python tests/conformance/copy_wbr_app_scenarios.py [SOURCE]

SOURCE defaults to ../shared/conformance/wbr-app (github.com/working-backwards/wbr-app,
commit 872003e, Apache-2.0). The CSVs are copied byte for byte; the two YAML files
are loaded and written again, so only their data comes over: the reference's
comments stay out of this project. Run it only to refresh the copy.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "conformance" / "wbr-app"
TARGET = HERE / "wbr_app"
YAML_FILES = ("config.yaml", "testconfig.yml")


def _plain_to_rt(node: Any) -> Any:
    """Plain data → ruamel nodes, with lists of scalars on one line (series read well)."""
    if isinstance(node, dict):
        return CommentedMap((key, _plain_to_rt(value)) for key, value in node.items())
    if isinstance(node, list):
        seq = CommentedSeq(_plain_to_rt(item) for item in node)
        if all(not isinstance(item, dict | list) for item in node):
            seq.fa.set_flow_style()
        return seq
    return node


def copy_yaml_without_comments(source: Path, target: Path) -> None:
    data = YAML(typ="safe").load(source.read_text(encoding="utf-8-sig"))
    out = YAML()
    out.indent(mapping=2, sequence=4, offset=2)
    out.width = 4096
    with target.open("w", encoding="utf-8") as handle:
        out.dump(_plain_to_rt(data), handle)


def main(source: Path) -> None:
    for scenario in sorted(source.glob("scenario_*")):
        target = TARGET / scenario.name
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scenario / "original.csv", target / "original.csv")
        for name in YAML_FILES:
            copy_yaml_without_comments(scenario / name, target / name)
    shutil.copyfile(source / "LICENSE.md", TARGET / "LICENSE.md")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
