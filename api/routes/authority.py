"""Agent authority (issue 14): ``GET /api/v1/reports/authority`` (the month's report, as
``sla-police report authority``), the audit queue ``GET /api/v1/audits`` and an auditor's
verdict ``POST /api/v1/audits/{audit_id}/verdict`` (published as ``audit.completed``
through the command bus, like a dispute ruling; the stream closes the item and the ledger
records the verdict when ``audit.item_closed`` comes back).

The report is for the contact center, executives and auditors (departments and HR: 403);
the queue for auditors and the contact center; verdicts for auditors only.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlalchemy import Engine

from api import commands
from api.auth import AUDIT_READERS, AUTHORITY_READERS, allow
from api.principals import Principal, Role
from api.routes._common import (
    AUTH_ERRORS,
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    NOT_FOUND,
    PERIOD_PATTERN,
    engine_of,
    keyset_page,
    settings_of,
)
from api.schemas import ErrorBody
from api.schemas_authority import (
    AuditItemView,
    AuditPage,
    AuthorityReport,
    VerdictPublished,
    VerdictRequest,
)
from api.settings import ApiSettings
from ledger.audits import audit_page
from ledger.authority import authority_report
from ledger.authority_export import report_dict
from ledger.authority_tables import AuditItem
from sla.authority_view import PolicyView

__all__ = ["audit_item", "audits_router", "authority_report_view", "open_audits",
           "reports_router"]

reports_router = APIRouter(prefix="/reports", tags=["reports"])
audits_router = APIRouter(prefix="/audits", tags=["audits"])
_CONFLICT = {409: {"model": ErrorBody, "description": "the item has a verdict already"}}
_NO_SECTION = {404: {"model": ErrorBody, "description": "the policy has no authority section"}}
_AUDIT_ID = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                 description="audit_id of the item (from the queue)")


@reports_router.get("/authority", response_model=AuthorityReport,
                    responses={**AUTH_ERRORS, **_NO_SECTION},
                    summary="Agent authority in a month: per contact reason, flags, pilots")
def report(
    period: str = Query(..., pattern=PERIOD_PATTERN, description="month, e.g. 2026-11"),
    principal: Principal = Depends(allow(*AUTHORITY_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> AuthorityReport:
    made = authority_report_view(engine, settings, period)
    if made is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "the policy has no authority section: agents' concessions are "
                            "not judged")
    return made


def authority_report_view(engine: Engine, settings: ApiSettings,
                          period: str) -> AuthorityReport | None:
    """The authority report of ``period`` as the API answers it (None: the policy has no
    authority section). The status page shows this very object."""
    if settings.authority is None:
        return None
    made = authority_report(engine, period, ZoneInfo(settings.timezone),
                            PolicyView(settings.authority), settings.clock())
    return AuthorityReport.model_validate(report_dict(made))


def audit_item(row: AuditItem) -> AuditItemView:
    """An audit item as the queue shows it (open while it has no verdict)."""
    return AuditItemView(
        audit_id=row.audit_id, status="open" if row.verdict is None else "closed",
        ticket=row.ticket, grant_id=row.grant_id, agent=row.agent, level=row.level,
        team=row.team, contact_reason=row.contact_reason, kind=row.kind, amount=row.amount,
        currency=row.currency, selected_by=row.selected_by, granted_at=row.granted_at,
        verdict=row.verdict, auditor=row.auditor,  # type: ignore[arg-type]
        note=row.note, closed_at=row.closed_at)


@audits_router.get("", response_model=AuditPage, responses=AUTH_ERRORS,
                   summary="The audit queue, oldest grant first, by cursor pages")
def list_audits(
    status_: Literal["open", "closed"] | None = Query(
        None, alias="status", description="open: no verdict yet; closed: with its verdict"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=1000,
                               description="next_cursor of the previous page"),
    principal: Principal = Depends(allow(*AUDIT_READERS)),
    engine: Engine = Depends(engine_of),
) -> AuditPage:
    page, next_cursor = keyset_page(
        cursor, lambda after, n: audit_page(engine, status_, after, n), limit,
        lambda row: (row.granted_at, row.audit_id))
    return AuditPage(items=[audit_item(row) for row in page], next_cursor=next_cursor)


def open_audits(engine: Engine, limit: int) -> list[AuditItemView]:
    """The first ``limit`` open items of the queue, oldest grant first (the page's list)."""
    return [audit_item(row) for row in audit_page(engine, "open", None, limit)]


@audits_router.post("/{audit_id}/verdict", status_code=status.HTTP_202_ACCEPTED,
                    response_model=VerdictPublished,
                    responses={**COMMAND_ERRORS, **NOT_FOUND, **_CONFLICT},
                    summary="Give an audit item its verdict (publishes audit.completed)")
async def give_verdict(
    body: VerdictRequest,
    audit_id: str = _AUDIT_ID,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.AUDITOR)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> VerdictPublished:
    event, item = await commands.audit_verdict(engine, settings, principal, audit_id,
                                               body.verdict, body.note, idempotency_key)
    return VerdictPublished(verdict_id=event.id, audit_id=audit_id, ticket=item.ticket,
                            verdict=body.verdict, auditor=principal.name,
                            completed_at=event.time)


