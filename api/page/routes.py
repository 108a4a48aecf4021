"""The status page's routes: ``/`` (the page), ``/signin``, ``/signout`` and its two
static files. None of them is in the OpenAPI document: they are HTML for people, not API.

Every HTML answer carries a strict Content-Security-Policy (scripts and styles from this
site only, no inline code), is never cached, and may not be framed. A request without a
valid session is redirected (303) to ``/signin``; a wrong token gets the form again with a
sentence, status 401; an unusable principals file or ledger gets a short page, status
503, that retries by itself. Never a traceback.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.exc import OperationalError

from api.auth import READERS
from api.page.authority import ReportCache, audit_section, authority_section
from api.page.calls import calls_section
from api.page.i18n import MESSAGES, choose_language
from api.page.scorecard import ScorecardCache, ScorecardSection, chart_titles, scorecard_section
from api.page.session import (
    LANG_COOKIE,
    SESSION_COOKIE,
    clear_session,
    remember_language,
    same_origin,
    session_principal,
    start_session,
)
from api.page.view import build_status
from api.principals import Principal, PrincipalError, PrincipalRegistry, Role
from api.settings import ApiSettings
from ledger.scorecard import previous_period

__all__ = ["page_language", "read_form", "render_status", "router", "unavailable"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # keeps Origin on same-site posts (not "null")
    "X-Frame-Options": "DENY",
}
_STATIC = {"page.css": "text/css; charset=utf-8",
           "signin.js": "text/javascript; charset=utf-8"}
_FORM_MAX_BYTES = 4096
_env = Environment(loader=PackageLoader("api.page", "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def page_language(request: Request) -> tuple[str, bool]:
    return choose_language(request.query_params.get("lang"),
                           request.cookies.get(LANG_COOKIE),
                           request.headers.get("accept-language"))


def _department_name(settings: ApiSettings, lang: str, key: str) -> str:
    """The policy's display name of department ``key`` (one name, used in both languages;
    in English followed by the id, which English readers know it by)."""
    name = settings.departments.get(key, key)
    return f"{name} ({key})" if lang == "en" and name != key else name


def _helpers(settings: ApiSettings, lang: str) -> dict[str, Callable[..., Any]]:
    """The functions templates format with: words, department names, times, amounts."""
    zone = ZoneInfo(settings.timezone)
    words = MESSAGES[lang]

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"

    def left(seconds: int) -> str:
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        hours, minutes = divmod(seconds // 60, 60)
        return f"{sign}{hours}h {minutes:02d}m" if hours else f"{sign}{minutes}m"

    def share(count: Any) -> str:
        value = count.attainment
        return "—" if value is None else f"{value * 100:.1f}%"

    def money(amount: Decimal, currency: str) -> str:
        return f"{amount:,.2f} {currency}"

    return {"t": lambda key, **kw: words[key].format(**kw) if kw else words[key],
            "dept": lambda key: _department_name(settings, lang, key),
            "when": when, "left": left, "share": share, "money": money,
            "hhmm": lambda moment: moment.astimezone(zone).strftime("%H:%M"),
            "local_input": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
            "form_key": lambda: uuid.uuid4().hex, "ratio": ratio}


def ratio(value: float | None) -> str:
    """A per-day rate as shown: two decimals, or a dash."""
    return "—" if value is None else f"{value:.2f}"


def _render(request: Request, template: str, lang: str, remember: bool,
            status_code: int = 200, **context: Any) -> HTMLResponse:
    settings: ApiSettings = request.app.state.settings
    html = _env.get_template(template).render(
        lang=lang, path=request.url.path, **_helpers(settings, lang), **context)
    response = HTMLResponse(html, status_code,
                            headers={**_SECURITY_HEADERS, "Cache-Control": "no-store"})
    if remember:
        remember_language(response, request, lang)
    return response


def unavailable(request: Request, lang: str, remember: bool, what: str) -> HTMLResponse:
    log.error("status page: %s unavailable on %s", what, request.url.path)
    return _render(request, "unavailable.html", lang, remember, status_code=503,
                   refresh=request.app.state.settings.page_refresh_seconds)


@router.get("/")
def status_page(request: Request) -> Response:
    """The status page of the signed-in principal, or a redirect to ``/signin``."""
    lang, remember = page_language(request)
    try:
        principal = session_principal(request)
    except PrincipalError:
        return unavailable(request, lang, remember, "the principals file")
    if principal is None:
        response: Response = RedirectResponse("/signin", status_code=303)
        if request.cookies.get(SESSION_COOKIE):  # a revoked token: forget it
            clear_session(response, request)
        if remember:
            remember_language(response, request, lang)
        return response
    return render_status(request, principal, lang, remember)


def render_status(request: Request, principal: Principal, lang: str, remember: bool,
                  status_code: int = 200, result: tuple[bool, str] | None = None) -> Response:
    """The status page of ``principal``; ``result`` (done, one line) is a form's answer,
    shown above the sections (the page then refreshes to ``/``, not to the form's URL)."""
    settings: ApiSettings = request.app.state.settings
    try:
        view = build_status(request.app.state.engine, settings, principal, settings.clock())
        scorecard = _scorecard(request, principal, view.period, lang)
        cache: ReportCache = request.app.state.authority_reports
        authority = authority_section(cache, principal, view.period)
        audits = audit_section(request.app.state.engine, principal)
        calls = calls_section(request.app.state.engine, settings, principal, view.now,
                              request.app.state.calls_reports, request.query_params)
    except OperationalError:
        return unavailable(request, lang, remember, "the ledger")
    return _render(request, "status.html", lang, remember, status_code, view=view,
                   scorecard=scorecard, authority=authority, audits=audits, calls=calls,
                   kept=max(1, settings.scorecard_cache_seconds // 60),
                   refresh=settings.page_refresh_seconds, result=result,
                   previous=previous_period(view.period), departments=list(settings.departments))


def _scorecard(request: Request, principal: Principal, period: str,
               lang: str) -> ScorecardSection | None:
    """The scorecard section of ``period`` for ``principal`` (None: not for its role),
    from the app's cache (:class:`api.page.scorecard.ScorecardCache`)."""
    settings: ApiSettings = request.app.state.settings
    if principal.role not in READERS:
        return None
    cache: ScorecardCache = request.app.state.scorecards
    return scorecard_section(cache.get(period), principal, names=settings.departments,
                             titles=chart_titles(MESSAGES[lang]))


@router.get("/signin")
def signin_form(request: Request) -> Response:
    """The sign-in form (its script posts a ``#token=`` fragment by itself)."""
    lang, remember = page_language(request)
    return _render(request, "signin.html", lang, remember, error=None)


async def read_form(request: Request, max_bytes: int = _FORM_MAX_BYTES) -> dict[str, str]:
    """The fields of a small urlencoded form body (anything else: no fields)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    body = await request.body()
    if len(body) > max_bytes:
        return {}
    try:
        return dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=8))
    except ValueError:
        return {}


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Check the posted token; on success set the session cookie and go to ``/``."""
    lang, remember = page_language(request)
    if not same_origin(request):
        return _render(request, "signin.html", lang, remember, 403, error="signin_refused")
    token = (await read_form(request)).get("token", "").strip()
    if not token:
        return _render(request, "signin.html", lang, remember, 400, error="signin_missing")
    registry: PrincipalRegistry = request.app.state.registry
    try:
        principal = await run_in_threadpool(registry.authenticate, token)
    except PrincipalError:
        return unavailable(request, lang, remember, "the principals file")
    if principal is None:
        return _render(request, "signin.html", lang, remember, 401, error="signin_unknown")
    if principal.role is Role.IVR:
        return _render(request, "signin.html", lang, remember, 403, error="signin_ivr")
    log.info("status page: principal %s signed in", principal.name)
    response = RedirectResponse("/", status_code=303)
    start_session(response, request, token)
    if remember:
        remember_language(response, request, lang)
    return response


@router.api_route("/signout", methods=["GET", "POST"])
def signout(request: Request) -> Response:
    """Forget the session cookie and go back to the sign-in form."""
    response = RedirectResponse("/signin", status_code=303)
    clear_session(response, request)
    return response


_STATIC_BODIES = {name: files("api.page").joinpath("static", name).read_bytes()
                  for name in _STATIC}


@router.get("/page/static/{name}")
def static_file(name: str) -> Response:
    """The page's stylesheet and the sign-in script (no build step, no CDN)."""
    if name not in _STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(_STATIC_BODIES[name], media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=300",
                             "X-Content-Type-Options": "nosniff"})
