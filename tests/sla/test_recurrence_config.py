"""The ``recurrence`` section and ``on: recurrence`` penalties: read as written, and every
mistake located at its line and column."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla.config import parse_config
from tests.sla.test_config import BASE, _edit, _issues, _where

RULE = ("recurrence:\n"
        "  - {name: repeat-incident, match: {category: \"delivery.*\"}, threshold: 5,\n"
        "     within: 7d, due: 5d, review_after: 14d, worked_below: 0.5}\n")
FINE = "  - {name: repeat-after-fix, on: recurrence, recurrence: repeat-incident, fine: 200}\n"


def policy(rule: str = RULE, fine: str = FINE) -> str:
    return _edit("  - {name: per-complaint, on: complaint, fine: 1000, charge: assignee}\n",
                 "  - {name: per-complaint, on: complaint, fine: 1000, charge: assignee}\n"
                 + fine) + rule


def test_a_recurrence_rule_and_its_penalty_read_as_written() -> None:
    config = parse_config(policy())
    [rule] = config.recurrence
    assert (rule.name, rule.threshold, rule.within, str(rule.due), rule.review_after,
            rule.worked_below, dict(rule.match)) == (
        "repeat-incident", 5, timedelta(days=7), "5d", timedelta(days=14), 0.5,
        {"category": "delivery.*"})
    fine = config.penalties[-1]
    assert (fine.on, fine.recurrence, fine.charge) == ("recurrence", "repeat-incident",
                                                       "department")


def test_worked_below_defaults_to_half_and_no_section_means_no_rules() -> None:
    rule = RULE.replace(", worked_below: 0.5", "")
    assert parse_config(policy(rule)).recurrence[0].worked_below == 0.5
    assert parse_config(BASE).recurrence == ()


BROKEN = [
    ("threshold of one", "threshold: 5", "threshold: 1", "1,", "recurrence[0].threshold",
     "at least 2 complaints"),
    ("window not a duration", "within: 7d", "within: weekly", "weekly", "recurrence[0].within",
     "expected a duration"),
    ("share above one", "worked_below: 0.5", "worked_below: 1.5", "1.5",
     "recurrence[0].worked_below", "at most 1"),
    ("match on a field rules cannot see", 'match: {category: "delivery.*"}',
     'match: {priority: P1}', "priority: P1}, threshold", "recurrence[0].match.priority",
     "unknown key"),
    ("unknown department", 'match: {category: "delivery.*"}',
     "match: {department: logistic}", "logistic}", "recurrence[0].match.department",
     "did you mean 'logistics'"),
]


@pytest.mark.parametrize(("old", "new", "marker", "path", "fragment"),
                         [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_a_broken_rule_is_located(old: str, new: str, marker: str, path: str,
                                  fragment: str) -> None:
    text = policy(_edit(old, new, RULE))
    issues = _issues(text)
    assert [(i.path, fragment in i.message) for i in issues] == [(path, True)], issues
    assert (issues[0].line, issues[0].column) == _where(text, marker)


PENALTY_BROKEN = [
    ("unknown recurrence rule", "recurrence: repeat-incident", "recurrence: repeat-incidnt",
     "repeat-incidnt", "penalties[2].recurrence", "did you mean 'repeat-incident'"),
    ("recurrence on a complaint penalty", "on: recurrence,", "on: complaint,",
     "repeat-incident, fine", "penalties[2].recurrence", "only applies with on: recurrence"),
    ("charged to the assignee", "fine: 200}", "fine: 200, charge: assignee, points: 1}",
     "assignee, points",
     "penalties[2].charge", "charged to the department"),
]


@pytest.mark.parametrize(("old", "new", "marker", "path", "fragment"),
                         [case[1:] for case in PENALTY_BROKEN],
                         ids=[case[0] for case in PENALTY_BROKEN])
def test_a_broken_recurrence_penalty_is_located(old: str, new: str, marker: str, path: str,
                                                fragment: str) -> None:
    text = policy(fine=_edit(old, new, FINE))
    issues = _issues(text)
    assert [(i.path, fragment in i.message) for i in issues] == [(path, True)], issues
    assert (issues[0].line, issues[0].column) == _where(text, marker)
