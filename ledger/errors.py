"""What the ledger refuses, as exceptions the shell turns into one clear line."""

from __future__ import annotations

__all__ = ["LedgerError", "PeriodError"]


class LedgerError(Exception):
    """The ledger cannot be used as asked (unsupported database, schema not migrated)."""


class PeriodError(LedgerError, ValueError):
    """A month cannot be closed or reopened as asked, or is not a month like 2026-11."""
