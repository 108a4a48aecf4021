"""A paid month never changes: the story of issue 11, from the policy's own replay.

A late parcel in October costs logistics a per-complaint fine (on the employee it assigned)
and a late-resolution fine (on the department). HR pays October and closes it. Logistics
disputes; in November the contact center upholds the dispute and moves the ticket to stores.
October's payroll reads the same, byte for byte; November carries the two corrections as
adjustment lines referencing October; and over both months the ledger pays exactly what
replay says is owed: the penalties assessed, net of the reversed ones.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger import Ledger
from ledger.payroll import payroll_lines, payroll_totals_all_periods
from sla.config import load_config
from sla.replay import replay_lines
from tests.ledger.cli import CONFIG, report_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICKET = "T-20261020-0001"


def inbound(event_id: str, kind: str, at: str, data: dict) -> bytes:
    return json.dumps({"specversion": "1.0", "id": event_id, "source": "crm", "type": kind,
                       "time": at, "subject": TICKET, "data": data}).encode()


LOG = [
    inbound("crm-1", "complaint.received", "2026-10-20T10:15:00+08:00", {
        "customer_ref": "cust-8f3a", "channel": "phone", "category": "delivery.late",
        "priority": "P3", "assignee": "cc-agent-031"}),
    inbound("crm-2", "ticket.assigned", "2026-10-20T10:40:00+08:00",
            {"department": "logistics", "assignee": "emp-logistics-017"}),
    inbound("crm-3", "ticket.acknowledged", "2026-10-20T11:00:00+08:00", {}),
    inbound("crm-4", "ticket.resolved", "2026-10-27T16:00:00+08:00", {}),
    inbound("crm-5", "ticket.closed", "2026-10-28T09:00:00+08:00", {}),
    inbound("crm-6", "attribution.disputed", "2026-10-30T09:30:00+08:00", {
        "department": "logistics", "reason": "the store never handed the parcel over"}),
    inbound("crm-7", "dispute.ruled", "2026-11-03T15:00:00+08:00", {
        "dispute_id": "crm-6", "outcome": "upheld", "to_department": "stores",
        "reason": "store records show the parcel never left"}),
]
NOVEMBER = datetime(2026, 11, 1, tzinfo=SHANGHAI)


def exports(ledger: Ledger, folder: Path) -> list[bytes]:
    folder.mkdir()
    return [report_bytes(ledger, "2026-10", "--format", "csv", "--by", "employee"),
            report_bytes(ledger, "2026-10", "--format", "csv", "--detail"),
            report_bytes(ledger, "2026-10", "--format", "xlsx", out=folder / "october.xlsx")]


def owed(outputs: list) -> tuple[Decimal, int]:
    """Fines and points of the penalties replay assessed and never reversed."""
    reversed_ids = {e.data.penalty_id for e in outputs if e.type == "penalty.reversed"}
    kept = [e.data for e in outputs
            if e.type == "penalty.assessed" and e.id not in reversed_ids]
    return sum((d.fine for d in kept), Decimal(0)), sum(d.points for d in kept)


def test_a_closed_october_reads_the_same_after_a_november_ruling(
        ledger: Ledger, tmp_path: Path) -> None:
    outputs = replay_lines(LOG, load_config(CONFIG)).outputs
    october = [e for e in outputs if e.time < NOVEMBER]
    november = [e for e in outputs if e.time >= NOVEMBER]
    assert {e.type for e in november} >= {"penalty.reversed", "penalty.assessed"}

    ledger.record(october)
    ledger.close_period("2026-10", by="hr-li.na", now=datetime(2026, 11, 2, tzinfo=SHANGHAI))
    paid = exports(ledger, tmp_path / "paid")
    ledger.record(november)

    assert exports(ledger, tmp_path / "later") == paid
    lines = payroll_lines(ledger.engine, "2026-11")
    adjustments = {(line.employee, line.net_fine, line.original_period)
                   for line in lines if line.status == "adjustment"}
    assert adjustments == {("emp-logistics-017", Decimal(-50), "2026-10"),
                           (None, Decimal(-500), "2026-10")}
    charged = [(line.department, line.employee, line.net_fine) for line in lines
               if line.status == "charged"]
    assert charged == [("stores", None, Decimal(50))]  # stores never assigned: it pays
    assert payroll_totals_all_periods(ledger.engine) == {"CNY": owed(outputs)}
