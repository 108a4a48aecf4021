"""The ``authority`` section: one approval chain read bottom to top, limits, audits,
pilots and the roster; every mistake located at its line and column, the risky chains
(two chains, two parents, a cycle) named as such."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from sla.config import load_config, parse_config
from tests.sla.test_config import BASE, _issues, _where

LEVELS = """\
  levels:
    - {name: agent, reports_to: team_lead}
    - {name: team_lead, reports_to: supervisor}
    - {name: supervisor, reports_to: manager}
    - {name: manager}
"""
REST = """\
  limits:
    - {reason: "delivery.*", agent: 100, team_lead: 250}
    - {reason: [billing.*, refund.*], agent: 80}
    - {agent: 50, team_lead: 200, supervisor: 1000, manager: 5000}
  audit: {threshold: 250, sample_rate: 0.05}
  pilots:
    - {name: east-week, team: pilot_east, from: 2026-11-02, until: 2026-11-09,
       limits: [{reason: "delivery.*", agent: 300}]}
  roster:
    - {agent: a-1, level: agent, team: pilot_east}
    - {agent: s-1, level: supervisor, team: east}
"""


def policy(levels: str = LEVELS, rest: str = REST) -> str:
    return BASE + "authority:\n" + levels + rest


def test_the_section_reads_as_written_with_the_chain_bottom_to_top() -> None:
    spec = parse_config(policy()).authority
    assert spec is not None
    assert spec.levels == ("agent", "team_lead", "supervisor", "manager")
    assert [r.reasons for r in spec.limits] == [("delivery.*",), ("billing.*", "refund.*"), ()]
    assert spec.limits[0].limits == {"agent": Decimal(100), "team_lead": Decimal(250)}
    assert (spec.audit.threshold, spec.audit.sample_rate) == (Decimal(250), 0.05)
    [pilot] = spec.pilots
    assert (pilot.team, pilot.start, pilot.end) == ("pilot_east", date(2026, 11, 2),
                                                   date(2026, 11, 9))
    assert spec.roster["s-1"].level == "supervisor"
    assert (spec.timezone, spec.currency) == ("Asia/Shanghai", "CNY")
    assert parse_config(BASE).authority is None


def test_the_levels_may_be_listed_in_any_order() -> None:
    shuffled = ("  levels:\n    - {name: manager}\n    - {name: agent, reports_to: team_lead}\n"
                "    - {name: supervisor, reports_to: manager}\n"
                "    - {name: team_lead, reports_to: supervisor}\n")
    spec = parse_config(policy(shuffled)).authority
    assert spec is not None and spec.levels == ("agent", "team_lead", "supervisor", "manager")


def _one_issue(text: str) -> tuple[str, int, int, str]:
    [issue] = _issues(text)
    return issue.path, issue.line, issue.column, issue.message


def test_two_roots_are_two_approval_chains_at_the_second_root() -> None:
    levels = LEVELS + "    - {name: director}\n"
    text = policy(levels)
    path, line, column, message = _one_issue(text)
    assert (path, (line, column)) == ("authority.levels", _where(text, "{name: director}"))
    assert message.startswith("two approval chains: 'manager' and 'director' both report to "
                              "no one")


def test_two_levels_under_one_level_are_two_approval_chains() -> None:
    levels = LEVELS.replace("    - {name: manager}\n", "    - {name: manager}\n"
                            "    - {name: backoffice, reports_to: supervisor}\n")
    text = policy(levels)
    path, line, column, message = _one_issue(text)
    assert (line, column) == _where(text, "{name: backoffice")
    assert "two approval chains: 'team_lead' and 'backoffice' both report to 'supervisor'" \
        in message


def test_a_level_with_two_parents_is_rejected_at_its_reports_to() -> None:
    levels = LEVELS.replace("{name: agent, reports_to: team_lead}",
                            "{name: agent, reports_to: [team_lead, supervisor]}")
    text = policy(levels)
    path, line, column, message = _one_issue(text)
    assert (path, (line, column)) == ("authority.levels[0].reports_to",
                                      _where(text, "[team_lead, supervisor]"))
    assert message.startswith("two parents: 'agent' reports to 'team_lead', 'supervisor'")


def test_a_cycle_is_rejected_naming_the_loop() -> None:
    levels = LEVELS.replace("{name: manager}", "{name: manager, reports_to: agent}")
    text = policy(levels)
    path, line, column, message = _one_issue(text)
    assert (path, (line, column)) == ("authority.levels", _where(text, "{name: agent"))
    assert message.startswith("cycle: 'agent' -> 'team_lead' -> 'supervisor' -> 'manager' -> "
                              "'agent'")


@pytest.mark.parametrize(("old", "new", "path", "marker", "message"), [
    ("reports_to: supervisor}", "reports_to: supervsor}", "authority.levels[1].reports_to",
     "{name: team_lead", "unknown level 'supervsor'"),
    ("{agent: 50, team_lead: 200, supervisor: 1000, manager: 5000}",
     "{agent: 50, team_lead: 200, supervisor: 1000}", "authority.limits[2]", "{agent: 50",
     "missing: manager"),
    ("agent: 80}", "agnet: 80}", "authority.limits[1].agnet", "agnet", "did you mean 'agent'"),
    ("team_lead: 250}", "team_lead: lots}", "authority.limits[0].team_lead", "lots",
     "expected an amount"),
    ("sample_rate: 0.05", "sample_rate: 5", "authority.audit.sample_rate", "5}",
     "between 0 and 1"),
    ("until: 2026-11-09", "until: 2026-11-01", "authority.pilots[0].until", "2026-11-01",
     "ends (2026-11-01) before it starts"),
    ("team: pilot_east, from", "from", "authority.pilots[0]", "{name: east-week",
     "exactly one of team and agents"),
    ("level: supervisor", "level: superviser", "authority.roster[1].level", "superviser",
     "did you mean 'supervisor'"),
])
def test_each_mistake_is_located(old: str, new: str, path: str, marker: str,
                                 message: str) -> None:
    text = policy(rest=REST.replace(old, new)) if old in REST else policy(
        LEVELS.replace(old, new))
    issues = _issues(text)
    assert [(i.path, (i.line, i.column)) for i in issues] == [(path, _where(text, marker))]
    assert message in issues[0].message


def test_a_roster_file_is_read_relative_to_the_policy_and_its_issues_name_it(
        tmp_path: Path) -> None:
    (tmp_path / "roster.yaml").write_text(
        "- {agent: a-1, level: agent, team: east}\n- {agent: m-1, level: boss, team: east}\n",
        encoding="utf-8")
    rest = REST.split("  roster:")[0] + "  roster: roster.yaml\n"
    (tmp_path / "policy.yaml").write_text(policy(rest=rest), encoding="utf-8")
    with pytest.raises(ValueError, match=r"roster.yaml:2:\d+: \[1\].level: unknown level 'boss'"):
        load_config(tmp_path / "policy.yaml")
    (tmp_path / "roster.yaml").write_text("- {agent: a-1, level: agent, team: east}\n",
                                          encoding="utf-8")
    spec = load_config(tmp_path / "policy.yaml").authority
    assert spec is not None and spec.roster["a-1"].team == "east"


def test_the_home_department_gives_the_calendar_of_approval_waits() -> None:
    spec = parse_config(policy(rest=REST + "  department: logistics\n")).authority
    assert spec is not None and (spec.department, spec.calendar) == ("logistics", "office")
    unset = parse_config(policy()).authority
    assert unset is not None and (unset.department, unset.calendar) == (None, "office")


def test_an_unknown_home_department_is_refused_at_its_line() -> None:
    text = policy(rest=REST + "  department: nobody\n")
    [issue] = _issues(text)
    assert (issue.path, (issue.line, issue.column)) == ("authority.department",
                                                        _where(text, "nobody"))


def test_an_authority_exceeded_penalty_needs_the_home_department() -> None:
    rules = BASE + ("  - {name: beyond, on: authority_exceeded, fine: 100, "
                    "charge: assignee}\n")
    text = rules + "authority:\n" + LEVELS + REST
    [issue] = _issues(text)
    assert issue.path == "penalties[2].on" and "authority.department" in issue.message
    assert (issue.line, issue.column) == _where(text, "authority_exceeded")
    fine = parse_config(text + "  department: logistics\n")
    assert [r.on for r in fine.penalties][-1] == "authority_exceeded"


def test_the_flag_thresholds_are_settable() -> None:
    spec = parse_config(policy(rest=REST + "  flags: {min_ratio: 2, min_grants: 5}\n")).authority
    assert spec is not None and (spec.flags.min_ratio, spec.flags.min_grants) == (2.0, 5)
