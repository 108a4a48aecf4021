"""What the monthly scorecard counts: attributions, ended clocks, CSAT scores, volumes.

Adds ``attributions`` (one row per ``sla.attributed``), ``clock_outcomes`` (``sla.met``,
``sla.breached``, ``sla.cancelled``), ``csat_responses`` (``sla.csat_recorded``, new with
this revision) and ``volumes`` (``volume.reported``, the business volumes). Attributions and
clock outcomes already in ``ledger_events`` are copied into their new tables from their
payloads, so an upgraded ledger scores its past months too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(200)
TICKET = sa.String(128)
DEPARTMENT = sa.String(64)
_BACKFILL_BATCH = 5000


def _time(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=False, **kw)


def _tables() -> None:
    op.create_table(
        "attributions",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False,
                  comment="rule, assignment, transfer, dispute"),
        sa.Column("previous_department", DEPARTMENT, nullable=True),
        sa.Column("repeat_of", TICKET, nullable=True, comment="the complaint repeats"),
        _time("attributed_at"),
        sa.PrimaryKeyConstraint("id", name="pk_attributions"),
    )
    op.create_index("ix_attributions_ticket", "attributions", ["ticket"])
    op.create_index("ix_attributions_attributed_at", "attributions", ["attributed_at"])
    op.create_index("ix_attributions_reason_attributed_at", "attributions",
                    ["reason", "attributed_at"])
    op.create_table(
        "clock_outcomes",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False,
                  comment="resolve cycle: 2 and up after a reopen"),
        sa.Column("outcome", sa.String(16), nullable=False,
                  comment="met, breached or cancelled"),
        _time("ended_at", comment="completed_at, breached_at (the due time) or cancelled_at"),
        sa.PrimaryKeyConstraint("id", name="pk_clock_outcomes"),
    )
    op.create_index("ix_clock_outcomes_ticket", "clock_outcomes", ["ticket"])
    op.create_index("ix_clock_outcomes_ended_at", "clock_outcomes", ["ended_at"])
    op.create_table(
        "csat_responses",
        sa.Column("id", ID, nullable=False),
        sa.Column("ticket", TICKET, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        _time("recorded_at"),
        sa.PrimaryKeyConstraint("id", name="pk_csat_responses"),
    )
    op.create_index("ix_csat_responses_recorded_at", "csat_responses", ["recorded_at"])
    op.create_table(
        "volumes",
        sa.Column("id", ID, nullable=False),
        sa.Column("department", DEPARTMENT, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("month", sa.String(16), nullable=False, comment="the month counted, YYYY-MM"),
        sa.Column("day", sa.Date(), nullable=True,
                  comment="the day counted; empty: the month"),
        sa.Column("count", sa.BigInteger(), nullable=False),
        _time("reported_at", comment="the report's time"),
        sa.PrimaryKeyConstraint("id", name="pk_volumes"),
    )
    op.create_index("ix_volumes_month_department", "volumes", ["month", "department"])


_ENDED = {"sla.met": ("met", "completed_at"), "sla.breached": ("breached", "breached_at"),
          "sla.cancelled": ("cancelled", "cancelled_at")}


def _row(kind: str, event_id: str, ticket: str, data: dict) -> tuple[str, dict]:
    """(table, row) of a recorded event's payload ``data``."""
    if kind == "sla.attributed":
        return "attributions", {
            "id": event_id, "ticket": ticket, "department": data["department"],
            "reason": data["reason"], "previous_department": data.get("previous_department"),
            "repeat_of": data.get("repeat_of"),
            "attributed_at": datetime.fromisoformat(data["attributed_at"])}
    outcome, ended = _ENDED[kind]
    return "clock_outcomes", {
        "id": event_id, "ticket": ticket, "department": data["department"],
        "metric": data["metric"], "cycle": data["cycle"], "outcome": outcome,
        "ended_at": datetime.fromisoformat(data[ended])}


_TABLES = {
    "attributions": sa.table(
        "attributions", sa.column("id"), sa.column("ticket"), sa.column("department"),
        sa.column("reason"), sa.column("previous_department"), sa.column("repeat_of"),
        sa.column("attributed_at", ml.UtcDateTime())),
    "clock_outcomes": sa.table(
        "clock_outcomes", sa.column("id"), sa.column("ticket"), sa.column("department"),
        sa.column("metric"), sa.column("cycle"), sa.column("outcome"),
        sa.column("ended_at", ml.UtcDateTime())),
}


def _backfill() -> None:
    """Copy the attributions and ended clocks already recorded into the new tables, in
    pages of ids (no open cursor while inserting)."""
    conn = op.get_bind()
    events = sa.table("ledger_events", sa.column("id"), sa.column("type"),
                      sa.column("subject"), sa.column("payload"))
    query = (sa.select(events.c.id, events.c.type, events.c.subject, events.c.payload)
             .where(events.c.type.in_(["sla.attributed", *_ENDED]))
             .order_by(events.c.id).limit(_BACKFILL_BATCH))
    last = None
    while True:
        page = conn.execute(query if last is None else query.where(events.c.id > last)).all()
        if not page:
            return
        rows: dict[str, list[dict]] = {"attributions": [], "clock_outcomes": []}
        for event_id, kind, ticket, payload in page:
            table, row = _row(kind, event_id, ticket, json.loads(payload)["data"])
            rows[table].append(row)
        for table, values in rows.items():
            if values:
                conn.execute(_TABLES[table].insert(), values)
        last = page[-1][0]


def upgrade() -> None:
    _tables()
    _backfill()


def downgrade() -> None:
    for table in ("volumes", "csat_responses", "clock_outcomes", "attributions"):
        op.drop_table(table)
