"""The audit queue: audit items (``audit_items``, :mod:`ledger.authority_rows`) oldest grant
first, open (no verdict yet) or closed, by keyset pages; and one item by id. What the API's
``/audits`` endpoints read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.orm import Session

from ledger.authority_tables import AuditItem

__all__ = ["audit_page", "find_audit"]


def audit_page(engine: Engine, status: str | None, after: tuple[datetime, str] | None,
               limit: int) -> list[AuditItem]:
    """Up to ``limit`` items of ``status`` (``open``, ``closed`` or ``None``: both) in
    ``(granted_at, audit_id)`` order, strictly after ``after`` (the previous page's last)."""
    stmt = select(AuditItem)
    if status == "open":
        stmt = stmt.where(AuditItem.verdict.is_(None))
    elif status == "closed":
        stmt = stmt.where(AuditItem.verdict.is_not(None))
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(AuditItem.granted_at > at,
                              and_(AuditItem.granted_at == at, AuditItem.audit_id > last_id)))
    stmt = stmt.order_by(AuditItem.granted_at, AuditItem.audit_id).limit(limit)
    with Session(engine) as session:
        return list(session.scalars(stmt))


def find_audit(engine: Engine, audit_id: str) -> AuditItem | None:
    """The audit item ``audit_id``, or None when the ledger does not hold it (yet)."""
    with Session(engine) as session:
        return session.get(AuditItem, audit_id)
