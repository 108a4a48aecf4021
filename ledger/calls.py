"""Caller blocks, the QA queue, call records and block requests in the ledger (issue 15).

``caller_blocks`` holds each caller's active block (one row per caller: the newest
``caller.blocked``, deleted by that block's ``caller.unblocked``), ``block_history`` every
block event once, ``qa_items`` the QA sample merged with its verdicts. Recording is
idempotent and order-proof: an unblock recorded before its block keeps the block out of
``caller_blocks``; an older block never replaces a newer one. :func:`block_of` is the
IVR's question, "is this caller blocked, until when", one primary-key read that compares
``until`` with now (an expiry not yet recorded is already no block). ``call.ended`` rows and
the block requests with their decisions are kept by :mod:`ledger.call_records`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, delete, not_, or_, select

from ledger.call_records import REQUEST_TYPES, record_call, record_request_event
from ledger.tables import BlockHistory, CallerBlock, QaItem

__all__ = ["CALLS_KEPT_TYPES", "BlockFilter", "active_block", "active_blocks", "block_of",
           "record_calls"]

#: What :func:`record_calls` keeps; other events handed to it are ignored. The inbound ones
#: (``call.ended``, ``qa.reviewed``, ``block.requested``, ``block.decided``) come from the
#: ``calls`` topic, the others are the calls stage's outputs.
CALLS_KEPT_TYPES = frozenset({"caller.blocked", "caller.unblocked", "qa.item_opened",
                              "qa.reviewed", "call.ended", *REQUEST_TYPES})
#: Within one instant: a request before its decision before a refusal of either.
_RANK = {"block.requested": 0, "block.decided": 1, "block.refused": 2}


def record_calls(conn: Connection, insert: Callable[..., Any], events: Iterable[Any]) -> int:
    """Merge the calls events among ``events`` in (time, id) order; return how many block
    events were new plus the QA events merged (those are upserts). Runs in the caller's
    transaction."""
    new = 0
    for event in sorted((e for e in events if e.type in CALLS_KEPT_TYPES),
                        key=lambda e: (e.time, _RANK.get(e.type, 0), e.id)):
        new += _RECORD[event.type](conn, insert, event)
    return new


def _history(conn: Connection, insert: Callable[..., Any], event: Any, **row: Any) -> bool:
    d = event.data
    stmt = insert(BlockHistory).values(event_id=event.id, block_id=d.block_id,
                                       caller=d.caller, **row)
    inserted = stmt.on_conflict_do_nothing().returning(BlockHistory.event_id)
    return conn.execute(inserted).first() is not None


def _blocked(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    d = event.data
    if not _history(conn, insert, event, kind="blocked", at=d.blocked_at, period=d.period,
                    until=d.until, by=d.by, why=None, reason=d.reason):
        return 0
    ended = conn.execute(select(BlockHistory.event_id).where(
        BlockHistory.block_id == d.block_id, BlockHistory.kind == "unblocked")).first()
    current = conn.execute(select(CallerBlock.blocked_at).where(
        CallerBlock.caller == d.caller)).scalar()
    if ended is None and (current is None or current <= d.blocked_at):
        row = {"block_id": d.block_id, "period": d.period, "blocked_at": d.blocked_at,
               "until": d.until, "reason": d.reason, "by": d.by, "review_at": d.review_at}
        stmt = insert(CallerBlock).values(caller=d.caller, **row)
        conn.execute(stmt.on_conflict_do_update(index_elements=["caller"], set_=row))
    return 1


def _unblocked(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    d = event.data
    if not _history(conn, insert, event, kind="unblocked", at=d.at, period=None, until=None,
                    by=d.lifted_by, why=d.why, reason=d.reason):
        return 0
    conn.execute(delete(CallerBlock).where(CallerBlock.caller == d.caller,
                                           CallerBlock.block_id == d.block_id))
    return 1


def _qa_item(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    d = event.data
    row = {"call_id": d.call_id, "caller": d.caller, "agent": d.agent, "team": d.team,
           "week": d.week, "selected_by": d.selected_by, "norm": d.norm,
           "ended_at": d.ended_at}
    return _merge_qa(conn, insert, d.qa_id, row)


def _merge_qa(conn: Connection, insert: Callable[..., Any], qa_id: str,
              row: dict[str, Any]) -> int:
    stmt = insert(QaItem).values(qa_id=qa_id, **row)
    conn.execute(stmt.on_conflict_do_update(index_elements=["qa_id"], set_=row))
    return 1


def _qa_verdict(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    d = event.data
    row = {"verdict": d.verdict, "inspector": d.inspector, "reviewed_at": event.time,
           "note": d.note}
    return _merge_qa(conn, insert, d.qa_id, row)


_RECORD: dict[str, Callable[[Connection, Callable[..., Any], Any], int]] = {
    "caller.blocked": _blocked, "caller.unblocked": _unblocked,
    "qa.item_opened": _qa_item, "qa.reviewed": _qa_verdict, "call.ended": record_call,
    **dict.fromkeys(REQUEST_TYPES, record_request_event)}


def _active(row: CallerBlock, now: datetime) -> bool:
    return row.until is None or row.until > now


def block_of(engine: Engine, caller: str, now: datetime) -> dict[str, Any] | None:
    """The caller's block active at ``now`` (``until`` None: permanent), or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(select(CallerBlock).where(CallerBlock.caller == caller)).first()
    return _block(row, now)


def active_block(engine: Engine, block_id: str, now: datetime) -> dict[str, Any] | None:
    """The block ``block_id`` if it is a caller's block active at ``now``, else ``None``."""
    with engine.connect() as conn:
        row = conn.execute(select(CallerBlock).where(CallerBlock.block_id == block_id)).first()
    return _block(row, now)


def _block(row: Any, now: datetime) -> dict[str, Any] | None:
    if row is None or not _active(row, now):
        return None
    return {"caller": row.caller, "block_id": row.block_id, "period": row.period,
            "blocked_at": row.blocked_at, "until": row.until, "reason": row.reason,
            "by": row.by, "review_at": row.review_at}


@dataclass(frozen=True, slots=True)
class BlockFilter:
    """Which active blocks to list: one caller, one period, set by a rule or by people."""

    caller: str | None = None
    period: str | None = None
    by: Literal["rule", "people"] | None = None


def active_blocks(engine: Engine, now: datetime, limit: int = 500,
                  where: BlockFilter = BlockFilter(),
                  after: tuple[datetime, str] | None = None) -> Sequence[Any]:
    """Up to ``limit`` blocks active at ``now``, newest first (blocked_at, then caller,
    both descending), after the keyset ``after`` (a row's (blocked_at, caller))."""
    stmt = select(CallerBlock).where(or_(CallerBlock.until.is_(None), CallerBlock.until > now))
    if where.caller is not None:
        stmt = stmt.where(CallerBlock.caller == where.caller)
    if where.period is not None:
        stmt = stmt.where(CallerBlock.period == where.period)
    if where.by is not None:
        rule = CallerBlock.by.startswith("rule:", autoescape=True)
        stmt = stmt.where(rule if where.by == "rule" else not_(rule))
    if after is not None:
        stmt = stmt.where(or_(CallerBlock.blocked_at < after[0], and_(
            CallerBlock.blocked_at == after[0], CallerBlock.caller < after[1])))
    stmt = stmt.order_by(CallerBlock.blocked_at.desc(), CallerBlock.caller.desc()).limit(limit)
    with engine.connect() as conn:
        return conn.execute(stmt).all()
