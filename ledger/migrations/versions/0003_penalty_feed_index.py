"""An index for the API's penalty feed: its pages are keyset pages over (assessed_at, id).

Without it every page of the feed sorts the whole ``penalties`` table (a million rows in a
year of a large center).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_penalties_assessed_at_id", "penalties", ["assessed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_penalties_assessed_at_id", table_name="penalties")
