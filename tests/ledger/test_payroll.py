"""The payroll queries: a month's totals per department or per employee, and its lines with
the reason behind each (rule, trigger, breach, reversal, dispute), exact and in a fixed order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledger import Ledger, PayrollTotal, PeriodError, payroll_lines, payroll_totals

from .events import breach, penalty, reversal

NOVEMBER = [
    breach("b-1", "T-1", "logistics", "resolve", "2026-11-24T10:15:00+08:00",
           policy="standard"),
    penalty("p-1", "T-1", "logistics", "emp-logistics-017", "500", 2, breach_id="b-1",
            metric="resolve", base_fine="250", multiplier="2", capped_amount="0"),
    penalty("p-2", "T-2", "logistics", "emp-logistics-017", "0.10", 1, trigger="complaint",
            rule="per-complaint", breach_id=None, metric=None),
    penalty("p-3", "T-3", "logistics", None, "0.20", 1, trigger="complaint",
            rule="per-complaint", breach_id=None, metric=None),
    penalty("p-4", "T-4", "billing", "emp-billing-001", "90", 3, base_fine="100",
            capped_amount="10", breach_id="b-missing"),
    reversal("rev-4", "p-4", "T-4"),
]


def test_totals_per_department(ledger: Ledger) -> None:
    ledger.record(NOVEMBER)

    assert payroll_totals(ledger.engine, "2026-11") == [
        PayrollTotal("billing", None, "CNY", 1, 1, 0, Decimal("90"), Decimal(0), Decimal(0),
                     3, 0, 0),
        PayrollTotal("logistics", None, "CNY", 3, 0, 0, Decimal("500.30"), Decimal(0),
                     Decimal("500.30"), 4, 0, 4),
    ]


def test_totals_per_employee_carry_the_department_and_its_own_row(ledger: Ledger) -> None:
    ledger.record(NOVEMBER)

    totals = payroll_totals(ledger.engine, "2026-11", by="employee")

    assert [(t.department, t.employee, t.penalties, t.net_fine, t.net_points)
            for t in totals] == [
        ("billing", "emp-billing-001", 1, Decimal(0), 0),
        ("logistics", None, 1, Decimal("0.20"), 1),  # the department itself is charged
        ("logistics", "emp-logistics-017", 2, Decimal("500.10"), 3),
    ]


def test_each_line_says_why(ledger: Ledger) -> None:
    ledger.record(NOVEMBER)

    lines = {line.penalty_id: line for line in payroll_lines(ledger.engine, "2026-11")}

    assert list(lines) == ["p-4", "p-3", "p-1", "p-2"]  # department, employee, ticket
    on_breach = lines["p-1"]
    assert (on_breach.trigger, on_breach.metric, on_breach.policy, on_breach.due_at) == (
        "breach", "resolve", "standard", datetime(2026, 11, 24, 2, 15, tzinfo=UTC))
    assert (on_breach.base_fine, on_breach.multiplier, on_breach.capped_amount,
            on_breach.fine, on_breach.status) == (
        Decimal("250"), Decimal("2"), Decimal("0"), Decimal("500"), "charged")
    on_complaint = lines["p-2"]
    assert (on_complaint.trigger, on_complaint.rule, on_complaint.policy) == (
        "complaint", "per-complaint", None)
    undone = lines["p-4"]
    assert (undone.status, undone.fine, undone.net_fine, undone.capped_amount) == (
        "reversed", Decimal("90"), Decimal(0), Decimal("10"))
    assert (undone.reversal_id, undone.dispute_id, undone.policy) == ("rev-4", "crm-11", None)


def test_a_month_without_lines_and_bad_arguments(ledger: Ledger) -> None:
    assert payroll_totals(ledger.engine, "2026-11") == []
    assert payroll_lines(ledger.engine, "2026-11") == []
    with pytest.raises(PeriodError, match="2026-13"):
        payroll_totals(ledger.engine, "2026-13")
    with pytest.raises(ValueError, match="'team'"):
        payroll_totals(ledger.engine, "2026-11", by="team")  # type: ignore[arg-type]
