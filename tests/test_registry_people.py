"""`people:` and `access:` in metrics.yaml: owners name people, mistakes name their line."""

from __future__ import annotations

from pathlib import Path

from wbr.registry.access import SignInMode
from wbr.registry.loader import validate_file
from wbr.registry.problems import Level

METRIC = """\
  - name: orders
    label: Orders
    description: Orders placed.
    kind: output
    owner: {owner}
    source: orders
    aggregation: {{type: count}}
"""

HEADER = """\
sources:
  orders: {kind: csv, path: orders.csv, date_column: day}
deck:
  sections: [{title: Outputs, metrics: [orders]}]
"""


def _write(tmp_path: Path, people: str, owner: str = "sam", access: str = "") -> Path:
    (tmp_path / "orders.csv").write_text("day,amount\n2024-01-01,1\n")
    text = HEADER + people + access + "metrics:\n" + METRIC.format(owner=owner)
    path = tmp_path / "metrics.yaml"
    path.write_text(text)
    return path


PEOPLE = "people:\n  - {key: sam, name: Sam Lee, team: Sales, email: sam@example.com}\n"


def test_an_owner_naming_a_person_is_valid_and_shown_by_name(tmp_path: Path) -> None:
    result = validate_file(_write(tmp_path, PEOPLE))
    assert result.registry is not None and result.problems == []
    assert result.registry.owner_display("sam") == "Sam Lee (Sales)"
    assert result.registry.person("sam") is not None


def test_an_owner_naming_nobody_is_a_warning_with_its_line_and_a_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, PEOPLE, owner="sma")
    result = validate_file(path)
    assert result.registry is not None  # a warning: the deck still computes
    [problem] = result.problems
    assert problem.level is Level.WARNING
    assert problem.line == path.read_text().splitlines().index("    owner: sma") + 1
    assert "names nobody" in problem.message and "`sam`" in problem.hint


def test_without_people_owners_are_free_text(tmp_path: Path) -> None:
    result = validate_file(_write(tmp_path, "", owner="Sam Lee (Sales)"))
    assert result.registry is not None and result.problems == []
    assert result.registry.owner_display("Sam Lee (Sales)") == "Sam Lee (Sales)"


def test_a_duplicate_person_and_a_bad_email_are_errors(tmp_path: Path) -> None:
    people = PEOPLE + "  - {key: sam, name: Sam Two}\n  - {key: kim, name: Kim, email: nope}\n"
    path = _write(tmp_path, people)
    result = validate_file(path)
    assert result.registry is None
    messages = " | ".join(p.message for p in result.problems)
    assert "listed twice" in messages and "email" in messages
    assert all(p.line is not None for p in result.problems)


def test_access_settings_are_validated(tmp_path: Path) -> None:
    access = "access:\n  sign_in: proxy\n  trusted_proxies: [10.0.0.0/24]\n"
    result = validate_file(_write(tmp_path, PEOPLE, access=access))
    assert result.registry is not None
    assert result.registry.access.sign_in is SignInMode.PROXY
    assert result.registry.access.trusts("10.0.0.7")
    assert not result.registry.access.trusts("10.0.1.7")
    bad = "access:\n  trusted_proxies: [proxy.example.com]\n  anonymus_read: true\n"
    path = _write(tmp_path, PEOPLE, access=bad)
    problems = validate_file(path).problems
    assert len(problems) == 2
    assert any("not an IP address" in p.message for p in problems)
    assert any("did you mean `anonymous_read`" in p.hint for p in problems)


def test_the_password_mode_never_trusts_a_header(tmp_path: Path) -> None:
    result = validate_file(_write(tmp_path, PEOPLE))
    assert result.registry is not None
    assert not result.registry.access.trusts("127.0.0.1")
