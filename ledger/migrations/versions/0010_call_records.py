"""Calls, second step: call records, block requests, the complaint's customer.

Adds ``call_records`` (one row per ``call.ended``, keyed by call id: what the before/after
report counts), indexes on ``caller_blocks`` for the leads' list of active blocks and for
a lift by block id, ``block_requests`` (each ``block.requested`` merged with its decision
or refusal: what the API checks a decision against) and ``attributions.customer_ref`` (the
complaint's pseudonymous customer, so the report finds blocked callers who complained
through another channel), filled from the kept payloads of the ``sla.attributed`` already
recorded that carry one (those emitted before this change carry none: their rows stay
empty).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.String(200)
CALLER = sa.String(128)
_BACKFILL_BATCH = 5000


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("call_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=False, comment="the call.ended event"),
        sa.Column("caller", CALLER, nullable=False, comment="pseudonymous caller reference"),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        _time("started_at", nullable=False),
        sa.Column("ended_at", ml.UtcDateTime(), nullable=False, comment="the event's time"),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("ended_by", sa.String(16), nullable=False,
                  comment="agent, customer or system"),
        sa.Column("disposition", sa.String(32), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("ticket_id", CALLER, nullable=True),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_records")),
    )
    op.create_index(op.f("ix_call_records_ended_at"), "call_records", ["ended_at"])
    op.create_index(op.f("ix_call_records_caller_ended_at"), "call_records",
                    ["caller", "ended_at"])
    op.create_table(
        "block_requests",
        sa.Column("request_id", ID, nullable=False),
        sa.Column("caller", CALLER, nullable=True),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True, comment="JSON list of call ids"),
        sa.Column("requested_by", sa.String(), nullable=True),
        _time("requested_at"),
        sa.Column("status", sa.String(16), nullable=False,
                  comment="pending, approved, declined or refused"),
        sa.Column("decision_id", ID, nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        _time("decided_at"),
        sa.Column("refusal", sa.Text(), nullable=True,
                  comment="why the request was refused"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_block_requests")),
    )
    op.create_index(op.f("ix_block_requests_status_requested_at"), "block_requests",
                    ["status", "requested_at"])
    op.create_index(op.f("ix_caller_blocks_blocked_at_caller"), "caller_blocks",
                    ["blocked_at", "caller"])
    op.create_index(op.f("ix_caller_blocks_block_id"), "caller_blocks", ["block_id"])
    with op.batch_alter_table("attributions") as batch:
        batch.add_column(sa.Column("customer_ref", sa.String(100), nullable=True,
                                   comment="the complaint's pseudonymous customer (= a "
                                           "caller ref); 0010"))
    op.create_index(op.f("ix_attributions_customer_ref_attributed_at"), "attributions",
                    ["customer_ref", "attributed_at"])
    _backfill_customers()


def _backfill_customers() -> None:
    """``attributions.customer_ref`` from the recorded payloads, in pages of ids."""
    conn = op.get_bind()
    events = sa.table("ledger_events", sa.column("id"), sa.column("type"),
                      sa.column("payload"))
    attributions = sa.table("attributions", sa.column("id"), sa.column("customer_ref"))
    query = (sa.select(events.c.id, events.c.payload)
             .where(events.c.type == "sla.attributed",
                    events.c.payload.contains('"customer_ref"', autoescape=True))
             .order_by(events.c.id).limit(_BACKFILL_BATCH))
    update = (attributions.update().where(attributions.c.id == sa.bindparam("event_id"))
              .values(customer_ref=sa.bindparam("ref")))
    last = None
    while True:
        page = conn.execute(query if last is None else query.where(events.c.id > last)).all()
        if not page:
            return
        values = [{"event_id": event_id, "ref": ref} for event_id, payload in page
                  if (ref := json.loads(payload)["data"].get("customer_ref")) is not None]
        if values:
            conn.execute(update, values)
        last = page[-1][0]


def downgrade() -> None:
    op.drop_index(op.f("ix_attributions_customer_ref_attributed_at"),
                  table_name="attributions")
    with op.batch_alter_table("attributions") as batch:
        batch.drop_column("customer_ref")
    op.drop_index(op.f("ix_caller_blocks_block_id"), table_name="caller_blocks")
    op.drop_index(op.f("ix_caller_blocks_blocked_at_caller"), table_name="caller_blocks")
    op.drop_index(op.f("ix_block_requests_status_requested_at"), table_name="block_requests")
    op.drop_table("block_requests")
    op.drop_index(op.f("ix_call_records_caller_ended_at"), table_name="call_records")
    op.drop_index(op.f("ix_call_records_ended_at"), table_name="call_records")
    op.drop_table("call_records")
