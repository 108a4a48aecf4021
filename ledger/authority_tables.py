"""Ledger tables of agent authority (issue 14; revision 0008): grants, approvals, audit
items and flags of over-generous agents, flattened from the ``authority`` topic's events.

- ``concessions``: one row per ``concession.recorded`` (every grant, as the policy judged it);
- ``approvals``: one row per ``approval.recorded`` (a request, its decision, the wait);
- ``audit_items``: one row per audit item, merged from ``audit.item_opened`` and
  ``audit.item_closed`` whichever arrives first (:mod:`ledger.authority_rows`);
- ``authority_flags``: one row per ``authority.flagged`` (raised by ``sla-police authority
  flag``), with the figures behind it.

A contact of an agent is an ``attributions`` row by rule with its ``agent`` set (the
complaint's first attribution; revision 0008 added ``agent`` and ``category``). They live
on :class:`ledger.tables.Base`, so migrations and the schema check see them.
:mod:`ledger.authority` reports on them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.tables import Base, EventIdColumn, TicketColumn

__all__ = ["Approval", "AuditItem", "AuthorityFlag", "Concession"]

AgentColumn = String(128)
ReasonColumn = String(100)


class Concession(Base):
    """One row per ``concession.recorded``: a grant, its limit, whether it needed an approval,
    stayed within authority and was audited."""

    __tablename__ = "concessions"
    __table_args__ = (Index(None, "granted_at"), Index(None, "agent", "granted_at"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    grant_id: Mapped[str] = mapped_column(EventIdColumn, index=True)
    ticket: Mapped[str] = mapped_column(TicketColumn)
    agent: Mapped[str] = mapped_column(AgentColumn)
    level: Mapped[str] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    contact_reason: Mapped[str] = mapped_column(ReasonColumn)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(8))
    agent_limit: Mapped[Decimal] = mapped_column(comment="the grantor's own limit")
    pilot: Mapped[str | None] = mapped_column(comment="the pilot whose limits applied")
    needed_approval: Mapped[bool]
    approved_by: Mapped[str | None] = mapped_column(AgentColumn)
    request_id: Mapped[str | None] = mapped_column(EventIdColumn)
    within_authority: Mapped[bool]
    audited: Mapped[bool]
    granted_at: Mapped[dt.datetime]


class Approval(Base):
    """One row per ``approval.recorded``: who asked, who decided, how long it took in
    working seconds."""

    __tablename__ = "approvals"
    __table_args__ = (Index(None, "requested_at"),)

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    request_id: Mapped[str] = mapped_column(EventIdColumn, index=True)
    ticket: Mapped[str] = mapped_column(TicketColumn)
    agent: Mapped[str] = mapped_column(AgentColumn)
    level: Mapped[str] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    contact_reason: Mapped[str] = mapped_column(ReasonColumn)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(8))
    agent_limit: Mapped[Decimal]
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(AgentColumn)
    decider_level: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime]
    wait_seconds: Mapped[int]
    calendar: Mapped[str] = mapped_column(String(64))


class AuditItem(Base):
    """One row per audit item: opened (``audit.item_opened``) and its verdict
    (``audit.item_closed``), merged in either order; open while ``verdict`` is empty."""

    __tablename__ = "audit_items"
    __table_args__ = (Index(None, "granted_at"),)

    audit_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    grant_id: Mapped[str] = mapped_column(EventIdColumn)
    ticket: Mapped[str] = mapped_column(TicketColumn)
    agent: Mapped[str] = mapped_column(AgentColumn)
    level: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    contact_reason: Mapped[str] = mapped_column(ReasonColumn)
    kind: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(8))
    selected_by: Mapped[str | None] = mapped_column(String(16))
    threshold: Mapped[Decimal | None]
    sample_rate: Mapped[float | None] = mapped_column(Float)
    granted_at: Mapped[dt.datetime]
    verdict: Mapped[str | None] = mapped_column(String(16))
    auditor: Mapped[str | None] = mapped_column(AgentColumn)
    note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None]
    closed_id: Mapped[str | None] = mapped_column(EventIdColumn)


class AuthorityFlag(Base):
    """One row per ``authority.flagged``: an agent far more generous than peers of the same
    level for one contact reason and month, with the figures."""

    __tablename__ = "authority_flags"
    __table_args__ = (Index(None, "period", "agent"),)

    flag_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    agent: Mapped[str] = mapped_column(AgentColumn)
    level: Mapped[str] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(64))
    contact_reason: Mapped[str] = mapped_column(ReasonColumn)
    period: Mapped[str] = mapped_column(String(16))
    metrics: Mapped[str] = mapped_column(String(64), comment="comma-separated")
    contacts: Mapped[int]
    grants: Mapped[int]
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(8))
    grant_rate: Mapped[float] = mapped_column(Float)
    amount_per_grant: Mapped[Decimal]
    peers: Mapped[int]
    peer_median_rate: Mapped[float] = mapped_column(Float)
    peer_mad_rate: Mapped[float] = mapped_column(Float)
    peer_median_amount: Mapped[Decimal]
    peer_mad_amount: Mapped[Decimal]
    rate_score: Mapped[float] = mapped_column(Float)
    amount_score: Mapped[float] = mapped_column(Float)
    min_score: Mapped[float] = mapped_column(Float)
    flagged_at: Mapped[dt.datetime]
