"""Who is calling and what they may do: FastAPI dependencies on bearer tokens.

- No ``Authorization: Bearer`` header, or a token no principal holds: **401** with
  ``WWW-Authenticate: Bearer`` (RFC 6750).
- A role an endpoint does not allow, or a department role asking about another
  department: **403**.

Tokens are looked up by hash in constant time (:mod:`api.principals`) and are never
logged; only the principal's name reaches the logs and the events it publishes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.principals import Principal, PrincipalError, PrincipalRegistry, Role

__all__ = [
    "ALL_ROLES",
    "AUDIT_READERS",
    "AUTHORITY_READERS",
    "BLOCK_LOOKUP",
    "CALLS_READERS",
    "CONTACT_CENTER",
    "PEOPLE",
    "DISPUTE_READERS",
    "QA_READERS",
    "QA_REPORT_READERS",
    "WORKLIST_READERS",
    "READERS",
    "allow",
    "current_principal",
    "forbidden",
    "scoped_department",
]

log = logging.getLogger(__name__)

#: The contact center: its staff and its lead (who also decides and lifts blocks).
CONTACT_CENTER = (Role.CONTACT_CENTER, Role.CONTACT_CENTER_LEAD)
#: Roles that read business data (admin manages tokens only, the IVR asks about blocks).
READERS = (Role.DEPARTMENT, Role.HR, Role.EXECUTIVE, *CONTACT_CENTER)
ALL_ROLES = tuple(Role)
#: Every role held by people (not the IVR, a machine that may only look up blocks).
PEOPLE = tuple(role for role in Role if role is not Role.IVR)
#: Roles that read disputes: the contact center and executives all, a department its own.
DISPUTE_READERS = (Role.DEPARTMENT, Role.EXECUTIVE, *CONTACT_CENTER)
#: Who asks "is this caller blocked, until when": the IVR, on every call, and the contact
#: center.
BLOCK_LOOKUP = (Role.IVR, *CONTACT_CENTER)
#: Who reads the calls report (before and after a change of the calls policy).
CALLS_READERS = (Role.EXECUTIVE, *CONTACT_CENTER)
#: Roles that read the department worklist: the same (HR's business is pay, not tickets).
WORKLIST_READERS = DISPUTE_READERS
#: Roles that read the agent-authority report (agents' concessions: not departments', HR's).
AUTHORITY_READERS = (*CONTACT_CENTER, Role.EXECUTIVE, Role.AUDITOR)
#: Roles that read the audit queue (the auditor also records verdicts).
AUDIT_READERS = (Role.AUDITOR, *CONTACT_CENTER)
#: Roles that read the QA queue of calls (the auditor, the quality inspector, also gives
#: the verdicts; the contact center and its lead only read).
QA_READERS = (Role.AUDITOR, *CONTACT_CENTER)
#: Roles that read QA compliance per agent and team: the queue's readers and executives.
QA_REPORT_READERS = (*QA_READERS, Role.EXECUTIVE)

_bearer = HTTPBearer(auto_error=False, scheme_name="token",
                     description="a token from `sla-police api token create` (slap_...)")


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="sla-police"' + (f', error="{error}"' if error else "")
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": challenge})


def forbidden(detail: str) -> HTTPException:
    """A 403 saying what the principal may not do."""
    return HTTPException(status.HTTP_403_FORBIDDEN, detail)


def current_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Principal:
    """The principal of the request's bearer token, or 401."""
    if credentials is None:
        raise _unauthorized("a bearer token is required (Authorization: Bearer slap_...)")
    registry: PrincipalRegistry = request.app.state.registry
    try:
        principal = registry.authenticate(credentials.credentials)
    except PrincipalError as exc:
        log.error("principals file unusable: %s", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the principals file cannot be read; see the API's log") from None
    if principal is None:
        raise _unauthorized("the token is not valid (unknown or revoked)", "invalid_token")
    return principal


def allow(*roles: Role) -> Callable[..., Principal]:
    """A dependency that yields the caller when its role is one of ``roles``, else 403."""
    names = ", ".join(role.value for role in roles)

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise forbidden(f"the {principal.role.value} role may not do this "
                            f"(allowed: {names})")
        return principal

    return dependency


def scoped_department(principal: Principal, requested: str | None) -> str | None:
    """The department a query is limited to: a department role's own (asking for another
    is 403), else what was asked (``None``: every department)."""
    if principal.role is not Role.DEPARTMENT:
        return requested
    if requested is not None and requested != principal.department:
        raise forbidden(f"principal {principal.name} sees department "
                        f"{principal.department} only, not {requested}")
    return principal.department
