"""The ledger: SQL tables, alembic migrations, the idempotent writer and the reports.

The durable record HR and executives are paid from. Only this package speaks SQL; it
imports :mod:`models` (the events it records) and nothing else of the project:

- :mod:`ledger.tables`: the tables and the column types that make SQLite and PostgreSQL
  agree, and how an outbound event becomes its rows;
- :mod:`ledger.migrations`: the alembic revisions that create them;
- :mod:`ledger.writer`: :class:`Ledger` (engine, migrate, record, idempotent);
- :mod:`ledger.reports`: the queries (penalty totals, breach counts, a ticket's penalties).
"""

from ledger.reports import (
    BreachCount,
    PenaltyTotal,
    breach_counts,
    penalties_for,
    penalty_totals,
    table_counts,
)
from ledger.writer import Ledger, LedgerError, RecordStats, create_ledger_engine, is_transient

__all__ = [
    "BreachCount",
    "Ledger",
    "LedgerError",
    "PenaltyTotal",
    "RecordStats",
    "breach_counts",
    "create_ledger_engine",
    "is_transient",
    "penalties_for",
    "penalty_totals",
    "table_counts",
]
