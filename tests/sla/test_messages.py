"""Messages in the department's language: an English and a Chinese message of each severity,
display names, the policy's durations, and the same words from replay every time.

Policy: tests/sla/charges.yaml (acknowledge 2h warned at 50%, resolve 2d, a 10 CNY levy per
complaint), with a top-level ``language``. Mon 2026-11-16: the complaint at 09:00 is warned at
10:00, breaches its acknowledge target at 11:00; logistics disputes it at 11:30 and the
ruling at 11:45 gives it to stores, reversing logistics' levy.
"""

from __future__ import annotations

import json
import string
from datetime import datetime
from pathlib import Path

import pytest

from models import parse_event
from models.examples import example
from sla.config import parse_config
from sla.messages import TEMPLATES, digest_text
from sla.notifications import notifications_for
from sla.replay import replay
from sla.testing import complaint, disputed, ruled

POLICY = Path(__file__).with_name("charges.yaml").read_text()
UNTIL = datetime.fromisoformat("2026-11-16T12:00:00+08:00")
STORY = [complaint("T-1", "2026-11-16T09:00:00+08:00"),
         disputed("T-1", "2026-11-16T11:30:00+08:00", "logistics", reason="the store lost it",
                  event_id="dispute-1"),
         ruled("T-1", "2026-11-16T11:45:00+08:00", "dispute-1", "upheld", to="stores",
               reason="scan at the store", event_id="ruling-1")]


def told(top: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(department, ref type) -> (title, body) of the story's notifications."""
    result = replay(STORY, parse_config(top + POLICY), until=UNTIL)
    return {(n.data.department, n.data.ref_type): (n.data.title, n.data.body)
            for n in result.outputs if n.type == "notification.requested"}


def test_english_for_each_severity() -> None:
    en = told("")
    assert en[("logistics", "sla.warning")] == (
        "SLA at 50%: T-1 acknowledge",
        "Ticket T-1 has used 50% of its 2h acknowledge target (policy standard); due "
        "2026-11-16T11:00:00+08:00.")
    assert en[("logistics", "sla.breached")] == (
        "SLA breached: T-1 acknowledge",
        "Ticket T-1 missed its 2h acknowledge target (policy standard) at "
        "2026-11-16T11:00:00+08:00.")
    assert en[("stores", "penalty.assessed")] == (
        "Penalty: 10 CNY, 0 point(s) (complaint-levy)",
        "Ticket T-1: complaint-levy penalty of 10 CNY and 0 point(s).")
    assert en[("stores", "sla.dispute_ruled")] == (
        "Ticket given to you: T-1",
        "Ticket T-1 is now yours: the dispute of 物流部 was upheld (scan at the store).")
    assert en[("logistics", "penalty.reversed")][0] == "Penalty reversed: 10 CNY (complaint-levy)"


def test_chinese_for_each_severity_with_display_names_and_written_durations() -> None:
    zh = told("language: zh\n")
    assert zh[("logistics", "sla.warning")] == (
        "SLA 已用 50%：T-1 响应",
        "工单 T-1 的 2h 响应时限已用 50%（政策 standard），截止 2026-11-16 11:00。")
    assert zh[("logistics", "sla.breached")] == (
        "SLA 超时：T-1 响应",
        "工单 T-1 未在 2h 响应时限内完成（政策 standard），已于 2026-11-16 11:00 超时。")
    assert zh[("stores", "penalty.assessed")] == (
        "处罚：10 CNY，0 分（complaint-levy）",
        "工单 T-1：按规则 complaint-levy 罚款 10 CNY，扣 0 分。")
    assert zh[("logistics", "sla.dispute_ruled")] == (
        "申诉成立：T-1",
        "工单 T-1：你部门的申诉 dispute-1 成立（scan at the store），工单转至 门店运营部，"
        "你部门因此工单受到的处罚已撤销。")
    assert zh[("stores", "sla.dispute_ruled")] == (
        "工单转给你部门：T-1", "工单 T-1 现由你部门负责：物流部 的申诉成立（scan at the store）。")
    assert zh[("logistics", "penalty.reversed")][0] == "处罚已撤销：10 CNY（complaint-levy）"


def test_each_department_reads_its_own_language() -> None:
    config = parse_config(POLICY.replace("stores: {name: 门店运营部, calendar: office}",
                                         "stores: {name: 门店运营部, calendar: office, "
                                         "language: zh}"))
    result = replay(STORY, config, until=UNTIL)
    titles = {(n.data.department, n.data.ref_type): n.data.title for n in result.outputs
              if n.type == "notification.requested"}
    assert titles[("logistics", "sla.dispute_ruled")] == "Dispute upheld: T-1"
    assert titles[("stores", "sla.dispute_ruled")] == "工单转给你部门：T-1"


def test_an_assignees_penalty_names_the_assignee_in_both_languages() -> None:
    raw = example("penalty.assessed")
    raw["data"].update(charged_to="assignee", assignee="emp-logistics-007",
                       department="logistics")
    event = parse_event(json.dumps(raw), accept="any")
    config = parse_config(POLICY.replace("logistics: {name: 物流部, calendar: office}",
                                         "logistics: {name: 物流部, calendar: office, "
                                         "language: zh}"))
    [zh] = notifications_for(event, config)
    [en] = notifications_for(event)
    assert zh.data.body.endswith("，记在 emp-logistics-007 名下。")
    assert en.data.body.endswith(" charged to emp-logistics-007.")
    assert zh.id == en.id  # the words never change which notification it is


def test_replay_words_every_notification_the_same_way_twice() -> None:
    config = parse_config("language: zh\n" + POLICY)
    first, second = (replay(STORY, config, until=UNTIL).outputs for _ in range(2))
    assert [e.to_json() for e in first] == [e.to_json() for e in second]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", sorted(TEMPLATES))
def test_every_language_has_every_template_with_the_same_placeholders(language: str) -> None:
    en, table = TEMPLATES["en"], TEMPLATES[language]
    assert table.keys() == en.keys()
    assert {k: _fields(v) for k, v in table.items()} == {k: _fields(v) for k, v in en.items()}


def test_a_digest_groups_by_severity_breaches_first_and_stops_listing_at_30() -> None:
    items = [("penalty", f"Penalty {n}") for n in range(40)] + [("breach", "SLA breached: T-9")]
    title, body = digest_text("zh", "物流部", items)
    assert title == "物流部：41 条通知"
    lines = body.splitlines()
    assert lines[:3] == ["**超时**（1）", "- SLA breached: T-9", "**处罚**（40）"]
    assert len([line for line in lines if line.startswith("- ")]) == 30
    assert lines[-1] == "……另有 11 条"
    assert digest_text("en", "Logistics", [("info", "Dispute filed: T-2")]) == (
        "Logistics: 1 notification(s)", "**Information** (1)\n- Dispute filed: T-2")
