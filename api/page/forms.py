"""The status page's forms: people do their job from the page, not only through the API.

- ``POST /forms/dispute``: a department disputes one of the tickets it holds;
- ``POST /forms/ruling``: the contact center rules an open dispute;
- ``POST /forms/fix``: a department declares the fix of one of its corrective actions;
- ``POST /forms/verdict``: an auditor gives an open audit item its verdict;
- ``POST /forms/block-decision``, ``POST /forms/block-lift``: a contact-center lead decides
  a block request (never their own) or lifts an active block;
- ``GET /page/payroll/{month}.csv|.xlsx``: HR and executives download the payroll.

Each POST is authenticated by the session cookie (``SameSite=Strict``: no other site's
page sends it) and refused (403) when ``Origin``/``Referer`` names another site, as the
sign-in form is. It runs the JSON API's command (:mod:`api.commands`), so it publishes the
same event; the hidden ``key`` of each form is its ``Idempotency-Key`` (a double submit
publishes one id). The answer is the page with one line: what was published, or why not
(the API's 4xx reason), never a traceback. The payroll routes are the page's own (the
session, GET only) so that the JSON API keeps reading bearer tokens alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from api import block_commands, commands
from api.auth import CONTACT_CENTER
from api.page.i18n import MESSAGES
from api.page.routes import page_language, read_form, render_status, unavailable
from api.page.session import same_origin, session_principal
from api.principals import Principal, PrincipalError, Role
from api.routes.corrective_actions import FixRequest
from api.routes.payroll import PAYROLL_READERS, payroll_download
from api.schemas import DisputeRequest, RulingRequest
from api.schemas_authority import VerdictRequest
from api.schemas_calls import DecisionBody, LiftBody
from api.settings import ApiSettings, PublishError
from ledger.audits import find_audit
from ledger.call_records import find_request

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
_MAX_BYTES = 32_768  # 2,000 Chinese characters are 18 kB once percent-encoded
_KEY_MAX = 200
#: form -> what runs it: (principal, fields, request) -> the one-line result's words
Run = Callable[[Principal, dict[str, str], Request], Awaitable[str]]


def _reason(exc: HTTPException) -> str:
    """The API's reason in one line (a 422's: ``field: message``)."""
    if isinstance(exc.detail, list):
        return "; ".join(f"{item['loc'][-1]}: {item['msg']}" for item in exc.detail)
    return str(exc.detail)


def _invalid(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def _body(model: type[BaseModel], fields: dict[str, Any]) -> Any:
    """``fields`` as the JSON API's request ``model`` (its validation, its limits)."""
    return model.model_validate(fields)


def _key(fields: dict[str, str]) -> str | None:
    key = fields.get("key", "")
    return key if 0 < len(key) <= _KEY_MAX and key.isascii() and key.isprintable() else None


async def _handle(request: Request, roles: tuple[Role, ...], run: Run) -> Response:
    """Session, origin, role; then ``run`` and the page with its result."""
    lang, remember = page_language(request)
    words = MESSAGES[lang]
    try:
        principal = session_principal(request)
    except PrincipalError:
        return unavailable(request, lang, remember, "the principals file")
    if principal is None:
        return RedirectResponse("/signin", status_code=303)
    if not same_origin(request):
        return render_status(request, principal, lang, remember, 403,
                             (False, words["form_cross_origin"]))
    if principal.role not in roles:
        refused = words["form_not_for_role"].format(role=words[f"role_{principal.role.value}"])
        return render_status(request, principal, lang, remember, 403, (False, refused))
    fields = await read_form(request, _MAX_BYTES)
    try:
        done = await run(principal, fields, request)
    except HTTPException as exc:
        return render_status(request, principal, lang, remember, exc.status_code,
                             (False, words["form_refused"].format(reason=_reason(exc))))
    except ValidationError as exc:
        return render_status(request, principal, lang, remember, 422,
                             (False, words["form_refused"].format(reason=_invalid(exc))))
    except PublishError as exc:
        log.error("status page: publishing a command failed: %s", exc)
        return render_status(request, principal, lang, remember, 503,
                             (False, words["form_unpublished"]))
    log.info("status page: %s published %s", principal.name, request.url.path)
    return render_status(request, principal, lang, remember, 200, (True, done))


def _settings(request: Request) -> ApiSettings:
    return request.app.state.settings


async def _dispute(principal: Principal, fields: dict[str, str], request: Request) -> str:
    body = _body(DisputeRequest, {"reason": fields.get("reason", ""),
                                  "note": fields.get("note") or None})
    ticket = fields.get("ticket", "").strip()
    if not ticket:
        raise HTTPException(422, [{"loc": ["ticket"], "msg": "enter a ticket id"}])
    event = await commands.file_dispute(request.app.state.engine, _settings(request),
                                        principal, ticket, body.reason, body.note,
                                        _key(fields))
    words = MESSAGES[page_language(request)[0]]
    return words["published_dispute"].format(id=event.id, ticket=ticket)


async def _ruling(principal: Principal, fields: dict[str, str], request: Request) -> str:
    outcome = fields.get("outcome", "")
    body = _body(RulingRequest, {
        "outcome": outcome, "reason": fields.get("reason", ""),
        "to_department": (fields.get("to_department") or None) if outcome == "upheld"
        else None})
    event, _dispute = await commands.rule_dispute(
        request.app.state.engine, _settings(request), principal,
        fields.get("dispute_id", ""), body.outcome, body.to_department, body.reason,
        _key(fields))
    words = MESSAGES[page_language(request)[0]]
    return words["published_ruling"].format(id=event.data.dispute_id,
                                            outcome=words[f"outcome_{body.outcome}"])


async def _fix(principal: Principal, fields: dict[str, str], request: Request) -> str:
    settings = _settings(request)
    changed = fields.get("changed_at", "")
    try:  # the form's datetime-local is a wall time in the policy's time zone
        local = datetime.fromisoformat(changed)
        changed_at: Any = (local if local.tzinfo else
                           local.replace(tzinfo=ZoneInfo(settings.timezone)))
    except ValueError:
        changed_at = changed
    body = _body(FixRequest, {"what_changed": fields.get("what_changed", ""),
                              "changed_at": changed_at})
    event, _action = await commands.declare_fix(
        request.app.state.engine, settings, principal, fields.get("action_id", ""),
        body.what_changed, body.changed_at, _key(fields))
    words = MESSAGES[page_language(request)[0]]
    return words["published_fix"].format(id=event.data.action_id)


async def _verdict(principal: Principal, fields: dict[str, str], request: Request) -> str:
    """``audit.completed`` through :func:`api.commands.audit_verdict` (the API's path); an
    unknown or closed item is said in the page's language."""
    body = _body(VerdictRequest, {"verdict": fields.get("verdict", ""),
                                  "note": fields.get("note", "").strip() or None})
    audit_id = fields.get("audit_id", "").strip()
    words = MESSAGES[page_language(request)[0]]
    try:
        event, item = await commands.audit_verdict(
            request.app.state.engine, _settings(request), principal, audit_id, body.verdict,
            body.note, _key(fields))
    except HTTPException as exc:
        if exc.status_code == 404:
            raise HTTPException(404, words["verdict_unknown"].format(id=audit_id)) from None
        if exc.status_code == 409:
            closed = await run_in_threadpool(find_audit, request.app.state.engine, audit_id)
            if closed is not None and closed.verdict is not None:
                raise HTTPException(409, words["verdict_closed"].format(
                    id=audit_id, verdict=words[f"verdict_{closed.verdict}"],
                    auditor=closed.auditor or "—")) from None
        raise
    return words["published_verdict"].format(id=audit_id, ticket=item.ticket,
                                              verdict=words[f"verdict_{body.verdict}"])


def _calls_configured(request: Request, words: Mapping[str, str]) -> None:
    """404 in the page's words when the policy has no calls section."""
    if _settings(request).calls is None:
        raise HTTPException(404, words["calls_not_configured"])


async def _decision(principal: Principal, fields: dict[str, str], request: Request) -> str:
    """``block.decided`` through :func:`api.block_commands.decide_block` (the API's path);
    an unknown request, the lead's own (four eyes) or a decided one is said in the page's
    language."""
    words = MESSAGES[page_language(request)[0]]
    _calls_configured(request, words)
    body = _body(DecisionBody, {"decision": fields.get("decision", ""),
                                "note": fields.get("note", "").strip() or None})
    request_id = fields.get("request_id", "").strip()
    try:
        event, _found = await block_commands.decide_block(
            request.app.state.engine, _settings(request), principal, request_id,
            body.decision, body.note, _key(fields))
    except HTTPException as exc:
        if exc.status_code == 404:
            raise HTTPException(404, words["block_request_unknown"].format(
                id=request_id)) from None
        found = await run_in_threadpool(find_request, request.app.state.engine, request_id)
        if exc.status_code != 409 or found is None:
            raise
        if found.requested_by == principal.name:
            raise HTTPException(409, words["block_self"].format(id=request_id)) from None
        status = words[f"request_{found.status}"].format(by=found.decided_by or "—",
                                                        why=found.refusal or "—")
        raise HTTPException(409, words["block_decided"].format(
            id=request_id, status=status)) from None
    return words["published_decision"].format(
        id=request_id, decision=words[f"decided_{body.decision}"], caller=event.subject)


async def _lift(principal: Principal, fields: dict[str, str], request: Request) -> str:
    """``block.lifted`` through :func:`api.block_commands.lift_block`; a block that is not
    active (any more) is said in the page's language."""
    words = MESSAGES[page_language(request)[0]]
    _calls_configured(request, words)
    body = _body(LiftBody, {"reason": fields.get("reason", "")})
    block_id = fields.get("block_id", "").strip()
    try:
        event = await block_commands.lift_block(
            request.app.state.engine, _settings(request), principal, block_id, body.reason,
            _key(fields))
    except HTTPException as exc:
        if exc.status_code == 404:
            raise HTTPException(404, words["block_unknown"].format(id=block_id)) from None
        raise
    return words["published_lift"].format(id=block_id, caller=event.subject)


@router.post("/forms/dispute")
async def dispute_form(request: Request) -> Response:
    """A department files a dispute on a ticket it holds (``attribution.disputed``)."""
    return await _handle(request, (Role.DEPARTMENT,), _dispute)


@router.post("/forms/ruling")
async def ruling_form(request: Request) -> Response:
    """The contact center rules an open dispute (``dispute.ruled``)."""
    return await _handle(request, CONTACT_CENTER, _ruling)


@router.post("/forms/fix")
async def fix_form(request: Request) -> Response:
    """A department declares the fix of its corrective action (``corrective_action.fixed``)."""
    return await _handle(request, (Role.DEPARTMENT,), _fix)


@router.post("/forms/verdict")
async def verdict_form(request: Request) -> Response:
    """An auditor gives an open audit item its verdict (``audit.completed``)."""
    return await _handle(request, (Role.AUDITOR,), _verdict)


@router.post("/forms/block-decision")
async def block_decision_form(request: Request) -> Response:
    """A contact-center lead approves or declines a block request (``block.decided``)."""
    return await _handle(request, (Role.CONTACT_CENTER_LEAD,), _decision)


@router.post("/forms/block-lift")
async def block_lift_form(request: Request) -> Response:
    """A contact-center lead lifts an active block (``block.lifted``)."""
    return await _handle(request, (Role.CONTACT_CENTER_LEAD,), _lift)


@router.get("/forms/{name}")
def form_get(name: str) -> Response:
    """A form's URL asked with GET (a bookmark, a refresh): the page."""
    return RedirectResponse("/", status_code=303)


@router.get("/page/payroll/{name}")
def payroll_file(name: str, request: Request) -> Response:
    """``<month>.csv`` (``?detail=true`` for every line) or ``<month>.xlsx`` for HR and
    executives signed in to the page: the bytes of ``GET /api/v1/payroll/...``."""
    try:
        principal = session_principal(request)
    except PrincipalError:
        return PlainTextResponse("the principals file is unavailable", 503)
    if principal is None:
        return RedirectResponse("/signin", status_code=303)
    if principal.role not in PAYROLL_READERS:
        return PlainTextResponse(f"the {principal.role.value} role may not download the "
                                 "payroll (allowed: hr, executive)", 403)
    period, _, kind = name.rpartition(".")
    detail = request.query_params.get("detail") == "true"
    try:
        return payroll_download(request.app.state.engine, _settings(request), period, kind,
                                detail=detail)
    except ValueError as exc:
        return PlainTextResponse(str(exc), 404)
