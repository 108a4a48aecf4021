"""Corrective actions.

Adds ``corrective_actions``: one row per action, merged from ``corrective_action.opened``,
``sla.fix_declared`` and ``corrective_action.reviewed``. It starts empty and fills as the
stream publishes them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(200)


def _time(name: str, comment: str | None = None) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=True, comment=comment)


def upgrade() -> None:
    op.create_table(
        "corrective_actions",
        sa.Column("action_id", ID, nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("anchor_ticket", sa.String(128), nullable=False,
                  comment="the complaint that opened it; the fix is published on it"),
        sa.Column("rule", sa.String(), nullable=True, comment="the recurrence rule"),
        sa.Column("category", sa.String(), nullable=True),
        _time("opened_at"),
        _time("due_at", "the fix is due by then"),
        sa.Column("baseline_count", sa.Integer(), nullable=True,
                  comment="complaints in the rule's window when it opened"),
        sa.Column("window", sa.String(32), nullable=True, comment="as the policy writes it"),
        sa.Column("fix_id", ID, nullable=True, comment="the sla.fix_declared"),
        sa.Column("what_changed", sa.Text(), nullable=True),
        _time("changed_at", "as the department says"),
        sa.Column("declared_by", sa.String(), nullable=True),
        _time("fixed_at", "when the fix was declared"),
        _time("reviewed_at", "end of the review window"),
        sa.Column("before_count", sa.Integer(), nullable=True,
                  comment="complaints before the fix"),
        sa.Column("before_per_day", sa.Float(), nullable=True),
        sa.Column("after_count", sa.Integer(), nullable=True,
                  comment="complaints in the review window"),
        sa.Column("after_per_day", sa.Float(), nullable=True),
        sa.Column("worked", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_corrective_actions")),
    )
    op.create_index(op.f("ix_corrective_actions_department_opened_at"), "corrective_actions",
                    ["department", "opened_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_corrective_actions_department_opened_at"),
                  table_name="corrective_actions")
    op.drop_table("corrective_actions")
