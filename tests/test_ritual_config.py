"""`schedule:` and `notifications:` in metrics.yaml: a mistake is an error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wbr.registry.loader import validate_file
from wbr.registry.problems import errors

ROOT = Path(__file__).parent.parent

BASE = """\
people:
  - {key: sam, name: Sam Lee, email: sam@example.com}
sources:
  orders: {kind: csv, path: orders.csv, date_column: day}
metrics:
  - name: orders
    label: Orders
    description: Orders placed.
    kind: output
    owner: sam
    source: orders
    aggregation: {type: count}
deck:
  sections:
    - {title: Outputs, metrics: [orders]}
"""


def _problems(tmp_path: Path, extra: str) -> list[tuple[int | None, str, str]]:
    (tmp_path / "orders.csv").write_text("day\n2024-01-01\n")
    registry = tmp_path / "metrics.yaml"
    registry.write_text(BASE + extra)
    result = validate_file(registry)
    return [(p.line, p.message, p.hint) for p in errors(result.problems)]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate((BASE + text).splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("section", "needle", "words"),
    [
        (
            "schedule:\n  timezone: UTC\n  refresh: '0 6 * * mondey'\n",
            "refresh:",
            "is not a crontab line",
        ),
        ("schedule:\n  timezone: Europe/Berlim\n  refresh: '0 6 * * mon'\n", "timezone:", "IANA"),
        (
            "schedule:\n  refresh: '0 6 * * mon'\n  explanations_due: tuesdy 17:00\n",
            "explanations_due:",
            "weekday and a time",
        ),
        (
            "schedule:\n  refresh: '0 6 * * mon'\n  meeting: wednesday 25:00\n",
            "meeting:",
            "no such time of day",
        ),
        (
            "schedule:\n  refresh: '0 6 * * mon'\n  retry_atempts: 2\n",
            "retry_atempts",
            "retry_attempts",
        ),
        (
            "notifications:\n  webhooks:\n    - {name: ops, url: 'http://x.t/', format: json}\n",
            "- {name: ops",
            "secret_env",
        ),
        (
            "notifications:\n  leaders: [sam, nobody]\n",
            "leaders:",
            "neither a person nor an e-mail address",
        ),
        ("notifications:\n  owners: {sam: not-an-address}\n", "owners:", "not an e-mail address"),
    ],
    ids=["crontab", "zone", "deadline", "meeting", "typo", "unsigned-json", "leader", "owner"],
)
def test_a_wrong_ritual_setting_is_an_error_on_its_line(
    tmp_path: Path, section: str, needle: str, words: str
) -> None:
    found = _problems(tmp_path, section)
    assert len(found) == 1, found
    line, message, hint = found[0]
    assert line == _line_of(section, needle)
    assert words in f"{message} {hint}"


def test_a_complete_ritual_validates(tmp_path: Path) -> None:
    section = """\
schedule:
  timezone: America/New_York
  refresh: "30 5 * * mon-fri"
  explanations_due: tuesday 17:00
  meeting: Wednesday 10:00
notifications:
  base_url: https://wbr.example.com/
  leaders: [sam, boss@example.com]
  admins: [ops@example.com]
  email: {host: smtp.example.com, sender: wbr@example.com}
  webhooks:
    - {name: slack, url_env: SLACK_URL, messages: [deck_ready]}
    - {name: ops, url: "https://ops.example.com/h", format: json, secret_env: HOOK_KEY}
"""
    assert _problems(tmp_path, section) == []


def test_the_demo_schedule_loads() -> None:
    result = validate_file(ROOT / "metrics.yaml")
    assert result.registry is not None and result.registry.schedule is not None
    schedule = result.registry.schedule
    assert schedule.deadline is not None and schedule.deadline.weekday == 1  # Tuesday
    assert result.registry.notifications.leaders == ("leader",)
