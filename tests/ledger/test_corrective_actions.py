"""The corrective_actions table: an action opened, its fix declared and its review merge
into one row whatever order they arrive in, on SQLite and PostgreSQL; the list reads it
back by department and status."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import permutations

import pytest

from ledger import Ledger
from ledger.corrective_actions import action_status, corrective_actions, find_action

from .conftest import Backend
from .events import outbound

OPENED = outbound("corrective_action.opened", id="a-opened")
FIXED = outbound("sla.fix_declared", id="a-fix")
REVIEWED = outbound("corrective_action.reviewed", id="a-reviewed")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def row_of(ledger: Ledger) -> tuple:
    action = find_action(ledger.engine, "a41c-action")
    assert action is not None
    return (action.department, action.anchor_ticket, action.rule, action.category,
            action.opened_at, action.due_at, action.baseline_count, action.window,
            action.fix_id, action.what_changed, action.declared_by, action.fixed_at,
            action.reviewed_at, action.before_count, action.before_per_day,
            action.after_count, action.after_per_day, action.worked)


EXPECTED = ("logistics", "T-20261102-0042", "repeat-incident", "delivery.late",
            utc("2026-11-02T10:15:00+08:00"), utc("2026-11-09T10:15:00+08:00"), 5, "7d",
            "a-fix", "a second courier on the Pudong route from 4 November", "logistics-head",
            utc("2026-11-04T16:00:00+08:00"), utc("2026-11-18T16:00:00+08:00"), 9, 0.9741,
            2, 0.1429, True)


@pytest.mark.parametrize("order", list(permutations(range(3))), ids=str)
def test_opened_fixed_and_reviewed_merge_in_any_order(backend: Backend,
                                                      order: tuple[int, ...]) -> None:
    ledger = backend.fresh_ledger()
    parts = [OPENED, FIXED, REVIEWED]
    for index in order:
        ledger.record([parts[index]])
    assert row_of(ledger) == EXPECTED


def test_one_batch_with_all_three_and_a_redelivery_give_the_same_row(ledger: Ledger) -> None:
    ledger.record([REVIEWED, FIXED, OPENED])
    stats = ledger.record([OPENED, FIXED, REVIEWED])
    assert stats.total_inserted == 0
    assert row_of(ledger) == EXPECTED


def test_a_second_fix_does_not_replace_the_first(ledger: Ledger) -> None:
    again = outbound("sla.fix_declared", {"what_changed": "something else"}, id="a-fix-2")
    ledger.record([OPENED, FIXED])
    ledger.record([again])
    action = find_action(ledger.engine, "a41c-action")
    assert action is not None and (action.fix_id, action.what_changed) == (
        "a-fix", "a second courier on the Pudong route from 4 November")


def test_the_list_by_department_and_status(ledger: Ledger) -> None:
    other = outbound("corrective_action.opened", {"action_id": "b-action", "department":
                                                  "billing", "category": "billing.overcharge"},
                     id="b-opened")
    ledger.record([OPENED, other])
    engine = ledger.engine
    assert [a.action_id for a in corrective_actions(engine)] == ["a41c-action", "b-action"]
    assert [a.action_id for a in corrective_actions(engine, "billing")] == ["b-action"]
    assert [action_status(a) for a in corrective_actions(engine)] == ["open", "open"]
    ledger.record([FIXED])
    assert [a.action_id for a in corrective_actions(engine, status="fixed")] == ["a41c-action"]
    assert [a.action_id for a in corrective_actions(engine, status="open")] == ["b-action"]
    ledger.record([REVIEWED])
    assert [action_status(a) for a in corrective_actions(engine, "logistics")] == ["reviewed"]
