"""What the before/after report of the calls policy reads from the ledger (issue 15).

Plain rows, no judgement: :func:`sla.calls_change.judge_change` computes the figures (the
API's ``/reports/calls`` and ``sla-police report calls`` both feed it these rows, through
``api.calls_report``). ``call_records`` gives the calls, ``block_history`` the blocks and
their ends, ``qa_items`` the reviewed sample, ``attributions.customer_ref`` the complaints
by the same pseudonym as a caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import Engine, func, select

from ledger.tables import Attribution, BlockHistory, CallRecord, QaItem

__all__ = ["block_events", "call_rows", "first_complaints", "qa_verdicts"]

_CHUNK = 1000  # callers per IN (...) list


def call_rows(engine: Engine, since: datetime, until: datetime) -> list[Any]:
    """The calls ended in ``[since, until)``: call id, caller, agent, team, ended_at,
    duration_seconds, ended_by, disposition, csat."""
    stmt = select(CallRecord.call_id, CallRecord.caller, CallRecord.agent, CallRecord.team,
                  CallRecord.ended_at, CallRecord.duration_seconds, CallRecord.ended_by,
                  CallRecord.disposition, CallRecord.csat).where(
        CallRecord.ended_at >= since, CallRecord.ended_at < until).order_by(
        CallRecord.ended_at, CallRecord.call_id)
    with engine.connect() as conn:
        return conn.execute(stmt).all()


def block_events(engine: Engine, until: datetime) -> tuple[dict[str, tuple[str, datetime]],
                                                           dict[str, datetime]]:
    """(block id -> (caller, start), block id -> end) of every block begun before ``until``
    and every recorded end: what :func:`sla.calls_change.block_spans` makes spans of."""
    starts: dict[str, tuple[str, datetime]] = {}
    ends: dict[str, datetime] = {}
    stmt = select(BlockHistory.block_id, BlockHistory.caller, BlockHistory.kind,
                  BlockHistory.at).where(BlockHistory.at < until)
    with engine.connect() as conn:
        for block_id, caller, kind, at in conn.execute(stmt):
            if kind == "blocked":
                starts[block_id] = (caller, at)
            else:
                ends[block_id] = at
    return starts, ends


def qa_verdicts(engine: Engine, since: datetime, until: datetime) -> tuple[
        dict[str, datetime], dict[str, str]]:
    """(qa id -> the call's end, qa id -> verdict) of the QA items of calls ended in
    ``[since, until)`` (verdicts: those reviewed)."""
    stmt = select(QaItem.qa_id, QaItem.ended_at, QaItem.verdict).where(
        QaItem.ended_at >= since, QaItem.ended_at < until)
    items: dict[str, datetime] = {}
    verdicts: dict[str, str] = {}
    with engine.connect() as conn:
        for qa_id, ended_at, verdict in conn.execute(stmt):
            items[qa_id] = ended_at
            if verdict is not None:
                verdicts[qa_id] = verdict
    return items, verdicts


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    iterator = iter(sorted(items))
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def first_complaints(engine: Engine, customers: Collection[str]) -> list[tuple[str, datetime]]:
    """(customer ref, when the complaint was first attributed) of every complaint (ticket)
    of ``customers``: a ticket's first ``sla.attributed`` is when its complaint arrived."""
    found: list[tuple[str, datetime]] = []
    with engine.connect() as conn:
        for chunk in _chunks(customers):
            stmt = select(Attribution.customer_ref, func.min(Attribution.attributed_at)).where(
                Attribution.customer_ref.in_(chunk)).group_by(
                Attribution.customer_ref, Attribution.ticket)
            found.extend((ref, at) for ref, at in conn.execute(stmt))
    return sorted(found)
