"""Commands as inbound events: what the API publishes when a principal files a dispute,
rules on one, declares the fix of a corrective action or gives an audit verdict.

:func:`file_dispute`, :func:`rule_dispute`, :func:`declare_fix` and :func:`audit_verdict`
check a command against the ledger (404, 403, 409 and 422 as
:class:`fastapi.HTTPException`), build its event and publish it; the JSON API's routes and
the status page's forms both call them, so the two publish the same events. The caller
has checked the role.

An event's id is derived from the ``Idempotency-Key`` header when the client sends one
(UUIDv5 of the principal, the event type and the key), so a retried request publishes the
same id and the stream, which ignores repeated ids, acts once. Without the header each
request gets a fresh UUIDv4.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from fastapi import HTTPException, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from api.auth import forbidden
from api.principals import Principal
from api.routes._common import invalid
from api.settings import ApiSettings
from ledger.audits import find_audit
from ledger.authority_tables import AuditItem
from ledger.corrective_actions import action_status, find_action
from ledger.queries import find_dispute, ticket_holders
from ledger.tables import CorrectiveAction, Dispute
from models import AttributionDisputed, DisputeRuled
from models.actions import CorrectiveActionFixed
from models.authority import AuditCompleted
from models.ids import derived_id

__all__ = ["audit_verdict", "check_ruling", "command_id", "declare_fix", "dispute_event",
           "file_dispute", "rule_dispute", "ruling_event"]


def command_id(principal: str, event_type: str, idempotency_key: str | None) -> str:
    """The id of a command event: deterministic with an idempotency key, else random."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return derived_id("api", principal, event_type, idempotency_key)


def dispute_event(event_id: str, source: str, at: datetime, ticket: str, department: str,
                  filed_by: str, reason: str, note: str | None) -> AttributionDisputed:
    """``attribution.disputed``: ``department`` disputes owning ``ticket``; ``actor`` is the
    principal who filed it (the stream records it as ``filed_by``)."""
    data: dict[str, Any] = {"department": department, "reason": reason, "actor": filed_by}
    if note is not None:
        data["note"] = note
    return AttributionDisputed.model_validate({
        "id": event_id, "source": source, "time": at, "subject": ticket, "data": data})


def ruling_event(event_id: str, source: str, at: datetime, ticket: str, dispute_id: str,
                 outcome: str, to_department: str | None, reason: str,
                 ruled_by: str) -> DisputeRuled:
    """``dispute.ruled`` on ``dispute_id``; ``actor`` is the contact-center principal."""
    data: dict[str, Any] = {"dispute_id": dispute_id, "outcome": outcome, "reason": reason,
                            "actor": ruled_by}
    if to_department is not None:
        data["to_department"] = to_department
    return DisputeRuled.model_validate({
        "id": event_id, "source": source, "time": at, "subject": ticket, "data": data})


async def file_dispute(engine: Engine, settings: ApiSettings, principal: Principal,
                       ticket: str, reason: str, note: str | None,
                       key: str | None) -> AttributionDisputed:
    """Publish ``principal``'s dispute of ``ticket``: 404 unless the ledger knows it, 403
    unless the principal's department holds it now."""
    holders = await run_in_threadpool(ticket_holders, engine, ticket)
    if not holders:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"ticket {ticket} is not in the ledger")
    holder = holders[-1].department
    if holder != principal.department:
        raise forbidden(f"ticket {ticket} is held by {holder}, not {principal.department}: "
                        "only the holding department may dispute it")
    event = dispute_event(
        command_id(principal.name, "attribution.disputed", key), settings.source,
        settings.clock(), ticket, holder, principal.name, reason, note)
    await settings.publisher.publish(event)
    return event


def check_ruling(outcome: str, to_department: str | None, disputing: str,
                 settings: ApiSettings) -> None:
    """422 on ``to_department`` unless it is a known department other than the disputing
    one for an upheld ruling, and absent for a rejected one."""
    location = ("body", "to_department")
    if outcome == "rejected":
        if to_department is not None:
            raise invalid(location, "a rejected ruling moves nothing: leave to_department out")
        return
    if to_department is None:
        raise invalid(location, "an upheld ruling must name the department that gets the ticket")
    if to_department not in settings.departments:
        raise invalid(location, f"unknown department {to_department!r}")
    if to_department == disputing:
        raise invalid(location, f"{disputing} is the department that disputed the ticket")


async def rule_dispute(engine: Engine, settings: ApiSettings, principal: Principal,
                       dispute_id: str, outcome: str, to_department: str | None, reason: str,
                       key: str | None) -> tuple[DisputeRuled, Dispute]:
    """Publish ``principal``'s ruling on ``dispute_id``: 404 unless the ledger has the
    dispute, 409 when it was already ruled, 422 on a wrong ``to_department``."""
    dispute = await run_in_threadpool(find_dispute, engine, dispute_id)
    if dispute is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"dispute {dispute_id} is not in the ledger (the stream records a "
                            "dispute shortly after it is filed)")
    if dispute.outcome is not None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"dispute {dispute_id} was already ruled: {dispute.outcome}")
    check_ruling(outcome, to_department, dispute.department, settings)
    event = ruling_event(
        command_id(principal.name, "dispute.ruled", key), settings.source,
        settings.clock(), dispute.ticket, dispute_id, outcome, to_department, reason,
        principal.name)
    await settings.publisher.publish(event)
    return event, dispute


async def declare_fix(engine: Engine, settings: ApiSettings, principal: Principal,
                      action_id: str, what_changed: str, changed_at: datetime,
                      key: str | None) -> tuple[CorrectiveActionFixed, CorrectiveAction]:
    """Publish ``principal``'s fix of ``action_id`` on the action's anchor ticket: 404
    unless the ledger has the action, 403 when it is another department's, 409 when its
    fix was already declared."""
    action = await run_in_threadpool(find_action, engine, action_id)
    if action is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"corrective action {action_id} is not in the ledger (the stream "
                            "records an action shortly after it opens)")
    if action.department != principal.department:
        raise forbidden(f"corrective action {action_id} is {action.department}'s, not "
                        f"{principal.department}'s")
    if action_status(action) != "open":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"corrective action {action_id} is {action_status(action)}: its "
                            "fix was already declared")
    event = CorrectiveActionFixed.model_validate({
        "id": command_id(principal.name, "corrective_action.fixed", key),
        "source": settings.source, "time": settings.clock(), "subject": action.anchor_ticket,
        "data": {"action_id": action_id, "department": action.department,
                 "what_changed": what_changed, "changed_at": changed_at,
                 "actor": principal.name}})
    await settings.publisher.publish(event)
    return event, action


_AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


async def audit_verdict(engine: Engine, settings: ApiSettings, principal: Principal,
                        audit_id: str, verdict: str, note: str | None,
                        key: str | None) -> tuple[AuditCompleted, AuditItem]:
    """Publish ``principal``'s verdict on ``audit_id`` as ``audit.completed`` on the item's
    ticket (the auditor is the principal): 404 unless the ledger has the item, 409 when it
    already has a verdict."""
    item = await run_in_threadpool(find_audit, engine, audit_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"audit item {audit_id} is not in the ledger (the stream records "
                            "an item shortly after its grant)")
    if item.verdict is not None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"audit item {audit_id} is closed already: {item.verdict} by "
                            f"{item.auditor}")
    if not _AGENT_ID.match(principal.name):
        raise forbidden(f"principal name {principal.name!r} cannot sign a verdict: an auditor "
                        "id has letters, digits and . _ : - only")
    data: dict[str, Any] = {"audit_id": audit_id, "verdict": verdict,
                            "auditor": principal.name}
    if note is not None:
        data["note"] = note
    event = AuditCompleted.model_validate({
        "id": command_id(principal.name, "audit.completed", key), "source": settings.source,
        "time": settings.clock(), "subject": item.ticket, "data": data})
    await settings.publisher.publish(event)
    return event, item
