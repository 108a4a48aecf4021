"""``/health`` (open, for probes: no identifiers), ``/api/v1/me`` (any principal) and
``/api/v1/principals`` (admin: who holds a token, never a hash)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from api.auth import PEOPLE, allow
from api.principals import Principal, PrincipalRegistry, Role
from api.routes._common import AUTH_ERRORS, engine_of
from api.schemas import Health, Me, PrincipalInfo

__all__ = ["health_router", "router"]

health_router = APIRouter(tags=["health"])
router = APIRouter(tags=["principals"])


@health_router.get("/health", response_model=Health,
                   responses={503: {"model": Health, "description": "the ledger is unreachable"}},
                   summary="Liveness and the ledger's reachability (no authentication)")
def health(engine: Engine = Depends(engine_of)) -> Health | JSONResponse:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        body = Health(status="unavailable", ledger="unreachable")
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ok", ledger="ok")


@router.get("/me", response_model=Me, responses=AUTH_ERRORS, summary="Who the token is")
def me(principal: Principal = Depends(allow(*PEOPLE))) -> Me:
    return Me(name=principal.name, role=principal.role.value, department=principal.department)


@router.get("/principals", response_model=list[PrincipalInfo], responses=AUTH_ERRORS,
            summary="Every principal holding a token (admin)")
def list_principals(request: Request,
                    _admin: Principal = Depends(allow(Role.ADMIN))) -> list[PrincipalInfo]:
    registry: PrincipalRegistry = request.app.state.registry
    return [PrincipalInfo(name=p.name, role=p.role.value, department=p.department,
                          created_at=p.created_at) for p in registry.principals()]
