"""Payroll lines, closed periods and disputes.

Adds ``ledger_lines`` (what each penalty or reversal booked, in which month),
``period_actions`` (closing and reopening months) and ``disputes``. Penalties already in
the ledger are booked as lines of their own month (no month was closed before this
revision): ``charged``, or ``reversed`` when their reversal is applied.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(200)
TICKET = sa.String(128)
DEPARTMENT = sa.String(64)
PERIOD = sa.String(16)


def _time(name: str, nullable: bool = False, **kw: object) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=nullable, **kw)


def _lines() -> None:
    op.create_table(
        "ledger_lines",
        sa.Column("id", ID, nullable=False,
                  comment="the penalty.assessed or penalty.reversed event that booked the line"),
        sa.Column("period", PERIOD, nullable=False, comment="month it is paid in, YYYY-MM"),
        sa.Column("status", sa.String(16), nullable=False,
                  comment="charged, reversed or adjustment"),
        sa.Column("penalty_id", ID, nullable=False),
        sa.Column("penalty_period", PERIOD, nullable=False, comment="the penalty's own month"),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("employee", sa.String(), nullable=True,
                  comment="the assignee charged in person; empty when the department is "
                          "charged"),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("fine", ml.ExactDecimal(), nullable=False,
                  comment="signed amount of the line (a reversed line: what it had charged)"),
        sa.Column("points", sa.Integer(), nullable=False,
                  comment="signed demerit points of the line"),
        sa.Column("reversal_id", ID, nullable=True),
        sa.Column("dispute_id", ID, nullable=True),
        _time("booked_at", comment="when the ledger booked it"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_lines"),
    )
    op.create_index("ix_ledger_lines_period_department", "ledger_lines",
                    ["period", "department"])
    op.create_index("ix_ledger_lines_penalty_id", "ledger_lines", ["penalty_id"])


def _period_actions() -> None:
    op.create_table(
        "period_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("action", sa.String(8), nullable=False, comment="close or reopen"),
        sa.Column("actor", sa.String(), nullable=False, comment="who closed or reopened it"),
        _time("at"),
        sa.Column("reason", sa.Text(), nullable=True, comment="why (required to reopen)"),
        sa.PrimaryKeyConstraint("id", name="pk_period_actions"),
    )
    op.create_index("ix_period_actions_period", "period_actions", ["period"])


def _disputes() -> None:
    op.create_table(
        "disputes",
        sa.Column("dispute_id", ID, nullable=False,
                  comment="id of the attribution.disputed event"),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False, comment="who disputes"),
        sa.Column("holder", DEPARTMENT, nullable=True,
                  comment="the department holding the ticket when it was filed"),
        sa.Column("filed_by", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _time("filed_at", nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True, comment="upheld or rejected"),
        sa.Column("to_department", DEPARTMENT, nullable=True,
                  comment="where an upheld ruling moved the ticket"),
        sa.Column("ruled_by", sa.String(), nullable=True),
        sa.Column("ruling_reason", sa.Text(), nullable=True),
        _time("ruled_at", nullable=True),
        sa.Column("reversals", sa.Integer(), nullable=False, comment="penalties it reversed"),
        sa.Column("reversed_fine", ml.ExactDecimal(), nullable=False),
        sa.Column("reversed_points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dispute_id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_ticket", "disputes", ["ticket"])


#: Penalties recorded before this revision, as lines of their own (open) month.
_BACKFILL_LINES = """
INSERT INTO ledger_lines (id, period, status, penalty_id, penalty_period, ticket, department,
                          employee, rule, currency, fine, points, reversal_id, dispute_id,
                          booked_at)
SELECT p.id, p.period, CASE WHEN p.reversal_id IS NULL THEN 'charged' ELSE 'reversed' END,
       p.id, p.period, p.ticket, p.department,
       CASE WHEN p.charged_to = 'assignee' THEN p.assignee END,
       p.rule, p.currency, p.fine, p.points, p.reversal_id, p.dispute_id, e.recorded_at
FROM penalties p JOIN ledger_events e ON e.id = p.id
"""


def upgrade() -> None:
    _lines()
    _period_actions()
    _disputes()
    op.execute(_BACKFILL_LINES)


def downgrade() -> None:
    for table in ("disputes", "period_actions", "ledger_lines"):
        op.drop_table(table)
