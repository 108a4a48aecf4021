"""Initial ledger: events, breaches, penalties, reversals, dead letters.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(200)
TICKET = sa.String(128)
DEPARTMENT = sa.String(64)


def _time(name: str, nullable: bool = False, **kw: object) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=nullable, **kw)


def _amount(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, ml.ExactDecimal(), nullable=False, **kw)


def _events() -> None:
    op.create_table(
        "ledger_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("subject", TICKET, nullable=False, comment="the ticket"),
        sa.Column("department", DEPARTMENT, nullable=True),
        _time("time"),
        sa.Column("payload", sa.Text(), nullable=False, comment="canonical CloudEvent JSON"),
        _time("recorded_at", comment="when the ledger first saw it"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_events"),
    )
    op.create_index("ix_ledger_events_subject_time", "ledger_events", ["subject", "time"])
    op.create_index("ix_ledger_events_type_time", "ledger_events", ["type", "time"])


def _breaches() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        _time("started_at"),
        _time("due_at"),
        _time("breached_at"),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("priority", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_breaches"),
    )
    op.create_index("ix_breaches_ticket", "breaches", ["ticket"])
    op.create_index("ix_breaches_breached_at", "breaches", ["breached_at"])
    op.create_index("ix_breaches_department_breached_at", "breaches",
                    ["department", "breached_at"])


def _penalties() -> None:
    op.create_table(
        "penalties",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("charged_to", sa.String(16), nullable=False, comment="department or assignee"),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False, comment="breach or complaint"),
        sa.Column("breach_id", ID, nullable=True),
        sa.Column("metric", sa.String(16), nullable=True),
        _amount("base_fine"),
        _amount("multiplier"),
        _amount("capped_amount"),
        _amount("fine", comment="base_fine * multiplier - capped_amount"),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("period", sa.String(16), nullable=False,
                  comment="month the cap counts in, YYYY-MM"),
        _time("assessed_at"),
        _time("reversed_at", nullable=True),
        sa.Column("reversal_id", ID, nullable=True),
        sa.Column("reversal_reason", sa.String(), nullable=True),
        sa.Column("dispute_id", ID, nullable=True, comment="the upheld dispute"),
        sa.PrimaryKeyConstraint("id", name="pk_penalties"),
    )
    op.create_index("ix_penalties_ticket", "penalties", ["ticket"])
    op.create_index("ix_penalties_breach_id", "penalties", ["breach_id"])
    op.create_index("ix_penalties_period_department", "penalties", ["period", "department"])
    op.create_index("ix_penalties_period_assignee", "penalties", ["period", "assignee"])


def _reversals() -> None:
    op.create_table(
        "reversals",
        sa.Column("id", ID, nullable=False),
        sa.Column("penalty_id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("rule", sa.String(), nullable=False),
        _amount("fine"),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("dispute_id", ID, nullable=True),
        sa.Column("caused_by", ID, nullable=True),
        _time("reversed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_reversals"),
    )
    op.create_index("ix_reversals_penalty_id", "reversals", ["penalty_id"])


def _dead_letters() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False, comment="message key, or 'unknown'"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("kafka_partition", sa.Integer(), nullable=True),
        sa.Column("kafka_offset", sa.BigInteger(), nullable=True),
        sa.Column("kafka_key", sa.String(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False, comment="the payload as received"),
        sa.Column("raw_encoding", sa.String(16), nullable=False, comment="utf-8 or base64"),
        _time("rejected_at"),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
    )
    op.create_index("ix_dead_letters_rejected_at", "dead_letters", ["rejected_at"])


def upgrade() -> None:
    _events()
    _breaches()
    _penalties()
    _reversals()
    _dead_letters()


def downgrade() -> None:
    for table in ("dead_letters", "reversals", "penalties", "breaches", "ledger_events"):
        op.drop_table(table)
