"""The HTTP API service: role-scoped reads of the ledger and commands (disputes, rulings)
published as inbound events.

It imports :mod:`models`, :mod:`sla` (the policy's types only) and :mod:`ledger` (its
read functions), never the shell; ``sla-police api`` (:mod:`sla_police.commands.api`)
builds an :class:`ApiSettings` and serves :func:`create_app` with uvicorn.

- :mod:`api.principals`: tokens, their hashes, the principals file;
- :mod:`api.auth`: bearer authentication and role checks (401/403);
- :mod:`api.routes`: the endpoints; :mod:`api.schemas`: their bodies;
- :mod:`api.commands`: the events the commands publish;
- :mod:`api.page`: the status page at ``/`` (HTML, a cookie session).
"""

from __future__ import annotations

from typing import Any

from api.settings import ApiSettings, CommandPublisher, PublishError, departments_of

__all__ = [
    "API_PREFIX",
    "ApiSettings",
    "CommandPublisher",
    "PublishError",
    "create_app",
    "departments_of",
]


def __getattr__(name: str) -> Any:
    """``API_PREFIX`` and ``create_app`` are imported on first use: a worker imports
    :mod:`api.principals` for its ticket view and need not build the FastAPI routes
    (about 0.4 s of every worker start)."""
    if name in ("API_PREFIX", "create_app"):
        from api import app

        return getattr(app, name)
    raise AttributeError(f"module 'api' has no attribute {name!r}")
