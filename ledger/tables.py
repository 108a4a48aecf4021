"""Ledger tables: the durable record of SLA outcomes, penalties, payroll lines and disputes.

Every outbound event is kept once in ``ledger_events`` (its canonical JSON, keyed by the
event id); the events HR and executives query are also flattened into their own table
(``breaches``, ``penalties``, ``reversals``, ``dead_letters``, ``disputes``) so plain SQL
answers "what did logistics pay in November"; ``attributions``, ``clock_outcomes``,
``csat_responses`` and ``volumes`` are what the monthly scorecard counts
(:mod:`ledger.scorecard`); agent authority's tables are in :mod:`ledger.authority_tables`.
``ledger_lines`` is the payroll: what each
penalty or reversal booked in which month (:mod:`ledger.booking`); ``period_actions`` is the
history of closing and reopening months (:mod:`ledger.periods`).

The tables are the same on SQLite and PostgreSQL thanks to the column types of
:mod:`ledger.columns` (re-exported here). The schema itself is created by the alembic
revisions in :mod:`ledger.migrations`; these classes describe it (a test checks the two
agree). :mod:`ledger.rows` says how an event becomes a row; :class:`ledger.writer.Ledger`
writes them and :mod:`ledger.reports` and :mod:`ledger.payroll` query them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Date, Float, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.columns import (
    DecimalSum,
    ExactDecimal,
    UtcDateTime,
    decimal_sum,
    register_sqlite_functions,
)

__all__ = [
    "Attribution",
    "Base",
    "BlockHistory",
    "BlockRequest",
    "Breach",
    "CallRecord",
    "CallerBlock",
    "ClockSnapshot",
    "ClockOutcome",
    "CsatResponse",
    "CorrectiveAction",
    "DeadLetter",
    "DecimalSum",
    "Dispute",
    "ExactDecimal",
    "LedgerEvent",
    "LedgerLine",
    "OpenClock",
    "Penalty",
    "PeriodAction",
    "QaItem",
    "Reversal",
    "UtcDateTime",
    "Volume",
    "decimal_sum",
    "register_sqlite_functions",
]

class Base(DeclarativeBase):
    """Declarative base of the ledger; constraint names are stable for migrations."""

    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    })
    type_annotation_map = {dt.datetime: UtcDateTime(), Decimal: ExactDecimal(), str: String()}


EventIdColumn = String(200)
TicketColumn = String(128)
DepartmentColumn = String(64)


class LedgerEvent(Base):
    """Every outbound event, once: the audit trail and the source of every other table."""

    __tablename__ = "ledger_events"
    __table_args__ = (Index(None, "subject", "time"), Index(None, "type", "time"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(TicketColumn, comment="the ticket")
    department: Mapped[str | None] = mapped_column(DepartmentColumn)
    time: Mapped[dt.datetime]
    payload: Mapped[str] = mapped_column(Text, comment="canonical CloudEvent JSON")
    recorded_at: Mapped[dt.datetime] = mapped_column(comment="when the ledger first saw it")


class Breach(Base):
    """One row per ``sla.breached``: which department missed which clock, and when."""

    __tablename__ = "breaches"
    __table_args__ = (Index(None, "breached_at"), Index(None, "department", "breached_at"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    policy: Mapped[str]
    metric: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[int]
    started_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    breached_at: Mapped[dt.datetime]
    target_seconds: Mapped[int]
    assignee: Mapped[str | None]
    priority: Mapped[str | None]
    category: Mapped[str | None]


class Penalty(Base):
    """One row per ``penalty.assessed``; the ``reversed_at``/``reversal_*`` columns are filled
    from :class:`Reversal` whichever of the two arrives first."""

    __tablename__ = "penalties"
    #: The API feed's keyset pages in (assessed_at, id) order: all, a month's, a month's of
    #: one department (revisions 0003, 0005); the last also serves the reports by month.
    __table_args__ = (Index(None, "assessed_at", "id"), Index(None, "period", "assessed_at", "id"),
                      Index(None, "period", "department", "assessed_at", "id"),
                      Index(None, "period", "assignee"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    assignee: Mapped[str | None]
    charged_to: Mapped[str] = mapped_column(String(16), comment="department or assignee")
    rule: Mapped[str]
    trigger: Mapped[str] = mapped_column(
        String(32), comment="breach, complaint or authority_exceeded (32 from revision 0008)")
    breach_id: Mapped[str | None] = mapped_column(EventIdColumn, index=True)
    metric: Mapped[str | None] = mapped_column(String(16))
    base_fine: Mapped[Decimal]
    multiplier: Mapped[Decimal]
    capped_amount: Mapped[Decimal]
    fine: Mapped[Decimal] = mapped_column(comment="base_fine * multiplier - capped_amount")
    points: Mapped[int]
    currency: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(16), comment="month the cap counts in, YYYY-MM")
    assessed_at: Mapped[dt.datetime]
    reversed_at: Mapped[dt.datetime | None]
    reversal_id: Mapped[str | None] = mapped_column(EventIdColumn)
    reversal_reason: Mapped[str | None]
    dispute_id: Mapped[str | None] = mapped_column(EventIdColumn, comment="the upheld dispute")


class Reversal(Base):
    """One row per ``penalty.reversed``, kept even before its penalty is in the ledger."""

    __tablename__ = "reversals"

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    penalty_id: Mapped[str] = mapped_column(EventIdColumn, index=True)
    ticket: Mapped[str] = mapped_column(TicketColumn)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    assignee: Mapped[str | None]
    rule: Mapped[str]
    fine: Mapped[Decimal]
    points: Mapped[int]
    currency: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str]
    dispute_id: Mapped[str | None] = mapped_column(EventIdColumn)
    caused_by: Mapped[str | None] = mapped_column(EventIdColumn)
    reversed_at: Mapped[dt.datetime]


class DeadLetter(Base):
    """One row per ``event.rejected``: an input SLA Police refused, and why."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index(None, "rejected_at"),)

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, comment="message key, or 'unknown'")
    reason: Mapped[str] = mapped_column(Text)
    topic: Mapped[str]
    kafka_partition: Mapped[int | None]
    kafka_offset: Mapped[int | None] = mapped_column(BigInteger)
    kafka_key: Mapped[str | None]
    raw: Mapped[str] = mapped_column(Text, comment="the payload as received")
    raw_encoding: Mapped[str] = mapped_column(String(16), comment="utf-8 or base64")
    rejected_at: Mapped[dt.datetime]


PeriodColumn = String(16)


class LedgerLine(Base):
    """One payroll line: what a ``penalty.assessed`` or ``penalty.reversed`` booked, in
    which month. Lines of a closed month never change (:mod:`ledger.booking`)."""

    __tablename__ = "ledger_lines"
    __table_args__ = (Index(None, "period", "department"), Index(None, "penalty_id"))

    id: Mapped[str] = mapped_column(
        EventIdColumn, primary_key=True,
        comment="the penalty.assessed or penalty.reversed event that booked the line")
    period: Mapped[str] = mapped_column(PeriodColumn, comment="month it is paid in, YYYY-MM")
    status: Mapped[str] = mapped_column(String(16), comment="charged, reversed or adjustment")
    penalty_id: Mapped[str] = mapped_column(EventIdColumn)
    penalty_period: Mapped[str] = mapped_column(PeriodColumn, comment="the penalty's own month")
    ticket: Mapped[str] = mapped_column(TicketColumn)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    employee: Mapped[str | None] = mapped_column(
        comment="the assignee charged in person; empty when the department is charged")
    rule: Mapped[str]
    currency: Mapped[str] = mapped_column(String(8))
    fine: Mapped[Decimal] = mapped_column(
        comment="signed amount of the line (a reversed line: what it had charged)")
    points: Mapped[int] = mapped_column(comment="signed demerit points of the line")
    reversal_id: Mapped[str | None] = mapped_column(EventIdColumn)
    dispute_id: Mapped[str | None] = mapped_column(EventIdColumn)
    booked_at: Mapped[dt.datetime] = mapped_column(comment="when the ledger booked it")


class PeriodAction(Base):
    """One row per close or reopen of a month: who, when, why. The newest decides."""

    __tablename__ = "period_actions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(PeriodColumn, index=True)
    action: Mapped[str] = mapped_column(String(8), comment="close or reopen")
    actor: Mapped[str] = mapped_column(comment="who closed or reopened it")
    at: Mapped[dt.datetime]
    reason: Mapped[str | None] = mapped_column(Text, comment="why (required to reopen)")


class Dispute(Base):
    """One row per dispute, from ``sla.dispute_filed`` and ``sla.dispute_ruled`` (in either
    order), with the reversals it caused (``penalty.reversed`` naming it, any order)."""

    __tablename__ = "disputes"

    dispute_id: Mapped[str] = mapped_column(
        EventIdColumn, primary_key=True, comment="id of the attribution.disputed event")
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn, comment="who disputes")
    holder: Mapped[str | None] = mapped_column(
        DepartmentColumn, comment="the department holding the ticket when it was filed")
    filed_by: Mapped[str | None]
    reason: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16), comment="upheld or rejected")
    to_department: Mapped[str | None] = mapped_column(
        DepartmentColumn, comment="where an upheld ruling moved the ticket")
    ruled_by: Mapped[str | None]
    ruling_reason: Mapped[str | None] = mapped_column(Text)
    ruled_at: Mapped[dt.datetime | None]
    reversals: Mapped[int] = mapped_column(comment="penalties it reversed")
    reversed_fine: Mapped[Decimal]
    reversed_points: Mapped[int]


class ClockSnapshot(Base):
    """The latest ``sla.clocks_changed`` revision recorded per ticket: an older snapshot
    arriving later (a redelivery, a zombie worker) never overwrites a newer one."""

    __tablename__ = "clock_snapshots"

    ticket: Mapped[str] = mapped_column(TicketColumn, primary_key=True)
    revision: Mapped[int]
    changed_at: Mapped[dt.datetime]


class OpenClock(Base):
    """One open clock of a ticket, as of the ticket's latest snapshot: the department
    worklist (:mod:`ledger.worklist`). ``warn_from`` and ``breach_from`` are the instants
    from which the clock counts as warned and breached (none: not while it stays paused),
    so "warned" and "breached" are plain comparisons with the reader's now."""

    __tablename__ = "open_clocks"
    __table_args__ = (
        Index("ix_open_clocks_worklist", "department", "running", "due_at",
              "remaining_seconds", "ticket", "metric"),
    )

    ticket: Mapped[str] = mapped_column(TicketColumn, primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    cycle: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(DepartmentColumn, comment="whose clock it is")
    holder: Mapped[str | None] = mapped_column(
        DepartmentColumn, comment="the department holding the ticket")
    policy: Mapped[str]
    calendar: Mapped[str]
    running: Mapped[bool]
    started_at: Mapped[dt.datetime]
    elapsed_seconds: Mapped[int] = mapped_column(comment="working seconds at changed_at")
    remaining_seconds: Mapped[int] = mapped_column(
        comment="target minus elapsed at changed_at (negative: over)")
    target_seconds: Mapped[int]
    target: Mapped[str | None] = mapped_column(String(32), comment="as the policy writes it")
    due_at: Mapped[dt.datetime | None] = mapped_column(comment="breach instant while running")
    warn_from: Mapped[dt.datetime | None]
    breach_from: Mapped[dt.datetime | None]
    assignee: Mapped[str | None]
    status: Mapped[str] = mapped_column(String(16))
    disputed: Mapped[bool]
    priority: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None]
    changed_at: Mapped[dt.datetime]
    revision: Mapped[int]


class Attribution(Base):
    """One row per ``sla.attributed``: who got the ticket, why, from whom (the scorecard's
    complaints, owners, transfers and repeats)."""

    __tablename__ = "attributions"
    __table_args__ = (Index(None, "attributed_at"), Index(None, "reason", "attributed_at"),
                      Index(None, "customer_ref", "attributed_at"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    reason: Mapped[str] = mapped_column(String(16), comment="rule, assignment, transfer, dispute")
    previous_department: Mapped[str | None] = mapped_column(DepartmentColumn)
    repeat_of: Mapped[str | None] = mapped_column(TicketColumn, comment="the complaint repeats")
    attributed_at: Mapped[dt.datetime]
    category: Mapped[str | None] = mapped_column(comment="the contact reason (revision 0008)")
    agent: Mapped[str | None] = mapped_column(
        String(128), comment="the agent who took the complaint (revision 0008)")
    customer_ref: Mapped[str | None] = mapped_column(
        String(100), comment="the complaint's pseudonymous customer (= a caller ref); 0010")


class ClockOutcome(Base):
    """One row per ended clock: ``sla.met``, ``sla.breached`` or ``sla.cancelled``."""

    __tablename__ = "clock_outcomes"
    __table_args__ = (Index(None, "ended_at"),)

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    metric: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[int] = mapped_column(comment="resolve cycle: 2 and up after a reopen")
    outcome: Mapped[str] = mapped_column(String(16), comment="met, breached or cancelled")
    ended_at: Mapped[dt.datetime] = mapped_column(
        comment="completed_at, breached_at (the due time) or cancelled_at")


class CsatResponse(Base):
    """One row per ``sla.csat_recorded``: a customer's score for the holding department."""

    __tablename__ = "csat_responses"
    __table_args__ = (Index(None, "recorded_at"),)

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    assignee: Mapped[str | None]
    score: Mapped[int]
    recorded_at: Mapped[dt.datetime]


class Volume(Base):
    """One row per ``volume.reported``; the newest report of a (department, unit, day or
    month) is the one that counts (:mod:`ledger.scorecard`)."""

    __tablename__ = "volumes"
    __table_args__ = (Index(None, "month", "department"),)

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    unit: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(PeriodColumn, comment="the month counted, YYYY-MM")
    day: Mapped[dt.date | None] = mapped_column(Date, comment="the day counted; empty: the month")
    count: Mapped[int] = mapped_column(BigInteger)
    reported_at: Mapped[dt.datetime] = mapped_column(comment="the report's time")


class CorrectiveAction(Base):
    """One row per corrective action, merged from ``corrective_action.opened``,
    ``sla.fix_declared`` and ``corrective_action.reviewed`` in any order
    (:mod:`ledger.corrective_actions`). Open, fixed or reviewed: whichever of ``fixed_at``
    and ``reviewed_at`` is set; overdue when open past ``due_at``."""

    __tablename__ = "corrective_actions"
    __table_args__ = (Index(None, "department", "opened_at"),)

    action_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    anchor_ticket: Mapped[str] = mapped_column(
        TicketColumn, comment="the complaint that opened it; the fix is published on it")
    rule: Mapped[str | None] = mapped_column(comment="the recurrence rule")
    category: Mapped[str | None]
    opened_at: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime | None] = mapped_column(comment="the fix is due by then")
    baseline_count: Mapped[int | None] = mapped_column(
        comment="complaints in the rule's window when it opened")
    window: Mapped[str | None] = mapped_column(String(32), comment="as the policy writes it")
    fix_id: Mapped[str | None] = mapped_column(EventIdColumn, comment="the sla.fix_declared")
    what_changed: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime | None] = mapped_column(comment="as the department says")
    declared_by: Mapped[str | None]
    fixed_at: Mapped[dt.datetime | None] = mapped_column(comment="when the fix was declared")
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(comment="end of the review window")
    before_count: Mapped[int | None] = mapped_column(comment="complaints before the fix")
    before_per_day: Mapped[float | None] = mapped_column(Float)
    after_count: Mapped[int | None] = mapped_column(comment="complaints in the review window")
    after_per_day: Mapped[float | None] = mapped_column(Float)
    worked: Mapped[bool | None]


class CallerBlock(Base):
    """Each caller's active block, one row per caller (what the IVR asks about): set by
    ``caller.blocked``, deleted by the ``caller.unblocked`` of that block
    (:mod:`ledger.calls`). A row whose ``until`` has passed is no block: the lookup
    compares ``until`` with now, so the IVR never waits for the expiry to be recorded."""

    __tablename__ = "caller_blocks"
    #: The leads' list pages through active blocks newest first (revision 0010).
    __table_args__ = (Index(None, "blocked_at", "caller"), Index(None, "block_id"))

    caller: Mapped[str] = mapped_column(TicketColumn, primary_key=True)
    block_id: Mapped[str] = mapped_column(EventIdColumn)
    period: Mapped[str] = mapped_column(String(16))
    blocked_at: Mapped[dt.datetime]
    until: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str]
    review_at: Mapped[dt.datetime | None]


class BlockHistory(Base):
    """Every ``caller.blocked`` and ``caller.unblocked``, once (keyed by event id)."""

    __tablename__ = "block_history"
    __table_args__ = (Index(None, "caller", "at"),)

    event_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    block_id: Mapped[str] = mapped_column(EventIdColumn)
    caller: Mapped[str] = mapped_column(TicketColumn)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    period: Mapped[str | None] = mapped_column(String(16))
    until: Mapped[dt.datetime | None]
    by: Mapped[str | None]
    why: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


class QaItem(Base):
    """A call in the QA queue (``qa.item_opened``) and its verdict (``qa.reviewed``)."""

    __tablename__ = "qa_items"
    #: The API's queue pages by (ended_at, qa_id), the QA report reads spans of ended_at
    #: (revision 0011).
    __table_args__ = (Index(None, "agent", "week"), Index(None, "ended_at", "qa_id"))

    qa_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    call_id: Mapped[str | None] = mapped_column(EventIdColumn)
    caller: Mapped[str | None] = mapped_column(TicketColumn)
    agent: Mapped[str | None]
    team: Mapped[str | None]
    week: Mapped[str | None] = mapped_column(String(16))
    selected_by: Mapped[str | None] = mapped_column(String(16))
    norm: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[dt.datetime | None]
    verdict: Mapped[str | None] = mapped_column(String(16))
    inspector: Mapped[str | None]
    reviewed_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(
        Text, comment="the inspector's note (qa.reviewed); 0011")


class CallRecord(Base):
    """One row per ``call.ended`` (keyed by call id: a repeated call id changes nothing):
    what the before/after report of the calls policy counts (:mod:`ledger.call_records`)."""

    __tablename__ = "call_records"
    __table_args__ = (Index(None, "ended_at"), Index(None, "caller", "ended_at"))

    call_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    event_id: Mapped[str] = mapped_column(EventIdColumn, comment="the call.ended event")
    caller: Mapped[str] = mapped_column(TicketColumn, comment="pseudonymous caller reference")
    agent: Mapped[str]
    team: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime] = mapped_column(comment="the event's time")
    duration_seconds: Mapped[int]
    ended_by: Mapped[str] = mapped_column(String(16), comment="agent, customer or system")
    disposition: Mapped[str] = mapped_column(String(32))
    warned: Mapped[bool]
    csat: Mapped[int | None]
    ticket_id: Mapped[str | None] = mapped_column(TicketColumn)


class BlockRequest(Base):
    """One row per ``block.requested``, merged with its ``block.decided`` (or the
    ``block.refused`` of either) in any order: what the API checks a decision against."""

    __tablename__ = "block_requests"
    __table_args__ = (Index(None, "status", "requested_at"),)

    request_id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    caller: Mapped[str | None] = mapped_column(TicketColumn)
    period: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text, comment="JSON list of call ids")
    requested_by: Mapped[str | None]
    requested_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(
        String(16), comment="pending, approved, declined or refused")
    decision_id: Mapped[str | None] = mapped_column(EventIdColumn)
    decided_by: Mapped[str | None]
    decided_at: Mapped[dt.datetime | None]
    refusal: Mapped[str | None] = mapped_column(Text, comment="why the request was refused")
