"""The ledger: SQL tables, alembic migrations, the idempotent writer, the payroll and reports.

The durable record HR and executives are paid from. Only this package speaks SQL; it
imports :mod:`models` (the events it records) and nothing else of the project:

- :mod:`ledger.tables` (with :mod:`ledger.columns`): the tables and the column types that
  make SQLite and PostgreSQL agree; :mod:`ledger.rows`: how an outbound event becomes rows;
- :mod:`ledger.migrations`: the alembic revisions that create them;
- :mod:`ledger.writer`: :class:`Ledger` (engine, migrate, record, idempotent; close and
  reopen months);
- :mod:`ledger.booking`: penalties and reversals as payroll lines, closed months final;
- :mod:`ledger.periods`: months, closing and reopening them; :mod:`ledger.disputes`: the
  disputes table;
- :mod:`ledger.payroll`: the payroll queries (a month's totals and lines);
  :mod:`ledger.export`: the payroll as CSV and xlsx bytes (formatting only, shared by the
  CLI and the API); :mod:`ledger.reports` and :mod:`ledger.queries`: the other queries
  (penalty totals, breach counts, clocks met and breached, a ticket, the penalty feed, disputes);
  :mod:`ledger.scorecard`: the monthly department scorecard, and
  :mod:`ledger.scorecard_chart` its 12-month trend as SVG;
- agent authority: :mod:`ledger.authority_tables` (grants, approvals, audit items, flags),
  :mod:`ledger.authority_rows` (how their events become rows), :mod:`ledger.authority` (the
  monthly report, asking the policy through a small protocol), :mod:`ledger.authority_export`
  (JSON and CSV) and :mod:`ledger.audits` (the audit queue);
- calls: :mod:`ledger.calls` (blocks, the QA items), :mod:`ledger.call_records` (calls,
  block requests), :mod:`ledger.calls_report` (the before/after report's rows) and
  :mod:`ledger.qa` (the QA queue, QA compliance per agent and team).
"""

from ledger.errors import LedgerError, PeriodError
from ledger.payroll import (
    PayrollLine,
    PayrollTotal,
    net_penalties,
    payroll_lines,
    payroll_totals,
    payroll_totals_all_periods,
)
from ledger.periods import PeriodRecord, parse_period, period_end, period_history
from ledger.reports import (
    BreachCount,
    OutcomeCount,
    PenaltyTotal,
    breach_counts,
    clock_outcomes,
    disputes_for,
    penalties_for,
    penalty_totals,
    table_counts,
)
from ledger.writer import Ledger, RecordStats, create_ledger_engine, is_transient

__all__ = [
    "BreachCount",
    "Ledger",
    "LedgerError",
    "OutcomeCount",
    "PayrollLine",
    "PayrollTotal",
    "PenaltyTotal",
    "PeriodError",
    "PeriodRecord",
    "RecordStats",
    "breach_counts",
    "clock_outcomes",
    "create_ledger_engine",
    "disputes_for",
    "is_transient",
    "net_penalties",
    "parse_period",
    "payroll_lines",
    "payroll_totals",
    "payroll_totals_all_periods",
    "penalties_for",
    "penalty_totals",
    "period_end",
    "period_history",
    "table_counts",
]
