"""The department worklist: each ticket's open clocks as of its latest snapshot.

Adds ``open_clocks`` (one row per open clock, from ``sla.clocks_changed``) and
``clock_snapshots`` (the latest revision recorded per ticket). Both start empty: the
worklist fills as the stream publishes snapshots (every event that changes a ticket's
clocks publishes one).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TICKET = sa.String(128)
DEPARTMENT = sa.String(64)


def _time(name: str, nullable: bool = False, **kw: object) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=nullable, **kw)


def upgrade() -> None:
    op.create_table(
        "clock_snapshots",
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        _time("changed_at"),
        sa.PrimaryKeyConstraint("ticket", name=op.f("pk_clock_snapshots")),
    )
    op.create_table(
        "open_clocks",
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False, comment="whose clock it is"),
        sa.Column("holder", DEPARTMENT, nullable=True,
                  comment="the department holding the ticket"),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("calendar", sa.String(), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        _time("started_at"),
        sa.Column("elapsed_seconds", sa.Integer(), nullable=False,
                  comment="working seconds at changed_at"),
        sa.Column("remaining_seconds", sa.Integer(), nullable=False,
                  comment="target minus elapsed at changed_at (negative: over)"),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(32), nullable=True, comment="as the policy writes it"),
        _time("due_at", nullable=True, comment="breach instant while running"),
        _time("warn_from", nullable=True),
        _time("breach_from", nullable=True),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.String(32), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        _time("changed_at"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ticket", "metric", "cycle", name=op.f("pk_open_clocks")),
    )
    op.create_index(
        "ix_open_clocks_worklist",
        "open_clocks",
        ["department", "running", "due_at", "remaining_seconds", "ticket", "metric"])


def downgrade() -> None:
    op.drop_index("ix_open_clocks_worklist",
                  table_name="open_clocks")
    op.drop_table("open_clocks")
    op.drop_table("clock_snapshots")
