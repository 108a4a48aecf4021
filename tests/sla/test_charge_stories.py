"""Business stories: who is charged for a complaint, and disputes on the record.

Policy (tests/sla/charges.yaml): office hours Mon-Fri 09:00-12:00 and 13:30-18:00;
acknowledge 2h, resolve 2d. Every complaint costs its owning department a 10 levy
(``charge: department``, assessed when it becomes the owner) and the person the owner
assigns it to 50 (``charge: assignee``, assessed when the charge settles); a late
resolution costs the owning department's assignee at breach time 500. Delivery
complaints go to logistics. Mon 2026-11-16 is an ordinary working Monday.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sla.config import load_config
from sla.replay import ReplayResult, replay
from sla.testing import (
    assigned,
    cancelled,
    closed,
    complaint,
    disputed,
    resolved,
    ruled,
    transferred,
)

CONFIG = load_config(Path(__file__).with_name("charges.yaml"))
AGENT = "agent-012"  # the contact-center agent who took the call


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run(*events, until: str) -> ReplayResult:
    return replay(list(events), CONFIG, until=at(until))


def of(result: ReplayResult, kind: str) -> list:
    return [e for e in result.outputs if e.type == kind]


def fines(result: ReplayResult) -> dict[tuple[str, str], tuple[Decimal, str, str | None, bool]]:
    """(department, rule) -> (fine, charged_to, assignee, reversed) of every penalty."""
    reversed_ids = {r.data.penalty_id for r in of(result, "penalty.reversed")}
    out = {}
    for p in of(result, "penalty.assessed"):
        key = (p.data.department, p.data.rule)
        assert key not in out, f"{key} charged twice"
        out[key] = (p.data.fine, p.data.charged_to, p.data.assignee, p.id in reversed_ids)
    return out


def logistics_complaint(ticket: str, when: str = "2026-11-16T09:00:00+08:00"):
    return complaint(ticket, when, assignee=AGENT)


def test_the_owners_assignee_pays_the_per_complaint_fine_once_assigned() -> None:
    """Agent-012 takes the call at 09:00; logistics owns it (levy 10 on the department at
    once) and assigns it to emp-logistics-017 at 09:40: the per-complaint 50 falls on
    them, assessed at 09:40. Nothing is charged to the agent."""
    result = run(logistics_complaint("T-1"),
                 assigned("T-1", "2026-11-16T09:40:00+08:00", "logistics", "emp-logistics-017"),
                 until="2026-11-16T10:00:00+08:00")
    [settled] = of(result, "sla.charge_settled")
    assert (settled.data.department, settled.data.assignee, settled.data.settled_by) == (
        "logistics", "emp-logistics-017", "assignment")
    assert settled.data.attributed_at == at("2026-11-16T09:00:00+08:00")
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, False),
        ("logistics", "per-complaint"): (50, "assignee", "emp-logistics-017", False),
    }
    [per_complaint] = [p for p in of(result, "penalty.assessed") if p.data.rule == "per-complaint"]
    assert per_complaint.data.assessed_at == at("2026-11-16T09:40:00+08:00")


def test_a_ticket_never_assigned_charges_the_department_at_close() -> None:
    """Logistics works the ticket without ever assigning it; it is resolved Mon 11:00 and
    closed Tue 10:00: the per-complaint fine settles then, on the department."""
    result = run(logistics_complaint("T-2"),
                 resolved("T-2", "2026-11-16T11:00:00+08:00"),
                 closed("T-2", "2026-11-17T10:00:00+08:00"),
                 until="2026-11-18T00:00:00+08:00")
    [settled] = of(result, "sla.charge_settled")
    assert (settled.data.settled_by, settled.data.assignee, settled.data.settled_at) == (
        "close", None, at("2026-11-17T10:00:00+08:00"))
    assert fines(result)[("logistics", "per-complaint")] == (50, "department", None, False)


def test_a_cancelled_ticket_never_assigned_charges_the_department_at_cancellation() -> None:
    result = run(logistics_complaint("T-3"), cancelled("T-3", "2026-11-16T09:30:00+08:00"),
                 until="2026-11-16T10:00:00+08:00")
    [settled] = of(result, "sla.charge_settled")
    assert (settled.data.settled_by, settled.data.assignee) == ("cancel", None)
    assert fines(result)[("logistics", "per-complaint")] == (50, "department", None, False)


def test_a_contact_center_agent_is_never_charged_for_another_department() -> None:
    """Agent-012 took the call. Logistics never assigns the ticket and misses its 2d
    resolve target (Mon 09:00 -> Wed 09:00): the breach and its fine name nobody, the
    department pays. The agent appears in no outcome at all."""
    result = run(logistics_complaint("T-4"), until="2026-11-18T12:00:00+08:00")
    [attribution] = of(result, "sla.attributed")
    assert attribution.data.assignee is None
    [breach] = [b for b in of(result, "sla.breached") if b.data.metric == "resolve"]
    assert (breach.data.breached_at, breach.data.assignee) == (
        at("2026-11-18T09:00:00+08:00"), None)
    assert fines(result)[("logistics", "late-resolution")] == (500, "department", None, False)
    assert not [e for e in result.outputs if AGENT in e.to_json()]


def test_a_breach_is_charged_to_the_owning_departments_assignee_at_breach_time() -> None:
    """Logistics assigns emp-logistics-017, then reassigns inside the department to
    emp-logistics-020 on Tuesday: the per-complaint fine stays where it settled, the
    breach on Wednesday falls on the assignee of that moment."""
    result = run(logistics_complaint("T-5"),
                 assigned("T-5", "2026-11-16T09:10:00+08:00", "logistics", "emp-logistics-017"),
                 assigned("T-5", "2026-11-17T09:00:00+08:00", "logistics", "emp-logistics-020"),
                 until="2026-11-18T12:00:00+08:00")
    assert len(of(result, "sla.charge_settled")) == 1
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, False),
        ("logistics", "per-complaint"): (50, "assignee", "emp-logistics-017", False),
        ("logistics", "late-resolution"): (500, "assignee", "emp-logistics-020", False),
    }


def test_dispute_upheld_moves_the_charge_to_the_new_departments_assignee() -> None:
    """Logistics assigns emp-logistics-017 (settled: 50 on them), disputes Monday 14:00, and
    the contact center upholds it Tuesday 10:00, giving the ticket to stores, which
    assigns emp-stores-005 at 10:30. Logistics' fines are reversed; stores owes its own
    levy, its per-complaint fine and its late resolution (2d from Tue 10:00: Thu 10:00)
    fall on emp-stores-005, never on the logistics employee."""
    result = run(
        logistics_complaint("T-6"),
        assigned("T-6", "2026-11-16T09:10:00+08:00", "logistics", "emp-logistics-017"),
        disputed("T-6", "2026-11-16T14:00:00+08:00", "logistics", event_id="dispute-6"),
        ruled("T-6", "2026-11-17T10:00:00+08:00", "dispute-6", "upheld", to="stores"),
        assigned("T-6", "2026-11-17T10:30:00+08:00", "stores", "emp-stores-005"),
        until="2026-11-19T11:00:00+08:00",
    )
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, True),
        ("logistics", "per-complaint"): (50, "assignee", "emp-logistics-017", True),
        ("stores", "complaint-levy"): (10, "department", None, False),
        ("stores", "per-complaint"): (50, "assignee", "emp-stores-005", False),
        ("stores", "late-resolution"): (500, "assignee", "emp-stores-005", False),
    }
    [late] = [p for p in of(result, "penalty.assessed") if p.data.rule == "late-resolution"]
    assert late.data.assessed_at == at("2026-11-19T10:00:00+08:00")
    settled = [(s.data.department, s.data.assignee, s.data.settled_by)
               for s in of(result, "sla.charge_settled")]
    assert settled == [("logistics", "emp-logistics-017", "assignment"),
                       ("stores", "emp-stores-005", "assignment")]
    assert result.tickets["T-6"].assignee == "emp-stores-005"


def test_an_upheld_dispute_before_assignment_settles_nothing_for_the_disputing_owner() -> None:
    """Logistics disputes before assigning anyone; upheld: its charge is dropped (it was not
    the owner after all), its levy reversed. Stores never assigns; closed Thursday: stores'
    per-complaint fine falls on the department."""
    result = run(
        logistics_complaint("T-7"),
        disputed("T-7", "2026-11-16T09:20:00+08:00", "logistics", event_id="dispute-7"),
        ruled("T-7", "2026-11-16T11:00:00+08:00", "dispute-7", "upheld", to="stores"),
        resolved("T-7", "2026-11-17T11:00:00+08:00"),
        closed("T-7", "2026-11-19T10:00:00+08:00"),
        until="2026-11-19T12:00:00+08:00",
    )
    settled = [(s.data.department, s.data.assignee, s.data.settled_by)
               for s in of(result, "sla.charge_settled")]
    assert settled == [("stores", None, "close")]
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, True),
        ("stores", "complaint-levy"): (10, "department", None, False),
        ("stores", "per-complaint"): (50, "department", None, False),
    }


def test_a_reassignment_and_a_transfer_with_per_complaint_fines() -> None:
    """09:00 logistics owns the complaint (levy 10). 09:20 the contact center reassigns it
    to billing: not logistics' complaint after all, its levy is reversed and nothing
    settles for it. Billing owns it (levy 10), assigns emp-billing-004 at 09:40 (50 on
    them) and re-assigns inside billing at 09:50 (the settled charge does not move).
    10:00 billing transfers it to stores with emp-stores-002: a hand-over of the work,
    not of the blame, so billing keeps its fines and stores owes no per-complaint fine;
    stores' late resolution (Wed 10:00) falls on emp-stores-002."""
    result = run(
        logistics_complaint("T-8"),
        assigned("T-8", "2026-11-16T09:20:00+08:00", "billing"),
        assigned("T-8", "2026-11-16T09:40:00+08:00", "billing", "emp-billing-004"),
        assigned("T-8", "2026-11-16T09:50:00+08:00", "billing", "emp-billing-009"),
        transferred("T-8", "2026-11-16T10:00:00+08:00", to="stores", assignee="emp-stores-002"),
        until="2026-11-18T12:00:00+08:00",
    )
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, True),
        ("billing", "complaint-levy"): (10, "department", None, False),
        ("billing", "per-complaint"): (50, "assignee", "emp-billing-004", False),
        ("stores", "late-resolution"): (500, "assignee", "emp-stores-002", False),
    }
    [reversal] = of(result, "penalty.reversed")
    assert (reversal.data.department, reversal.data.reason) == ("logistics", "ticket reassigned")
    settled = [(s.data.department, s.data.assignee) for s in of(result, "sla.charge_settled")]
    assert settled == [("billing", "emp-billing-004")]


def test_a_transfer_before_any_assignment_settles_the_charge_on_the_department() -> None:
    """Logistics never assigns the ticket and transfers it to billing at 10:00: logistics'
    per-complaint fine settles then, on the department; billing owes none."""
    result = run(logistics_complaint("T-9"),
                 transferred("T-9", "2026-11-16T10:00:00+08:00", to="billing",
                             assignee="emp-billing-004"),
                 until="2026-11-16T11:00:00+08:00")
    [settled] = of(result, "sla.charge_settled")
    assert (settled.data.department, settled.data.settled_by, settled.data.assignee) == (
        "logistics", "transfer", None)
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, False),
        ("logistics", "per-complaint"): (50, "department", None, False),
    }


def test_an_assignment_naming_a_new_department_and_its_assignee_settles_at_once() -> None:
    result = run(logistics_complaint("T-10"),
                 assigned("T-10", "2026-11-16T09:30:00+08:00", "billing", "emp-billing-004"),
                 until="2026-11-16T10:00:00+08:00")
    [settled] = of(result, "sla.charge_settled")
    assert (settled.data.department, settled.data.assignee, settled.data.settled_at) == (
        "billing", "emp-billing-004", at("2026-11-16T09:30:00+08:00"))
    assert settled.data.attributed_at == settled.data.settled_at


def test_a_department_that_gets_a_ticket_back_is_not_charged_again() -> None:
    """Logistics -> billing (reassigned) -> logistics again with emp-logistics-017: penalty
    ids are per (ticket, department, rule), so logistics' reversed levy stays reversed
    and no charge opens for it a second time."""
    result = run(logistics_complaint("T-11"),
                 assigned("T-11", "2026-11-16T09:20:00+08:00", "billing"),
                 assigned("T-11", "2026-11-16T09:40:00+08:00", "logistics", "emp-logistics-017"),
                 until="2026-11-16T10:00:00+08:00")
    assert of(result, "sla.charge_settled") == []
    assert fines(result) == {
        ("logistics", "complaint-levy"): (10, "department", None, True),
        ("billing", "complaint-levy"): (10, "department", None, True),
    }


def test_the_holder_loses_the_ticket_to_another_departments_upheld_dispute() -> None:
    """Logistics disputes its attribution at 09:10; at 09:20 the contact center reassigns
    the ticket to stores anyway (logistics' charge dropped). At 10:00 the ruling upholds
    logistics' dispute and gives the ticket to billing. Stores held it unassigned and
    filed nothing: like the levy it owes, its charge stands, settled on the department
    (``dispute``)."""
    result = run(logistics_complaint("T-12"),
                 disputed("T-12", "2026-11-16T09:10:00+08:00", "logistics",
                          event_id="dispute-12"),
                 assigned("T-12", "2026-11-16T09:20:00+08:00", "stores"),
                 ruled("T-12", "2026-11-16T10:00:00+08:00", "dispute-12", "upheld",
                       to="billing"),
                 until="2026-11-16T11:00:00+08:00")
    settled = [(s.data.department, s.data.settled_by, s.data.assignee)
               for s in of(result, "sla.charge_settled")]
    assert settled == [("stores", "dispute", None)]
    assert fines(result)[("stores", "per-complaint")] == (50, "department", None, False)
