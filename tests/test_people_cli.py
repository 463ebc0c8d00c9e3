"""`wbr users` and `wbr notes` on a real project, and notes that outlive a refresh."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import small_project as shop
from click.testing import CliRunner
from ruamel.yaml import YAML

from wbr.anomalies.store import flags_for_week
from wbr.cli import main
from wbr.deck.build import build_deck
from wbr.notes.model import NoteTarget
from wbr.notes.store import get_note, save_note
from wbr.people.accounts import check_sign_in, get_account
from wbr.workspace import open_workspace

PASSWORD = "a long cli password"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small shop with named owners, an outage in its last week, ingested and flagged."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WBR_DATABASE_URL", raising=False)
    shop.write_csvs(tmp_path / "data")
    traffic = shop.traffic_frame()
    outage = [shop.LAST_DAY.toordinal() - n for n in range(7)]
    traffic.loc[traffic["day"].map(lambda d: d.toordinal() in outage), "clicks"] = 6
    traffic.to_csv(tmp_path / "data" / "traffic.csv", index=False)
    data = copy.deepcopy(shop.REGISTRY_DATA)
    for metric in data["metrics"]:
        metric["owner"] = "ana"
    data["people"] = [{"key": "ana", "name": "Ana Diaz", "email": "ana@example.com"}]
    registry_file = tmp_path / "metrics.yaml"
    with registry_file.open("w", encoding="utf-8") as handle:
        YAML(typ="safe").dump(data, handle)
    refreshed = CliRunner().invoke(main, ["refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    return registry_file


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_add_list_role_disable_and_password(project: Path) -> None:
    _run("users", "sync")
    _run("users", "add", "viv", "--role", "viewer", "--password-env", "PW", env={"PW": PASSWORD})
    listing = _run("users", "list")
    assert "ana\towner\tAna Diaz [no password]" in listing
    assert "viv\tviewer\tviv" in listing
    _run("users", "reset-password", "ana", "--password-env", "PW", env={"PW": PASSWORD})
    _run("users", "set-role", "viv", "owner")
    _run("users", "delegate", "clicks", "viv")
    _run("users", "disable", "ana")
    workspace = open_workspace(project)
    try:
        account = get_account(workspace.engine, "ana")
        assert account is not None and account.has_password and not account.person.active
        assert check_sign_in(workspace.engine, "viv", PASSWORD).person is not None
    finally:
        workspace.dispose()
    assert "clicks (delegated)" in _run("users", "list")


def test_users_refuses_without_a_terminal_or_with_a_short_password(project: Path) -> None:
    asked = CliRunner().invoke(main, ["users", "add", "viv"])
    assert asked.exit_code == 1 and "--password-env" in asked.output
    short = CliRunner().invoke(
        main, ["users", "add", "viv", "--password-env", "PW"], env={"PW": "short"}
    )
    assert short.exit_code == 1 and "at least" in short.output
    unknown = CliRunner().invoke(main, ["users", "delegate", "nope", "ana"])
    assert unknown.exit_code == 1 and "no metric `nope`" in unknown.output


@pytest.mark.parametrize(
    "command", [["users"], ["notes"], *[["users", c] for c in ("add", "list", "sync")]]
)
def test_every_people_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_notes_stay_on_their_flag_after_refresh_and_full_compute(project: Path) -> None:
    workspace = open_workspace(project)
    try:
        [flag] = flags_for_week(workspace.engine, shop.WEEK_ENDING)["clicks"]
        target = NoteTarget("clicks", shop.WEEK_ENDING, flag.detector.value)
        save_note(
            workspace.engine,
            target,
            status="explained",
            text="CDN",
            author="ana",
            base_revision=None,
        )
    finally:
        workspace.dispose()
    _run("refresh")
    _run("compute", "--full")
    _run("detect")
    workspace = open_workspace(project)
    try:
        deck = build_deck(workspace.engine, workspace.registry, shop.WEEK_ENDING)
        clicks = next(chart for chart in deck.charts if chart.metric == "clicks")
        [shown] = [n for n in clicks.anomalies if n.week_ending == shop.WEEK_ENDING]
        assert shown.annotation is not None and shown.annotation.text == "CDN"
        assert clicks.owner == "Ana Diaz"
    finally:
        workspace.dispose()


def test_notes_export_then_import_elsewhere_and_twice(project: Path, tmp_path: Path) -> None:
    workspace = open_workspace(project)
    target = NoteTarget("orders", shop.WEEK_ENDING)
    try:
        first = save_note(
            workspace.engine,
            target,
            status="investigating",
            text="a",
            author="ana",
            base_revision=None,
        )
        save_note(
            workspace.engine,
            target,
            status="explained",
            text="b",
            author="ana",
            base_revision=first.revision,
        )
    finally:
        workspace.dispose()
    exported = tmp_path / "notes.json"
    _run("notes", "export", str(exported))
    assert len(json.loads(exported.read_text())["notes"]) == 1
    assert "0 new note(s) and 0 revision(s)" in _run("notes", "import", str(exported))

    other = tmp_path / "other.db"
    url = ["--database-url", f"sqlite:///{other}"]
    assert "1 new note(s) and 2 revision(s)" in _run("notes", "import", str(exported), *url)
    assert "0 new note(s)" in _run("notes", "import", str(exported), *url)
    copy_ = open_workspace(project, f"sqlite:///{other}")
    try:
        note = get_note(copy_.engine, target)
        assert note is not None and [r.text for r in note.history] == ["a", "b"]
    finally:
        copy_.dispose()


def test_a_malformed_notes_file_changes_nothing(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "wbr-notes", "version": 1, "notes": [{"metric": "x"}]}))
    result = CliRunner().invoke(main, ["notes", "import", str(bad)])
    assert result.exit_code == 1 and "note #1 is malformed" in result.output
    assert _run("notes", "list") == ""


def test_delete_and_restore_from_the_command_line(project: Path) -> None:
    workspace = open_workspace(project)
    try:
        note = save_note(
            workspace.engine,
            NoteTarget("orders", shop.WEEK_ENDING),
            status="explained",
            text="x",
            author="ana",
            base_revision=None,
        )
    finally:
        workspace.dispose()
    _run("notes", "delete", str(note.id))
    assert str(note.id) in _run("notes", "list", "--deleted")
    _run("notes", "restore", str(note.id))
    assert _run("notes", "list", "--deleted") == ""


def test_the_reference_app_s_events_become_known_event_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = Path(__file__).parent / "conformance" / "wbr_app" / "scenario_1"
    events = tmp_path / "events.csv"
    events.write_text(
        "Date,MetricName,EventDescription\n"
        "2021-09-21,PageViewsFiscal,Site redesign launched\n"
        "2021-09-22,PageViewsFiscal,Newsletter sent\n"
        "not a date,PageViewsFiscal,x\n"
        "2021-09-22,NoSuchMetric,y\n"
    )
    output = tmp_path / "metrics.yaml"
    result = CliRunner().invoke(
        main,
        [
            "import-wbr-app",
            str(scenario / "config.yaml"),
            "--data",
            str(scenario / "original.csv"),
            "--output",
            str(output),
            "--events",
            str(events),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "skipped event: events.csv line 4" in result.output
    assert "skipped event: events.csv line 5" in result.output
    document = json.loads((tmp_path / "metrics.notes.json").read_text())
    [note] = document["notes"]
    assert note["week_ending"] == "2021-09-25"  # the Saturday that ends the week
    assert note["history"][0]["status"] == "known event"
    assert "Site redesign launched" in note["history"][0]["text"]
    assert "Newsletter sent" in note["history"][0]["text"]
