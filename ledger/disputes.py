"""The ``disputes`` table: one row per dispute, merged from ``sla.dispute_filed`` and
``sla.dispute_ruled`` whatever order they arrive in, with the reversals it caused.

The filing fills the filing's columns, the ruling the ruling's; a column both events carry
(the department, the ticket, ``filed_at``) is the filing's when it is known. The reversal
count and amounts are recounted from ``reversals`` (every ``penalty.reversed`` naming the
dispute) each time a filing, a ruling or such a reversal is recorded, so they are right in
any order too. All of it runs in the writer's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from ledger.tables import Dispute, Reversal, decimal_sum

__all__ = ["record_disputes"]

_CHUNK = 1000
_FILED = ("ticket", "department", "holder", "filed_by", "reason", "filed_at")
_RULED = ("outcome", "to_department", "ruled_by", "ruling_reason", "ruled_at")
_EMPTY = {"holder": None, "filed_by": None, "reason": None, "filed_at": None,
          "outcome": None, "to_department": None, "ruled_by": None, "ruling_reason": None,
          "ruled_at": None, "reversals": 0, "reversed_fine": Decimal(0), "reversed_points": 0}


def _filed_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {**_EMPTY, "dispute_id": data.dispute_id, "ticket": event.subject,
            "department": data.department, "holder": data.holder, "filed_by": data.filed_by,
            "reason": data.reason, "filed_at": data.filed_at}


def _ruled_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {**_EMPTY, "dispute_id": data.dispute_id, "ticket": event.subject,
            "department": data.department, "filed_at": data.filed_at,
            "outcome": data.outcome, "to_department": data.to_department,
            "ruled_by": data.ruled_by, "ruling_reason": data.reason, "ruled_at": data.ruled_at}


def record_disputes(conn: Connection, insert: Callable[..., Any], new: Sequence[Any]) -> int:
    """Merge the new filings and rulings among ``new`` into ``disputes`` and recount the
    reversals of every dispute they or new reversals name; return the disputes touched."""
    filed = _by_dispute(new, "sla.dispute_filed", _filed_row)
    ruled = _by_dispute(new, "sla.dispute_ruled", _ruled_row)
    table = Dispute.__table__
    if filed:
        stmt = insert(Dispute)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["dispute_id"],
            set_={name: stmt.excluded[name] for name in _FILED}), filed)
    if ruled:
        stmt = insert(Dispute)
        keep = {name: func.coalesce(table.c[name], stmt.excluded[name])
                for name in ("holder", "filed_by", "reason", "filed_at")}
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["dispute_id"],
            set_={**{name: stmt.excluded[name] for name in _RULED}, **keep}), ruled)
    touched = {row["dispute_id"] for row in (*filed, *ruled)}
    touched |= {e.data.dispute_id for e in new
                if e.type == "penalty.reversed" and e.data.dispute_id is not None}
    _recount(conn, sorted(touched))
    return len(touched)


def _by_dispute(events: Sequence[Any], event_type: str,
                build: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per dispute among ``events`` of ``event_type`` (the last by event id)."""
    rows = {}
    for event in sorted((e for e in events if e.type == event_type), key=lambda e: e.id):
        rows[event.data.dispute_id] = build(event)
    return [rows[key] for key in sorted(rows)]


def _recount(conn: Connection, dispute_ids: list[str]) -> None:
    """Set each dispute's reversal count, fine and points from ``reversals``."""
    table = Dispute.__table__
    recount = (update(table).where(table.c.dispute_id == bindparam("key"))
               .values(reversals=bindparam("n"), reversed_fine=bindparam("amount"),
                       reversed_points=bindparam("pts")))
    for start in range(0, len(dispute_ids), _CHUNK):
        chunk = dispute_ids[start:start + _CHUNK]
        sums = {key: (n, amount, int(pts)) for key, n, amount, pts in conn.execute(
            select(Reversal.dispute_id, func.count(), decimal_sum(Reversal.fine),
                   func.sum(Reversal.points))
            .where(Reversal.dispute_id.in_(chunk)).group_by(Reversal.dispute_id))}
        none = (0, Decimal(0), 0)
        rows = [dict(zip(("key", "n", "amount", "pts"), (key, *sums.get(key, none)),
                         strict=True)) for key in chunk]
        conn.execute(recount, rows)
