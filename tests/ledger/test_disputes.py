"""The disputes table: every dispute on the record, upheld or rejected, with who filed and
ruled it, why, and the reversals it caused, whatever order its events arrive in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import permutations

import pytest

from ledger import Ledger, disputes_for

from .conftest import Backend
from .events import dispute_filed, dispute_ruled, penalty, reversal

FILED = dispute_filed("f-1", "d-1", "T-1", department="logistics", holder="logistics",
                      filed_by="emp-logistics-003", reason="the store lost the parcel",
                      filed_at="2026-11-21T09:00:00+08:00")
UPHELD = dispute_ruled("r-1", "d-1", "T-1", department="logistics", outcome="upheld",
                       to_department="stores", ruled_by="cc-lead-02",
                       reason="store records show the parcel never left",
                       filed_at="2026-11-21T09:00:00+08:00",
                       ruled_at="2026-11-25T09:30:00+08:00")
REVERSALS = [
    reversal("rev-1", "p-1", "T-1", fine="650", points=2, dispute_id="d-1"),
    reversal("rev-2", "p-2", "T-1", fine="0.10", points=1, dispute_id="d-1"),
    reversal("rev-x", "p-x", "T-7", fine="99", points=9, dispute_id="d-other"),
]


def row(ledger: Ledger, ticket: str = "T-1") -> tuple:
    [dispute] = disputes_for(ledger.engine, ticket)
    return (dispute.dispute_id, dispute.department, dispute.holder, dispute.filed_by,
            dispute.reason, dispute.filed_at, dispute.outcome, dispute.to_department,
            dispute.ruled_by, dispute.ruling_reason, dispute.ruled_at, dispute.reversals,
            dispute.reversed_fine, dispute.reversed_points)


EXPECTED = ("d-1", "logistics", "logistics", "emp-logistics-003", "the store lost the parcel",
            datetime(2026, 11, 21, 1, 0, tzinfo=UTC), "upheld", "stores", "cc-lead-02",
            "store records show the parcel never left",
            datetime(2026, 11, 25, 1, 30, tzinfo=UTC), 2, Decimal("650.10"), 3)


@pytest.mark.parametrize("order", list(permutations(range(3))), ids=str)
def test_an_upheld_dispute_with_its_reversals_in_any_order(backend: Backend,
                                                           order: tuple[int, ...]) -> None:
    ledger = backend.fresh_ledger()
    parts = [[FILED], [UPHELD], REVERSALS]

    for index in order:
        ledger.record(parts[index])

    assert row(ledger) == EXPECTED


def test_a_rejected_dispute_is_on_the_record_without_reversals(ledger: Ledger) -> None:
    rejected = dispute_ruled("r-2", "d-2", "T-2", department="billing", outcome="rejected",
                             to_department=None, ruled_by="cc-lead-01",
                             reason="the double charge is billing's", filed_at=None,
                             ruled_at="2026-11-26T10:00:00+08:00")

    ledger.record([rejected, penalty("p-9", "T-2", "billing", None, "40", 1)])

    assert row(ledger, "T-2") == (
        "d-2", "billing", None, None, None, None, "rejected", None, "cc-lead-01",
        "the double charge is billing's", datetime(2026, 11, 26, 2, 0, tzinfo=UTC), 0,
        Decimal("0"), 0)


def test_a_dispute_is_recorded_once(ledger: Ledger) -> None:
    ledger.record([FILED, UPHELD, *REVERSALS])

    again = ledger.record([FILED, UPHELD, *REVERSALS])

    assert again.total_inserted == 0
    assert row(ledger) == EXPECTED
