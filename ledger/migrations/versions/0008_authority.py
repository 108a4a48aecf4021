"""Agent authority: concessions, approvals, audit items, flags; the agent on attributions.

Adds ``concessions`` (``concession.recorded``), ``approvals`` (``approval.recorded``),
``audit_items`` (``audit.item_opened`` merged with ``audit.item_closed``) and
``authority_flags`` (``authority.flagged``), and the nullable ``category`` and ``agent``
columns of ``attributions`` (a contact of an agent is its complaint's attribution by rule);
``penalties.trigger`` grows to 32 characters (``authority_exceeded`` did not fit in 16:
PostgreSQL refused those penalties).
What ``ledger_events`` already holds is copied in from the payloads (parsed with the
contract's models, built with this revision's row functions), so an upgraded ledger reports
on the grants recorded before it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ledger.tables as ml

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.String(200)
TICKET = sa.String(128)
AGENT = sa.String(128)
REASON = sa.String(100)
LEVEL = sa.String(64)
_BACKFILL_BATCH = 5000
_TYPES = ("concession.recorded", "approval.recorded", "authority.flagged",
          "audit.item_opened", "audit.item_closed")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, ml.UtcDateTime(), nullable=nullable)


def _money(name: str, nullable: bool = False, comment: str | None = None) -> sa.Column:
    return sa.Column(name, ml.ExactDecimal(), nullable=nullable, comment=comment)


def _col(name: str, kind: sa.types.TypeEngine, nullable: bool = False,
          comment: str | None = None) -> sa.Column:
    return sa.Column(name, kind, nullable=nullable, comment=comment)


def _grant_columns() -> list[sa.Column]:
    """The columns a grant and a request share: who, for what, how much."""
    return [_col("ticket", TICKET), _col("agent", AGENT), _col("level", LEVEL),
            _col("team", LEVEL, True), _col("contact_reason", REASON),
            _col("kind", sa.String(16)), _money("amount"), _col("currency", sa.String(8))]


def _tables() -> None:
    op.create_table(
        "concessions", _col("id", ID), _col("grant_id", ID), *_grant_columns(),
        _money("agent_limit", comment="the grantor's own limit"),
        _col("pilot", sa.String(), True, "the pilot whose limits applied"),
        _col("needed_approval", sa.Boolean()), _col("approved_by", AGENT, True),
        _col("request_id", ID, True), _col("within_authority", sa.Boolean()),
        _col("audited", sa.Boolean()), _time("granted_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concessions")))
    op.create_index(op.f("ix_concessions_grant_id"), "concessions", ["grant_id"])
    op.create_index(op.f("ix_concessions_granted_at"), "concessions", ["granted_at"])
    op.create_index(op.f("ix_concessions_agent_granted_at"), "concessions",
                    ["agent", "granted_at"])
    op.create_table(
        "approvals", _col("id", ID), _col("request_id", ID), *_grant_columns(),
        _money("agent_limit"), _col("decision", sa.String(16)),
        _col("decided_by", AGENT), _col("decider_level", LEVEL), _time("requested_at"),
        _time("decided_at"), _col("wait_seconds", sa.Integer()),
        _col("calendar", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")))
    op.create_index(op.f("ix_approvals_request_id"), "approvals", ["request_id"])
    op.create_index(op.f("ix_approvals_requested_at"), "approvals", ["requested_at"])
    op.create_table(
        "audit_items", _col("audit_id", ID), _col("grant_id", ID), _col("ticket", TICKET),
        _col("agent", AGENT), _col("level", LEVEL, True), _col("team", LEVEL, True),
        _col("contact_reason", REASON), _col("kind", sa.String(16), True),
        _money("amount"), _col("currency", sa.String(8)),
        _col("selected_by", sa.String(16), True), _money("threshold", True),
        _col("sample_rate", sa.Float(), True), _time("granted_at"),
        _col("verdict", sa.String(16), True), _col("auditor", AGENT, True),
        _col("note", sa.Text(), True), _time("closed_at", True), _col("closed_id", ID, True),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_audit_items")))
    op.create_index(op.f("ix_audit_items_granted_at"), "audit_items", ["granted_at"])
    op.create_table(
        "authority_flags", _col("flag_id", ID), _col("agent", AGENT), _col("level", LEVEL),
        _col("team", LEVEL, True), _col("contact_reason", REASON),
        _col("period", sa.String(16)), _col("metrics", sa.String(64), comment="comma-separated"),
        _col("contacts", sa.Integer()), _col("grants", sa.Integer()), _money("amount"),
        _col("currency", sa.String(8)), _col("grant_rate", sa.Float()),
        _money("amount_per_grant"), _col("peers", sa.Integer()),
        _col("peer_median_rate", sa.Float()), _col("peer_mad_rate", sa.Float()),
        _money("peer_median_amount"), _money("peer_mad_amount"),
        _col("rate_score", sa.Float()), _col("amount_score", sa.Float()),
        _col("min_score", sa.Float()), _time("flagged_at"),
        sa.PrimaryKeyConstraint("flag_id", name=op.f("pk_authority_flags")))
    op.create_index(op.f("ix_authority_flags_period_agent"), "authority_flags",
                    ["period", "agent"])
    with op.batch_alter_table("penalties") as batch:  # "authority_exceeded" is 18 long
        batch.alter_column("trigger", type_=sa.String(32), existing_type=sa.String(16),
                           existing_nullable=False, existing_comment="breach or complaint",
                           comment="breach, complaint or authority_exceeded (32 from "
                           "revision 0008)")
    with op.batch_alter_table("attributions") as batch:
        batch.add_column(sa.Column("category", sa.String(), nullable=True,
                                   comment="the contact reason (revision 0008)"))
        batch.add_column(sa.Column("agent", AGENT, nullable=True,
                                   comment="the agent who took the complaint (revision 0008)"))


def _pages(conn: sa.Connection, types: tuple[str, ...]):
    """Pages of (id, payload) of the recorded events of ``types``, in id order."""
    events = sa.table("ledger_events", sa.column("id"), sa.column("type"),
                      sa.column("payload"))
    query = (sa.select(events.c.id, events.c.payload).where(events.c.type.in_(types))
             .order_by(events.c.id).limit(_BACKFILL_BATCH))
    last = None
    while page := conn.execute(query if last is None else query.where(events.c.id > last)).all():
        yield page
        last = page[-1][0]


def _parsed(payload: str):
    from models import CloudEvent, parse_event

    event = parse_event(payload, accept="any")
    return event if isinstance(event, CloudEvent) else None


def _backfill_attributions(conn: sa.Connection) -> None:
    table = sa.table("attributions", sa.column("id"), sa.column("category"),
                     sa.column("agent"))
    stmt = (table.update().where(table.c.id == sa.bindparam("event_id"))
            .values(category=sa.bindparam("cat"), agent=sa.bindparam("who")))
    for page in _pages(conn, ("sla.attributed",)):
        rows = [{"event_id": e.id, "cat": e.data.category, "who": e.data.agent}
                for e in map(_parsed, (payload for _, payload in page)) if e is not None]
        if rows:
            conn.execute(stmt, rows)


def _backfill_authority(conn: sa.Connection) -> None:
    from ledger.authority_rows import AUTHORITY_ROWS, record_audits

    insert = {"sqlite": sa.dialects.sqlite.insert,
              "postgresql": sa.dialects.postgresql.insert}[conn.dialect.name]
    for page in _pages(conn, _TYPES):
        events = [e for e in map(_parsed, (payload for _, payload in page)) if e is not None]
        for event_type, (table, build) in AUTHORITY_ROWS.items():
            rows = [build(e) for e in events if e.type == event_type]
            if rows:
                conn.execute(insert(table).on_conflict_do_nothing(), rows)
        record_audits(conn, insert, events)


def upgrade() -> None:
    import sqlalchemy.dialects.postgresql  # noqa: F401  (sa.dialects.* on demand)
    import sqlalchemy.dialects.sqlite  # noqa: F401

    _tables()
    conn = op.get_bind()
    _backfill_attributions(conn)
    _backfill_authority(conn)


def downgrade() -> None:
    with op.batch_alter_table("penalties") as batch:
        batch.alter_column("trigger", type_=sa.String(16), existing_type=sa.String(32),
                           existing_nullable=False, comment="breach or complaint")
    with op.batch_alter_table("attributions") as batch:
        batch.drop_column("agent")
        batch.drop_column("category")
    for table in ("authority_flags", "audit_items", "approvals", "concessions"):
        op.drop_table(table)
