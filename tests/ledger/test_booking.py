"""Booking stories: a month HR has closed (and paid) never changes; corrections land as
adjustments in the first open month; the months always add up to the net penalties.

Run on SQLite and PostgreSQL (the ``ledger`` fixture). Months are in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import insert, select

from ledger import Ledger, net_penalties, payroll_lines, payroll_totals_all_periods
from ledger.migrations import alembic_config
from ledger.tables import LedgerEvent, LedgerLine, Penalty

from .cli import report_bytes
from .conftest import TIMEZONE, Backend
from .events import breach, dispute_filed, dispute_ruled, penalty, reversal

SHANGHAI = ZoneInfo(TIMEZONE)
EARLY_NOVEMBER = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
EARLY_DECEMBER = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)

#: October: a late-resolution fine on emp-logistics-017 (after a breach) and a per-complaint
#: fine on the billing department itself.
OCTOBER = [
    breach("b-1", "T-1", "logistics", "resolve", "2026-10-20T10:15:00+08:00",
           policy="standard"),
    penalty("p-1", "T-1", "logistics", "emp-logistics-017", "650", 2, period="2026-10",
            breach_id="b-1", assessed_at="2026-10-20T10:15:00+08:00"),
    penalty("p-2", "T-2", "billing", None, "100", 1, period="2026-10", trigger="complaint",
            rule="per-complaint", breach_id=None, metric=None,
            assessed_at="2026-10-21T11:00:00+08:00"),
]
#: 3 November: logistics disputes T-1; the contact center upholds it, moving the ticket to
#: stores, which reverses the October fine.
NOVEMBER_DISPUTE = [
    dispute_filed("f-1", "d-1", "T-1", department="logistics", holder="logistics",
                  filed_at="2026-11-02T09:00:00+08:00"),
    dispute_ruled("r-1", "d-1", "T-1", department="logistics", outcome="upheld",
                  to_department="stores", ruled_at="2026-11-03T09:30:00+08:00"),
    reversal("rev-1", "p-1", "T-1", fine="650", points=2, dispute_id="d-1",
             reversed_at="2026-11-03T09:30:00+08:00"),
    penalty("p-3", "T-1", "stores", "emp-stores-004", "300", 1, period="2026-11",
            assessed_at="2026-11-03T09:30:00+08:00"),
]


def lines_of(ledger: Ledger, period: str) -> list[tuple]:
    """(status, penalty, fine, points, original period, reversal, dispute) of each line."""
    return [(line.status, line.penalty_id, line.net_fine, line.net_points,
             line.original_period, line.reversal_id, line.dispute_id)
            for line in payroll_lines(ledger.engine, period)]


def assert_months_add_up_to_the_net_penalties(ledger: Ledger) -> None:
    assert payroll_totals_all_periods(ledger.engine) == net_penalties(ledger.engine)


def exports(ledger: Ledger, period: str, folder: Path) -> dict[str, bytes]:
    """Every export of ``period``: summary CSV per department and per employee, detail
    CSV, the Excel CSV and the xlsx workbook."""
    folder.mkdir(exist_ok=True)
    return {
        "csv": report_bytes(ledger, period, "--format", "csv"),
        "csv by employee": report_bytes(ledger, period, "--format", "csv", "--by", "employee"),
        "detail csv": report_bytes(ledger, period, "--format", "csv", "--detail"),
        "excel csv": report_bytes(ledger, period, "--format", "csv", "--excel", "--detail"),
        "xlsx": report_bytes(ledger, period, "--format", "xlsx", out=folder / "p.xlsx"),
    }


def test_a_dispute_upheld_after_october_closed_is_an_adjustment_in_november(
        ledger: Ledger, tmp_path: Path) -> None:
    ledger.record(OCTOBER)
    ledger.close_period("2026-10", by="hr-alice", now=EARLY_NOVEMBER)
    paid = exports(ledger, "2026-10", tmp_path / "before")

    stats = ledger.record(NOVEMBER_DISPUTE)

    assert exports(ledger, "2026-10", tmp_path / "after") == paid  # byte for byte
    assert lines_of(ledger, "2026-10") == [
        ("charged", "p-2", Decimal("100"), 1, None, None, None),
        ("charged", "p-1", Decimal("650"), 2, None, None, None),
    ]
    assert lines_of(ledger, "2026-11") == [
        ("adjustment", "p-1", Decimal("-650"), -2, "2026-10", "rev-1", "d-1"),
        ("charged", "p-3", Decimal("300"), 1, None, None, None),
    ]
    assert (stats.reversals_applied, stats.adjustments) == (1, 1)
    assert_months_add_up_to_the_net_penalties(ledger)
    assert net_penalties(ledger.engine) == {"CNY": (Decimal("400"), 2)}


def test_october_reads_the_same_before_the_ruling_if_it_came_while_october_was_open(
        ledger: Ledger) -> None:
    ledger.record([*OCTOBER, *NOVEMBER_DISPUTE])  # nothing closed yet

    assert lines_of(ledger, "2026-10") == [
        ("charged", "p-2", Decimal("100"), 1, None, None, None),
        ("reversed", "p-1", Decimal("0"), 0, None, "rev-1", "d-1"),
    ]
    assert lines_of(ledger, "2026-11") == [
        ("charged", "p-3", Decimal("300"), 1, None, None, None)]
    assert_months_add_up_to_the_net_penalties(ledger)


def test_a_late_penalty_for_closed_months_lands_in_the_first_open_one(ledger: Ledger) -> None:
    ledger.record(OCTOBER)
    ledger.close_period("2026-09", by="hr-alice", now=EARLY_NOVEMBER)
    ledger.close_period("2026-10", by="hr-alice", now=EARLY_NOVEMBER)

    stats = ledger.record([penalty("p-9", "T-9", "network", "emp-network-001", "80", 1,
                                   period="2026-09")])

    assert stats.adjustments == 1
    assert lines_of(ledger, "2026-09") == []
    assert lines_of(ledger, "2026-11") == [
        ("adjustment", "p-9", Decimal("80"), 1, "2026-09", None, None)]
    assert_months_add_up_to_the_net_penalties(ledger)


def test_after_a_reopen_corrections_land_in_the_month_itself_again(ledger: Ledger) -> None:
    """Decided: reopening changes where corrections recorded from then on are booked;
    lines already booked in later months stay there (another month's report)."""
    ledger.record(OCTOBER)
    ledger.close_period("2026-10", by="hr-alice", now=EARLY_NOVEMBER)
    ledger.record([penalty("p-4", "T-4", "stores", None, "50", 1, period="2026-10")])
    ledger.reopen_period("2026-10", by="hr-bob", reason="ruling of 3 Nov paid in October",
                         now=EARLY_NOVEMBER)

    ledger.record([
        reversal("rev-1", "p-1", "T-1", reversed_at="2026-11-03T09:30:00+08:00"),
        penalty("p-5", "T-5", "stores", None, "70", 1, period="2026-10"),
        reversal("rev-4", "p-4", "T-4", reversed_at="2026-11-04T09:30:00+08:00"),
    ])
    ledger.close_period("2026-10", by="hr-alice", now=EARLY_DECEMBER)

    assert lines_of(ledger, "2026-10") == [
        ("charged", "p-2", Decimal("100"), 1, None, None, None),
        ("reversed", "p-1", Decimal("0"), 0, None, "rev-1", "crm-11"),
        ("charged", "p-5", Decimal("70"), 1, None, None, None),
    ]
    assert lines_of(ledger, "2026-11") == [
        ("adjustment", "p-4", Decimal("50"), 1, "2026-10", None, None),
        ("adjustment", "p-4", Decimal("-50"), -1, "2026-10", "rev-4", "crm-11"),
    ]
    assert_months_add_up_to_the_net_penalties(ledger)


def test_after_a_close_the_order_of_a_late_penalty_and_its_reversal_does_not_matter(
        backend: Backend) -> None:
    late = penalty("p-8", "T-8", "billing", "emp-billing-002", "20", 1, period="2026-10")
    undo = reversal("rev-8", "p-8", "T-8", reversed_at="2026-11-05T10:00:00+08:00")
    booked = []
    for order in ([late, undo], [undo, late]):
        ledger = backend.fresh_ledger()
        ledger.close_period("2026-10", by="hr-alice", now=EARLY_NOVEMBER)
        for event in order:
            ledger.record([event])
        booked.append(lines_of(ledger, "2026-11"))
        assert lines_of(ledger, "2026-10") == []
        assert_months_add_up_to_the_net_penalties(ledger)

    assert booked[0] == booked[1] == [
        ("adjustment", "p-8", Decimal("20"), 1, "2026-10", None, None),
        ("adjustment", "p-8", Decimal("-20"), -1, "2026-10", "rev-8", "crm-11"),
    ]


def test_recording_october_again_after_its_close_books_nothing(ledger: Ledger) -> None:
    ledger.record(OCTOBER)
    ledger.close_period("2026-10", by="hr-alice", now=EARLY_NOVEMBER)

    again = ledger.record(OCTOBER)

    assert (again.total_inserted, again.adjustments) == (0, 0)
    assert [line[0] for line in lines_of(ledger, "2026-11")] == []


def test_upgrading_a_ledger_books_its_penalties_in_their_own_months(backend: Backend) -> None:
    url = backend.fresh_url()
    with Ledger(url, timezone=TIMEZONE) as ledger, ledger.engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0001")
    with Ledger(url, timezone=TIMEZONE) as ledger:
        _write_as_revision_0001(ledger)

        assert ledger.migrate() == ledger.head()

        assert lines_of(ledger, "2026-10") == [
            ("charged", "p-2", Decimal("100"), 1, None, None, None),
            ("reversed", "p-1", Decimal("0"), 0, None, "rev-1", "d-1"),
        ]
        with ledger.engine.connect() as conn:
            employee = conn.execute(select(LedgerLine.employee).where(LedgerLine.id == "p-1"))
            assert employee.scalar_one() == "emp-logistics-017"
        assert_months_add_up_to_the_net_penalties(ledger)


def _write_as_revision_0001(ledger: Ledger) -> None:
    """p-1 (reversed) and p-2 as the code of revision 0001 wrote them."""
    from ledger.rows import ROW_BUILDERS, event_row

    events = [event for event in OCTOBER if event.type == "penalty.assessed"]
    rows = [ROW_BUILDERS["penalty.assessed"][1](event) for event in events]
    rows[0] |= {"reversed_at": datetime(2026, 11, 3, tzinfo=SHANGHAI), "reversal_id": "rev-1",
                "reversal_reason": "dispute upheld", "dispute_id": "d-1"}
    with ledger.engine.begin() as conn:
        conn.execute(insert(LedgerEvent), [event_row(e, EARLY_NOVEMBER) for e in events])
        conn.execute(insert(Penalty), rows)
