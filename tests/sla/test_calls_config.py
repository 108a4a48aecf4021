"""The ``calls`` section: hang-up norms, the agent-share band, QA sampling, blocks and
automatic rules read as written; the controls that keep a normal customer from being
barred by mistake are errors at the line at fault."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sla.config import parse_config
from tests.sla.test_config import BASE, _issues, _where

CALLS = """\
calls:
  worthless: [nuisance, abusive, out_of_scope]
  hangup:
    agent_may_end: [resolved, no_further_need, nuisance, abusive, final_answer_repeat,
                    out_of_scope]
    warning_first: [nuisance, abusive, final_answer_repeat]
    agent_share: {min: 0.15, max: 0.35}
  qa: {sample_per_agent_week: 3}
  blocks: {periods: [day, week, month, permanent], review_every: 30d}
  auto_block:
    - {name: burst, dispositions: [nuisance, abusive], count: 3, within: 1h, period: day}
"""


def policy(calls: str = CALLS) -> str:
    return BASE + calls


def one_issue(text: str) -> tuple[str, tuple[int, int], str]:
    [issue] = _issues(text)
    return issue.path, (issue.line, issue.column), issue.message


def test_the_section_reads_as_written() -> None:
    spec = parse_config(policy()).calls
    assert spec is not None
    assert spec.worthless == {"nuisance", "abusive", "out_of_scope"}
    assert "other" not in spec.agent_may_end and "resolved" in spec.agent_may_end
    assert spec.warning_first == {"nuisance", "abusive", "final_answer_repeat"}
    assert spec.agent_share == (0.15, 0.35)
    assert (spec.qa.sample_per_agent_week, spec.qa.timezone) == (3, "Asia/Shanghai")
    assert spec.blocks.periods == ("day", "week", "month", "permanent")
    assert (spec.blocks.review_every, spec.blocks.evidence_within) == (
        timedelta(days=30), timedelta(days=30))
    [rule] = spec.auto_block
    assert (rule.name, rule.dispositions, rule.count, rule.within, rule.period) == (
        "burst", {"nuisance", "abusive"}, 3, timedelta(hours=1), "day")
    assert parse_config(BASE).calls is None


def test_an_automatic_rule_never_blocks_permanently() -> None:
    text = policy(CALLS.replace("within: 1h, period: day", "within: 1h, period: permanent"))
    path, where, message = one_issue(text)
    assert (path, where) == ("calls.auto_block[0].period", _where(text, "permanent}"))
    assert message.startswith("an automatic rule never blocks permanently")


def test_an_automatic_rule_counts_only_worthless_calls() -> None:
    text = policy(CALLS.replace("dispositions: [nuisance, abusive]",
                                "dispositions: [nuisance, resolved]"))
    path, where, message = one_issue(text)
    assert (path, where) == ("calls.auto_block[0].dispositions[1]", _where(text, "resolved]"))
    assert "'resolved' is not worthless" in message


def test_one_call_is_never_a_burst() -> None:
    text = policy(CALLS.replace("count: 3", "count: 1"))
    path, where, message = one_issue(text)
    assert (path, where) == ("calls.auto_block[0].count", _where(text, "1, within"))
    assert "one call is never a burst" in message


def test_a_rule_period_must_be_one_the_policy_allows() -> None:
    text = policy(CALLS.replace("periods: [day, week, month, permanent]",
                                "periods: [week, permanent]"))
    path, _, message = one_issue(text)
    assert path == "calls.auto_block[0].period"
    assert "one of calls.blocks.periods: week" in message


def test_a_warning_only_for_what_the_agent_may_end() -> None:
    text = policy(CALLS.replace("warning_first: [nuisance, abusive, final_answer_repeat]",
                                "warning_first: [nuisance, other]"))
    path, where, message = one_issue(text)
    assert (path, where) == ("calls.hangup.warning_first[1]", _where(text, "other]"))
    assert "'other' is not in agent_may_end" in message


@pytest.mark.parametrize(("old", "new", "path", "expected"), [
    ("[nuisance, abusive, out_of_scope]", "[nuisance, abusve]", "calls.worthless[1]",
     "unknown disposition 'abusve'; did you mean 'abusive'?"),
    ("{min: 0.15, max: 0.35}", "{min: 0.4, max: 0.35}", "calls.hangup.agent_share.max",
     "min 0.4 is not below max 0.35"),
    ("{min: 0.15, max: 0.35}", "{min: 0.15, max: 1.5}", "calls.hangup.agent_share.max",
     "expected a share from 0 to 1"),
    ("{sample_per_agent_week: 3}", "{sample_per_agent_week: many}",
     "calls.qa.sample_per_agent_week", "expected a whole number"),
    ("{sample_per_agent_week: 3}", "{sample_per_agent_week: 3, timezone: Mars/Base}",
     "calls.qa.timezone", "Mars/Base"),
    ("review_every: 30d", "review_every: monthly", "calls.blocks.review_every",
     "expected a duration"),
    ("[day, week, month, permanent]", "[day, year]", "calls.blocks.periods[1]",
     "unknown period 'year'"),
    ("within: 1h", "within: soon", "calls.auto_block[0].within", "expected a duration"),
    ("  qa: {", "  qa_sample: {", "calls.qa_sample", "unknown key"),
])
def test_mistakes_are_named_at_their_line(old: str, new: str, path: str,
                                          expected: str) -> None:
    text = policy(CALLS.replace(old, new, 1))
    issues = _issues(text)
    assert any(i.path == path and expected in i.message for i in issues), issues
    assert all(i.line > 0 for i in issues)


def test_two_rules_of_one_name_are_refused() -> None:
    text = policy(CALLS + "    - {name: burst, dispositions: [abusive], count: 2, within: 10m,"
                  " period: week}\n")
    path, _, message = one_issue(text)
    assert path == "calls.auto_block[1].name" and "duplicate name 'burst'" in message
