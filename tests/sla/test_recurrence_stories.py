"""Business stories: a category that keeps coming back opens a corrective action for its
department; the department declares its fix; repeats after the fix are fined; the review
says whether the fix worked.

Policy: tests/sla/recurrence.yaml (five delivery complaints of one category within 7 days
open an action due in 5 working days; 200 and 3 points per repeat after the fix; reviewed
14 days after the fix, worked below half the rate before). November 2026 has no holidays.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sla.codec import decode_book, encode_book
from sla.config import load_config
from sla.penalties import PenaltyBook
from sla.replay import ReplayResult, replay, run_penalties
from sla.testing import assigned, complaint, fixed

CONFIG = load_config(Path(__file__).with_name("recurrence.yaml"))
WEEK = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]  # Mon-Fri


def late(ticket: str, day: str, hour: str = "10:00", category: str = "delivery.late"):
    return complaint(ticket, f"{day}T{hour}:00+08:00", category=category,
                     event_id=f"crm-{ticket}")


def a_week_of_late_deliveries() -> list:
    return [late(f"T-{n}", day) for n, day in enumerate(WEEK, 1)]


def run(*events, until: str = "2026-11-30T12:00:00+08:00") -> ReplayResult:
    return replay(list(events), CONFIG, until=datetime.fromisoformat(until))


def of(result: ReplayResult, kind: str) -> list:
    return [e for e in result.outputs if e.type == kind]


def opened_action(result: ReplayResult):
    [action] = of(result, "corrective_action.opened")
    return action


def fines_of(result: ReplayResult, rule: str) -> list[tuple[str, Decimal, int]]:
    return [(p.subject, p.data.fine, p.data.points) for p in of(result, "penalty.assessed")
            if p.data.rule == rule]


def test_five_late_deliveries_in_a_week_open_a_corrective_action_for_logistics() -> None:
    result = run(*a_week_of_late_deliveries())
    action = opened_action(result)
    d = action.data
    assert (d.rule, d.department, d.category, d.anchor_ticket) == (
        "repeat-incident", "logistics", "delivery.late", "T-5")
    assert d.opened_at == datetime.fromisoformat("2026-11-06T10:00:00+08:00")
    # 5 working days later at the same clock time: the next Friday
    assert d.due_at == datetime.fromisoformat("2026-11-13T10:00:00+08:00")
    assert (d.baseline_count, d.window, d.due) == (5, "7d", "5d")
    assert action.subject == "T-5" and action.time == d.opened_at
    [note] = [n for n in of(result, "notification.requested") if n.data.ref_id == action.id]
    assert note.data.department == "logistics" and note.data.severity == "warning"
    assert "5 complaints of delivery.late within 7d" in note.data.body
    assert "2026-11-13T10:00:00+08:00" in note.data.body
    assert not fines_of(result, "repeat-after-fix")  # no fix yet: nothing is a repeat


def test_complaints_spread_wider_than_the_window_or_over_categories_open_nothing() -> None:
    spread = [late(f"T-{n}", day) for n, day in enumerate(
        ["2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09", "2026-11-11"], 1)]
    # 1st to 5th: 9 days apart; any 7-day window holds at most 4 of them
    assert not of(run(*spread), "corrective_action.opened")
    mixed = [late(f"T-{n}", day, category="delivery.late" if n % 2 else "delivery.lost")
             for n, day in enumerate(WEEK, 1)]
    assert not of(run(*mixed), "corrective_action.opened")
    billing = [late(f"T-{n}", day, category="billing.double") for n, day in enumerate(WEEK, 1)]
    assert not of(run(*billing), "corrective_action.opened")  # no rule watches billing


def test_an_open_action_is_not_opened_twice_while_complaints_keep_coming() -> None:
    more = [late(f"T-{n}", "2026-11-09", f"1{n - 6}:00") for n in range(6, 12)]
    result = run(*a_week_of_late_deliveries(), *more)
    assert opened_action(result).data.anchor_ticket == "T-5"


def story_with_fix(*after_fix) -> ReplayResult:
    action_id = opened_action(run(*a_week_of_late_deliveries())).data.action_id
    fix = fixed("T-5", "2026-11-09T10:00:00+08:00", action_id, "logistics",
                what_changed="second courier on the Pudong route", actor="logistics-head",
                event_id="fix-1")
    return run(*a_week_of_late_deliveries(), fix, *after_fix)


def test_the_declared_fix_is_on_the_record_and_repeats_after_it_are_fined() -> None:
    result = story_with_fix(late("T-6", "2026-11-10"), late("T-7", "2026-11-18"))
    [declared] = of(result, "sla.fix_declared")
    d = declared.data
    assert (d.action_id, d.department, d.what_changed, d.declared_by, d.caused_by) == (
        opened_action(result).data.action_id, "logistics", "second courier on the Pudong route",
        "logistics-head", "fix-1")
    assert declared.subject == "T-5"
    assert fines_of(result, "repeat-after-fix") == [
        ("T-6", Decimal(200), 3), ("T-7", Decimal(200), 3)]
    [fine] = [p for p in of(result, "penalty.assessed") if p.subject == "T-6"
              and p.data.rule == "repeat-after-fix"]
    assert (fine.data.trigger, fine.data.action_id) == ("recurrence", d.action_id)
    # complaints before the fix were only counted
    assert {s for s, _, _ in fines_of(result, "complaint-levy")} == {f"T-{n}" for n in range(1, 8)}


def test_the_review_says_the_fix_worked_when_repeats_fell_below_half_the_rate() -> None:
    result = story_with_fix(late("T-6", "2026-11-10"), late("T-7", "2026-11-18"),
                            late("T-8", "2026-11-24"))  # the trigger after the window
    [review] = of(result, "corrective_action.reviewed")
    d = review.data
    # before: 5 complaints from the window's start (7 days before the opening) to the fix,
    # 10 days; after: 2 in the 14 days after the fix
    assert (d.baseline_count, d.baseline_seconds, d.baseline_per_day) == (5, 10 * 86400, 0.5)
    assert (d.review_count, d.review_seconds, d.review_per_day) == (2, 14 * 86400, 0.1429)
    assert d.worked is True
    assert review.time == d.reviewed_at == datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    # T-8 came after the review window: not a repeat of this action
    assert [s for s, _, _ in fines_of(result, "repeat-after-fix")] == ["T-6", "T-7"]
    [note] = [n for n in of(result, "notification.requested") if n.data.ref_id == review.id]
    assert note.data.title == "Corrective action worked: delivery.late"


def test_the_review_says_it_did_not_work_when_the_category_keeps_coming_back() -> None:
    repeats = [late(f"T-{n}", day) for n, day in enumerate(
        ["2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13", "2026-11-16",
         "2026-11-17", "2026-11-18"], 6)]
    result = story_with_fix(*repeats, late("T-20", "2026-11-30"))
    [review] = of(result, "corrective_action.reviewed")
    assert (review.data.review_count, review.data.worked) == (7, False)  # 0.5/day, as before
    assert len(fines_of(result, "repeat-after-fix")) == 7


def test_the_review_waits_for_the_departments_next_trigger() -> None:
    """Reviewed at event time, when the department's next trigger shows the window over:
    without one, nothing is reviewed yet."""
    result = story_with_fix(late("T-6", "2026-11-10"))
    assert not of(result, "corrective_action.reviewed")


def test_a_fix_for_no_open_action_changes_nothing() -> None:
    stray = fixed("T-5", "2026-11-09T10:00:00+08:00", "no-such-action", "logistics")
    result = run(*a_week_of_late_deliveries(), stray, late("T-6", "2026-11-10"))
    assert of(result, "sla.fix_declared")  # on the record all the same
    assert not fines_of(result, "repeat-after-fix")


def test_a_repeat_reassigned_away_has_its_recurrence_fine_reversed() -> None:
    result = story_with_fix(late("T-6", "2026-11-10"),
                            assigned("T-6", "2026-11-10T11:00:00+08:00", "stores"))
    [fine] = [p for p in of(result, "penalty.assessed") if p.data.rule == "repeat-after-fix"]
    assert fine.id in {r.data.penalty_id for r in of(result, "penalty.reversed")}


def test_a_book_encoded_mid_story_continues_exactly_like_the_original() -> None:
    """The stream stores books as JSON between drains: decode(encode(book)) must give the
    same actions, fines and review as a book that never left memory."""
    result = story_with_fix(late("T-6", "2026-11-10"), late("T-7", "2026-11-18"),
                            late("T-8", "2026-11-24"))
    triggers = sorted((e for e in result.outputs if e.type in (
        "sla.attributed", "sla.fix_declared")), key=lambda e: (e.time, e.id))
    whole, expected = run_penalties(triggers, CONFIG)
    _, first = run_penalties(triggers[:7], CONFIG)
    book = run_penalties(triggers[:7], CONFIG)[0]["logistics"]
    assert book.recurrence  # an action, fixed, mid-story
    copy = decode_book(encode_book(book), by_ticket=book.by_ticket)
    from sla.penalties import PenaltyEngine

    engine = PenaltyEngine(CONFIG)
    rest = [out for e in triggers[7:] for out in engine.apply(copy, e)]
    assert [e.to_json() for e in first + rest] == [e.to_json() for e in expected]
    assert encode_book(copy) == encode_book(whole["logistics"])


def test_a_book_stored_before_recurrence_was_tracked_decodes_with_no_watches() -> None:
    old = encode_book(PenaltyBook("logistics"))
    del old["recurrence"]
    assert decode_book(old).recurrence == {}
