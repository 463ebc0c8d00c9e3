"""The JSON export: the CLI end to end, its schema, and its round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import small_project as shop
from click.testing import CliRunner

from wbr.cli import main
from wbr.export import deck_from_dict, deck_to_dict

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "deck.schema.json").read_text())


@pytest.fixture
def project(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WBR_DATABASE_URL", store_url)
    registry_file = shop.write_project(tmp_path)
    runner = CliRunner()
    for command in (["ingest"], ["compute"]):
        result = runner.invoke(main, [*command, "--registry", str(registry_file)])
        assert result.exit_code == 0, result.output
    return registry_file


def export(registry_file: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        main, ["export", "--format", "json", "--registry", str(registry_file), *args]
    )
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.output)
    return body


def test_export_matches_the_schema_and_the_hand_checked_numbers(project: Path) -> None:
    body = export(project, "--week-ending", "2024-03-16")
    jsonschema.validate(body, SCHEMA)
    assert body["week_ending"] == "2024-03-16"
    charts = {c["metric"]: c for s in body["sections"] for c in s["charts"]}
    assert [s["title"] for s in body["sections"]] == ["Inputs", "Outputs"]
    assert charts["clicks"]["box"]["last_week"] == 84
    assert charts["clicks"]["box"]["mtd_yoy"] == {"value": pytest.approx(20.0), "unit": "percent"}
    assert charts["ctr"]["box"]["last_week_yoy"]["unit"] == "bps"
    assert charts["ctr"]["box"]["last_week_yoy"]["value"] == pytest.approx(-400.0)
    assert charts["clicks"]["months"][0]["py"] is None  # before the data: null, not 0
    assert charts["clicks"]["x_labels"][:6] == [f"wk {n}" for n in range(5, 11)]
    assert charts["orders"]["kind"] == "output"
    assert charts["orders"]["owner"] == "Test Owner (QA)"


def test_default_week_is_the_latest_and_round_trips(project: Path) -> None:
    body = export(project)
    assert body["week_ending"] == shop.WEEK_ENDING.isoformat()
    assert deck_to_dict(deck_from_dict(body)) == body


def test_export_to_a_file(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "deck.json"
    result = CliRunner().invoke(
        main, ["export", "--registry", str(project), "--week-ending", "2023-12-30", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    jsonschema.validate(body, SCHEMA)
    assert body["week_number"] == 52


def test_a_bad_week_is_a_clear_error(project: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--registry", str(project), "--week-ending", "2024-03-15"]
    )
    assert result.exit_code == 1
    assert "is a Friday, but weeks end on Saturday; try 2024-03-09" in result.output
    assert "Traceback" not in result.output


def test_old_schema_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="schema_version"):
        deck_from_dict({"schema_version": 0})
