"""Business stories: every dispute and every ruling is on the record, and the departments
concerned are told, once each.

Policy: tests/sla/charges.yaml (delivery complaints go to logistics). Mon 2026-11-16.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sla.config import load_config
from sla.replay import ReplayResult, replay
from sla.testing import assigned, complaint, disputed, ruled

CONFIG = load_config(Path(__file__).with_name("charges.yaml"))
UNTIL = datetime.fromisoformat("2026-11-16T12:00:00+08:00")


def run(*events) -> ReplayResult:
    return replay([complaint("T-1", "2026-11-16T09:00:00+08:00"), *events], CONFIG, until=UNTIL)


def of(result: ReplayResult, kind: str) -> list:
    return [e for e in result.outputs if e.type == kind]


def told(result: ReplayResult, ref_type: str) -> list[tuple[str, str]]:
    """(department, title) of each notification about events of ``ref_type``."""
    return [(n.data.department, n.data.title) for n in of(result, "notification.requested")
            if n.data.ref_type == ref_type]


DISPUTE = disputed("T-1", "2026-11-16T10:00:00+08:00", "logistics", reason="the store lost it",
                   actor="emp-logistics-003", event_id="dispute-1")


def test_rejected_dispute_leaves_a_ruling_and_a_notification_and_changes_nothing_else() -> None:
    """The same story with and without the rejection differs by exactly the ruling on the
    record, the message to logistics and the worklist's snapshot that drops the "disputed"
    mark: no fine moves, no clock stops."""
    rejection = ruled("T-1", "2026-11-16T11:00:00+08:00", "dispute-1", "rejected",
                      reason="courier scan shows no delivery attempt", actor="qa-02",
                      event_id="ruling-1")
    without = run(DISPUTE)
    with_ruling = run(DISPUTE, rejection)
    added = {e.id: e for e in with_ruling.outputs}.keys() - {e.id for e in without.outputs}
    added_types = sorted(e.type for e in with_ruling.outputs if e.id in added)
    assert added_types == ["notification.requested", "sla.clocks_changed", "sla.dispute_ruled"]
    [snapshot] = [e for e in with_ruling.outputs if e.id in added
                  and e.type == "sla.clocks_changed"]
    assert not snapshot.data.disputed and snapshot.data.department == "logistics"
    assert {e.id for e in without.outputs} <= {e.id for e in with_ruling.outputs}
    [ruling] = of(with_ruling, "sla.dispute_ruled")
    data = ruling.data
    assert (data.dispute_id, data.department, data.outcome, data.to_department) == (
        "dispute-1", "logistics", "rejected", None)
    assert (data.ruled_by, data.reason, data.caused_by) == (
        "qa-02", "courier scan shows no delivery attempt", "ruling-1")
    assert data.filed_at == datetime.fromisoformat("2026-11-16T10:00:00+08:00")
    assert told(with_ruling, "sla.dispute_ruled") == [("logistics", "Dispute rejected: T-1")]
    assert with_ruling.tickets["T-1"].department == "logistics"
    assert with_ruling.tickets["T-1"].disputes == {}


def test_a_filed_dispute_is_on_the_record_with_who_filed_it_and_the_holder() -> None:
    result = run(DISPUTE)
    [filed] = of(result, "sla.dispute_filed")
    assert (filed.data.dispute_id, filed.data.department, filed.data.holder,
            filed.data.filed_by, filed.data.reason) == (
        "dispute-1", "logistics", "logistics", "emp-logistics-003", "the store lost it")
    assert told(result, "sla.dispute_filed") == []  # logistics knows what it filed


def test_the_holder_is_told_of_a_dispute_another_department_files() -> None:
    """Logistics disputes after the ticket was reassigned to billing: billing, which holds
    it, is told; logistics is not told of its own filing."""
    result = run(assigned("T-1", "2026-11-16T09:30:00+08:00", "billing"), DISPUTE)
    [filed] = of(result, "sla.dispute_filed")
    assert filed.data.holder == "billing"
    assert told(result, "sla.dispute_filed") == [("billing", "Dispute filed: T-1")]


def test_an_upheld_ruling_tells_the_disputing_and_the_new_department_once_each() -> None:
    result = run(DISPUTE, ruled("T-1", "2026-11-16T11:00:00+08:00", "dispute-1", "upheld",
                                to="stores", event_id="ruling-1"))
    [ruling] = of(result, "sla.dispute_ruled")
    assert (ruling.data.outcome, ruling.data.to_department) == ("upheld", "stores")
    assert sorted(told(result, "sla.dispute_ruled")) == [
        ("logistics", "Dispute upheld: T-1"), ("stores", "Ticket given to you: T-1")]
    notes = [n for n in of(result, "notification.requested")
             if n.data.ref_type == "sla.dispute_ruled"]
    assert len({n.id for n in notes}) == 2
    # the ruling is on the record before the hand-over it causes
    kinds = [e.type for e in result.outputs if e.time == ruling.time]
    assert kinds.index("sla.dispute_ruled") < kinds.index("sla.attributed")


def test_a_ruling_on_a_dispute_not_open_is_a_dead_letter_and_not_on_the_record() -> None:
    result = run(ruled("T-1", "2026-11-16T11:00:00+08:00", "no-such-dispute", "rejected"))
    assert of(result, "sla.dispute_ruled") == []
    [dead] = of(result, "event.rejected")
    assert "not open on this ticket" in dead.data.reason


def test_a_ruling_naming_an_unknown_department_leaves_the_dispute_open() -> None:
    """A mistyped upheld ruling is dead-lettered; the corrected one is ruled."""
    result = run(DISPUTE,
                 ruled("T-1", "2026-11-16T11:00:00+08:00", "dispute-1", "upheld", to="storez",
                       event_id="ruling-typo"),
                 ruled("T-1", "2026-11-16T11:05:00+08:00", "dispute-1", "upheld", to="stores",
                       event_id="ruling-fixed"))
    [dead] = of(result, "event.rejected")
    assert "unknown department 'storez'" in dead.data.reason
    [ruling] = of(result, "sla.dispute_ruled")
    assert (ruling.data.caused_by, ruling.data.to_department) == ("ruling-fixed", "stores")
    assert result.tickets["T-1"].department == "stores"
