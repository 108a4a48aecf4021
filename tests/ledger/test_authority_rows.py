"""The authority tables (revision 0008): each grant, approval and flag is one row; an audit
item opened and closed merges into one row whatever order they arrive in; a redelivery
changes nothing; an upgrade from 0007 copies in what ledger_events already held. On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from ledger import Ledger
from ledger.authority_tables import Approval, AuditItem, AuthorityFlag, Concession
from ledger.tables import Attribution

from .conftest import TIMEZONE, Backend
from .events import outbound

RECORDED = outbound("concession.recorded")
APPROVAL = outbound("approval.recorded")
OPENED = outbound("audit.item_opened")
CLOSED = outbound("audit.item_closed")
FLAG = outbound("authority.flagged")
ATTRIBUTED = outbound("sla.attributed", {"agent": "agent-012"}, id="att-1")
ALL = [RECORDED, APPROVAL, OPENED, CLOSED, FLAG, ATTRIBUTED]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def audit(ledger: Ledger) -> tuple:
    with ledger.engine.connect() as conn:
        row = conn.execute(select(AuditItem)).one()
    return (row.audit_id, row.grant_id, row.ticket, row.agent, row.level, row.kind,
            row.amount, row.selected_by, row.threshold, row.granted_at, row.verdict,
            row.auditor, row.closed_at, row.closed_id)


EXPECTED_AUDIT = ("8e2d-audit", "crm-20", "T-20261120-0001", "agent-012", "agent", "credit",
                  Decimal("300.00"), "threshold", Decimal(250),
                  utc("2026-11-20T10:40:00+08:00"), "compliant", "qa-007",
                  utc("2026-11-22T15:00:00+08:00"), "8e2d-closed")


def everything(ledger: Ledger) -> dict[str, list]:
    with ledger.engine.connect() as conn:
        return {t.__tablename__: conn.execute(select(t)).all()
                for t in (Concession, Approval, AuditItem, AuthorityFlag, Attribution)}


def test_an_audit_item_opened_then_closed_or_closed_then_opened_is_one_row(
        backend: Backend) -> None:
    for order in ([OPENED, CLOSED], [CLOSED, OPENED], [[OPENED, CLOSED]]):
        ledger = backend.fresh_ledger()
        for part in order:
            ledger.record(part if isinstance(part, list) else [part])
        assert audit(ledger) == EXPECTED_AUDIT, order
        backend.discard(ledger)


def test_an_open_item_has_no_verdict(ledger: Ledger) -> None:
    ledger.record([OPENED])
    assert audit(ledger)[10:] == (None, None, None, None)


def test_each_event_is_one_row_and_a_redelivery_changes_nothing(ledger: Ledger) -> None:
    ledger.record(ALL)
    before = everything(ledger)
    stats = ledger.record(ALL)
    assert stats.total_inserted == 0 and stats.total_duplicates == len(ALL)
    assert everything(ledger) == before
    [grant] = before["concessions"]
    assert (grant.grant_id, grant.agent_limit, grant.needed_approval, grant.audited) == (
        "crm-20", Decimal(100), True, True)
    [approval] = before["approvals"]
    assert (approval.wait_seconds, approval.decision) == (780, "approved")
    [flag] = before["authority_flags"]
    assert (flag.flag_id, flag.metrics, flag.period, flag.peers) == (
        "8e2d-flag", "grant_rate", "2026-10", 14)
    [attribution] = before["attributions"]
    assert (attribution.agent, attribution.category) == ("agent-012", "delivery.late")


def test_upgrading_from_0007_copies_what_ledger_events_held(backend: Backend) -> None:
    from alembic import command  # noqa: PLC0415

    from ledger.migrations import alembic_config  # noqa: PLC0415
    from ledger.rows import event_row  # noqa: PLC0415
    from ledger.tables import LedgerEvent  # noqa: PLC0415

    url = backend.fresh_url()
    with Ledger(url, timezone=TIMEZONE) as old, old.engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0007")
        conn.execute(LedgerEvent.__table__.insert(),
                     [event_row(e, datetime(2026, 12, 1, tzinfo=UTC)) for e in ALL])
        conn.execute(Attribution.__table__.insert().values(
            id="att-1", ticket=ATTRIBUTED.subject, department="logistics", reason="rule",
            attributed_at=ATTRIBUTED.data.attributed_at))
    fresh = backend.fresh_ledger()
    fresh.record(ALL)
    with Ledger(url, timezone=TIMEZONE) as upgraded:
        assert upgraded.migrate() == Ledger.head()
        assert everything(upgraded) == everything(fresh)
