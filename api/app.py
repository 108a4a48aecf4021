"""The app factory: a FastAPI application on one ledger, principals file and publisher.

Paths are versioned under ``/api/v1``; ``/health`` is open; ``/openapi.json`` and
``/docs`` describe everything; ``/`` is the status page for people (:mod:`api.page`).
Two failures of what the API depends on answer 503 with one sentence, never a traceback:
the ledger database (unreachable, or not migrated) and the event bus (a command could not
be published).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError

from api.page import ScorecardCache, ledger_scorecards
from api.page import router as page_router
from api.page.authority import ReportCache, ledger_authority
from api.page.calls import ledger_calls_report
from api.page.forms import router as forms_router
from api.principals import PrincipalRegistry
from api.routes import (
    authority,
    blocks,
    calls_report,
    corrective_actions,
    disputes,
    meta,
    payroll,
    penalties,
    qa,
    reports,
    tickets,
    worklist,
)
from api.settings import ApiSettings, PublishError
from ledger import create_ledger_engine

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
API_VERSION = "1.0.0"
log = logging.getLogger(__name__)

_DESCRIPTION = """Role-scoped access to the SLA Police ledger, and the dispute workflow.

Every `/api/v1` path needs `Authorization: Bearer slap_...` (tokens are made with
`sla-police api token create`). Roles: `department` (one department: its own data, files
disputes), `hr`, `executive` (read only), `contact_center` (rules disputes, requests caller
blocks), `contact_center_lead` (the same, and decides and lifts blocks), `auditor` (the audit
queue and verdicts, the authority report), `ivr` (asks whether a caller is blocked, nothing
else), `admin` (principals). Amounts are decimal strings."""


async def _ledger_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("ledger query failed on %s: %s", request.url.path, type(exc).__name__)
    return JSONResponse({"detail": "the ledger is unavailable; see the API's log"},
                        status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _bus_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("publishing a command failed on %s: %s", request.url.path, exc)
    return JSONResponse({"detail": f"the command was not published: {exc}"},
                        status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


def create_app(settings: ApiSettings) -> FastAPI:
    """The API on ``settings``' ledger, principals file and publisher.

    The ledger engine is created here and disposed of, with the publisher, at shutdown.
    """
    engine = create_ledger_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await settings.publisher.close()
            engine.dispose()

    # FastAPIOffline: /docs serves Swagger UI's assets itself (FastAPI's default fetches them
    # from a CDN, which leaves the page blank on a network without one).
    app = FastAPIOffline(title="SLA Police API", version=API_VERSION, description=_DESCRIPTION,
                         lifespan=lifespan, openapi_url="/openapi.json", docs_url="/docs",
                         redoc_url=None, static_url="/static-docs")
    app.state.settings = settings
    app.state.engine = engine
    app.state.registry = PrincipalRegistry(settings.principals_path)
    app.state.scorecards = ScorecardCache(  # the status page's scorecard, kept a while
        ledger_scorecards(engine, settings), clock=settings.clock,
        ttl=timedelta(seconds=settings.scorecard_cache_seconds))
    app.state.authority_reports = ReportCache(  # the page's authority report, the same
        ledger_authority(engine, settings), clock=settings.clock,
        ttl=timedelta(seconds=settings.scorecard_cache_seconds))
    app.state.calls_reports = ReportCache(  # the page's calls report (?calls_change=...)
        ledger_calls_report(engine, settings), clock=settings.clock,
        ttl=timedelta(seconds=settings.scorecard_cache_seconds))
    app.add_exception_handler(OperationalError, _ledger_unavailable)
    app.add_exception_handler(PublishError, _bus_unavailable)
    app.include_router(meta.health_router)
    app.include_router(page_router)  # the status page at / (HTML, not in the OpenAPI)
    app.include_router(forms_router)  # its forms and payroll downloads (the session)
    for router in (meta.router, worklist.router, penalties.router, reports.router,
                   authority.reports_router, calls_report.router, payroll.router,
                   tickets.router, disputes.router, corrective_actions.router,
                   authority.audits_router, blocks.router, qa.queue_router,
                   qa.reports_router):
        app.include_router(router, prefix=API_PREFIX)
    return app
