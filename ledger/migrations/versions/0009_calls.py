"""Calls: caller blocks (current and history) and the QA queue (issue 15).

Adds ``caller_blocks`` (each caller's active block, what the IVR asks about),
``block_history`` (every ``caller.blocked`` / ``caller.unblocked``) and ``qa_items`` (the
weekly QA sample and its verdicts). They start empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.String(200)
CALLER = sa.String(128)


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "caller_blocks",
        sa.Column("caller", CALLER, nullable=False),
        sa.Column("block_id", ID, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        _time("blocked_at", nullable=False),
        _time("until"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(), nullable=False),
        _time("review_at"),
        sa.PrimaryKeyConstraint("caller", name=op.f("pk_caller_blocks")),
    )
    op.create_table(
        "block_history",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("block_id", ID, nullable=False),
        sa.Column("caller", CALLER, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _time("at", nullable=False),
        sa.Column("period", sa.String(16), nullable=True),
        _time("until"),
        sa.Column("by", sa.String(), nullable=True),
        sa.Column("why", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_block_history")),
    )
    op.create_index(op.f("ix_block_history_caller_at"), "block_history", ["caller", "at"])
    op.create_table(
        "qa_items",
        sa.Column("qa_id", ID, nullable=False),
        sa.Column("call_id", ID, nullable=True),
        sa.Column("caller", CALLER, nullable=True),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("team", sa.String(), nullable=True),
        sa.Column("week", sa.String(16), nullable=True),
        sa.Column("selected_by", sa.String(16), nullable=True),
        sa.Column("norm", sa.String(32), nullable=True),
        _time("ended_at"),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("inspector", sa.String(), nullable=True),
        _time("reviewed_at"),
        sa.PrimaryKeyConstraint("qa_id", name=op.f("pk_qa_items")),
    )
    op.create_index(op.f("ix_qa_items_agent_week"), "qa_items", ["agent", "week"])


def downgrade() -> None:
    op.drop_index(op.f("ix_qa_items_agent_week"), table_name="qa_items")
    op.drop_table("qa_items")
    op.drop_index(op.f("ix_block_history_caller_at"), table_name="block_history")
    op.drop_table("block_history")
    op.drop_table("caller_blocks")
