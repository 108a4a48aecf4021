"""Indexes for the API's penalty feed filtered by month, alone or with a department.

The feed pages in ``(assessed_at, id)`` order. A month's page (``?period=``) had no index
in that order: SQLite read the whole table in ``assessed_at`` order to find the month
(70 ms a page on a million penalties); a month and a department read that department's
month through ``(period, department)`` and sorted it (10 ms, 12,000 rows). Both now read
about a page of index entries (about 1 ms; ``bench/bench_api.py``). ``(period,
department)`` is replaced by ``(period, department, assessed_at, id)``, which serves every
query the old one served.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_penalties_period_assessed_at_id", "penalties",
                    ["period", "assessed_at", "id"])
    op.create_index("ix_penalties_period_department_assessed_at_id", "penalties",
                    ["period", "department", "assessed_at", "id"])
    op.drop_index("ix_penalties_period_department", table_name="penalties")


def downgrade() -> None:
    op.create_index("ix_penalties_period_department", "penalties", ["period", "department"])
    op.drop_index("ix_penalties_period_department_assessed_at_id", table_name="penalties")
    op.drop_index("ix_penalties_period_assessed_at_id", table_name="penalties")
