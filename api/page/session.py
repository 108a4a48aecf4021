"""The status page's cookies: the signed-in token, and the remembered language.

The session cookie holds the bearer token itself: it is ``HttpOnly`` (no script reads
it), ``SameSite=Strict`` (no other site's page or form sends it), ``Secure`` when the page
was asked over https, scoped to ``/`` and kept for :data:`SESSION_MAX_AGE`. The token is
looked up in the principals file on every request, so revoking it signs the browser out
too. It authenticates the page's routes only: the JSON API reads no cookie.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.principals import Principal, PrincipalRegistry, Role

__all__ = [
    "LANG_COOKIE",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "clear_session",
    "remember_language",
    "same_origin",
    "session_principal",
    "start_session",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "sla_session"
LANG_COOKIE = "sla_lang"
SESSION_MAX_AGE = 7 * 24 * 3600  # a week: a wall display stays signed in
_LANG_MAX_AGE = 365 * 24 * 3600


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(response: Response, request: Request, token: str) -> None:
    """Set the session cookie to ``token`` on ``response``."""
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE, path="/",
                        httponly=True, samesite="strict", secure=_secure(request))


def clear_session(response: Response, request: Request) -> None:
    """Expire the session cookie (same attributes, so every browser drops it)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_secure(request))


def remember_language(response: Response, request: Request, lang: str) -> None:
    """Keep the language chosen with ``?lang=`` for the next visits."""
    response.set_cookie(LANG_COOKIE, lang, max_age=_LANG_MAX_AGE, path="/", httponly=True,
                        samesite="lax", secure=_secure(request))


def session_principal(request: Request) -> Principal | None:
    """The principal of the session cookie's token, or None (no cookie, or a token no
    principal holds any more). :class:`api.principals.PrincipalError` when the principals
    file is unusable."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    registry: PrincipalRegistry = request.app.state.registry
    principal = registry.authenticate(token)
    return None if principal is None or principal.role is Role.IVR else principal


def same_origin(request: Request) -> bool:
    """False when the request says it comes from another site's page (``Origin``, else
    ``Referer``, naming another host): a form posted from elsewhere."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source != "null"
    parts = urlsplit(source)
    return parts.netloc.lower() == request.headers.get("host", "").lower()
