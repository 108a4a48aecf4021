"""Ledger schema revisions, applied in order by alembic (this file is ignored by it)."""
