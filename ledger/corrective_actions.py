"""The ``corrective_actions`` table: one row per action, merged from
``corrective_action.opened``, ``sla.fix_declared`` and ``corrective_action.reviewed``
whatever order they arrive in (like :mod:`ledger.disputes`).

Each event fills its own columns and leaves the others as they are; ``rule`` and
``category``, which the opening and the review both carry, are kept from whichever came
first. A second fix of one action (the stream ignores it) never replaces the first. All of
it runs in the writer's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, func, or_, select
from sqlalchemy.orm import Session

from ledger.tables import CorrectiveAction

__all__ = ["ACTION_COUNTS", "ACTION_EVENT_TYPES", "action_counts", "action_status",
           "corrective_actions", "find_action", "record_actions"]

ACTION_EVENT_TYPES = ("corrective_action.opened", "sla.fix_declared",
                      "corrective_action.reviewed")
_COLUMNS = [column.name for column in CorrectiveAction.__table__.columns]
_KEYS = ("action_id", "department", "anchor_ticket")


def _opened(event: Any) -> dict[str, Any]:
    d = event.data
    return {"rule": d.rule, "category": d.category, "opened_at": d.opened_at,
            "due_at": d.due_at, "baseline_count": d.baseline_count, "window": d.window}


def _fixed(event: Any) -> dict[str, Any]:
    d = event.data
    return {"fix_id": event.id, "what_changed": d.what_changed, "changed_at": d.changed_at,
            "declared_by": d.declared_by, "fixed_at": d.declared_at}


def _reviewed(event: Any) -> dict[str, Any]:
    d = event.data
    return {"rule": d.rule, "category": d.category, "opened_at": d.opened_at,
            "reviewed_at": d.reviewed_at, "before_count": d.baseline_count,
            "before_per_day": d.baseline_per_day, "after_count": d.review_count,
            "after_per_day": d.review_per_day, "worked": d.worked}


_BUILD: dict[str, Callable[[Any], dict[str, Any]]] = {
    "corrective_action.opened": _opened, "sla.fix_declared": _fixed,
    "corrective_action.reviewed": _reviewed}


def record_actions(conn: Connection, insert: Callable[..., Any], new: Sequence[Any]) -> int:
    """Merge the action events among ``new`` into ``corrective_actions``; return how many
    events were merged. One statement per event, in time order, so two events of one action
    in a batch merge like two batches would."""
    events = sorted((e for e in new if e.type in _BUILD), key=lambda e: (e.time, e.id))
    table = CorrectiveAction.__table__
    for event in events:
        own = _BUILD[event.type](event)
        row = {**dict.fromkeys(_COLUMNS), "action_id": event.data.action_id,
               "department": event.data.department, "anchor_ticket": event.subject, **own}
        stmt = insert(CorrectiveAction).values(row)
        first = ("rule", "category", "opened_at")
        merged = {name: (func.coalesce(table.c[name], stmt.excluded[name]) if name in first
                         or event.type == "sla.fix_declared" else stmt.excluded[name])
                  for name in own}
        conn.execute(stmt.on_conflict_do_update(index_elements=["action_id"], set_=merged))
    return len(events)


def action_status(row: CorrectiveAction) -> str:
    """``open`` (no fix declared), ``fixed`` (declared, not reviewed yet) or ``reviewed``."""
    if row.reviewed_at is not None:
        return "reviewed"
    return "fixed" if row.fixed_at is not None else "open"


def corrective_actions(engine: Engine, department: str | None = None,
                       status: str | None = None) -> list[CorrectiveAction]:
    """Actions (of ``department``; of ``status``: open, fixed or reviewed), oldest first."""
    table = CorrectiveAction
    query = select(table)
    if department is not None:
        query = query.where(table.department == department)
    if status == "open":
        query = query.where(table.fixed_at.is_(None), table.reviewed_at.is_(None))
    elif status == "fixed":
        query = query.where(table.fixed_at.is_not(None), table.reviewed_at.is_(None))
    elif status == "reviewed":
        query = query.where(table.reviewed_at.is_not(None))
    query = query.order_by(func.coalesce(table.opened_at, table.fixed_at), table.action_id)
    with Session(engine) as session:
        return list(session.scalars(query))


def find_action(engine: Engine, action_id: str) -> CorrectiveAction | None:
    """The action ``action_id``, or None when the ledger does not hold it (yet)."""
    with Session(engine) as session:
        return session.get(CorrectiveAction, action_id)


#: What :func:`action_counts` counts per department, in its lists' order.
ACTION_COUNTS = ("actions_opened", "actions_fixed", "actions_reviewed", "actions_worked",
                 "actions_overdue")


def _grouped(conn: Connection, stmt: Any, out: dict[str, list[int]], *slots: int) -> None:
    """Add each row of ``stmt`` (department, counts...) into ``out`` at ``slots``."""
    for department, *counts in conn.execute(stmt).all():
        for slot, n in zip(slots, counts, strict=True):
            out[department][slot] += int(n or 0)


def action_counts(conn: Connection, since: datetime, until: datetime,
                  cut: datetime) -> dict[str, list[int]]:
    """department -> [opened, fixed, reviewed, worked, overdue] (:data:`ACTION_COUNTS`):
    actions opened in [since, until), fixes declared then (of actions the ledger saw open:
    a declaration for an unknown action changes nothing, docs/semantics.md), reviews then
    and how many of those worked; and actions open past their ``due_at`` at ``cut`` (the
    month's end, or now for the month in progress): opened before it and no fix declared
    before it."""
    table = CorrectiveAction
    out: dict[str, list[int]] = defaultdict(lambda: [0] * len(ACTION_COUNTS))
    _grouped(conn, select(table.department, func.count())
             .where(table.opened_at >= since, table.opened_at < until)
             .group_by(table.department), out, 0)
    _grouped(conn, select(table.department, func.count())
             .where(table.opened_at.is_not(None), table.fixed_at >= since,
                    table.fixed_at < until).group_by(table.department), out, 1)
    _grouped(conn, select(table.department, func.count(),
                          func.sum(case((table.worked.is_(True), 1), else_=0)))
             .where(table.reviewed_at >= since, table.reviewed_at < until)
             .group_by(table.department), out, 2, 3)
    if cut > since:
        _grouped(conn, select(table.department, func.count())
                 .where(table.opened_at < cut, table.due_at < cut,
                        or_(table.fixed_at.is_(None), table.fixed_at >= cut))
                 .group_by(table.department), out, 4)
    return out
