"""The worker's web views: Prometheus metrics, health, and a ticket's SLA state.

- ``GET /metrics``: every SLA Police metric (Prometheus text format). Open.
- ``GET /health``: ready (tables recovered, no rebalance), owned partitions, index size.
  Open; no ticket, customer or employee identifiers.
- ``GET /tickets/{ticket}/``: the ticket's clocks, department and pending events (raw
  internal state: event ids, the complaint), answered by whichever worker owns the
  ticket's partition. Operators only: ``Authorization: Bearer`` with a token the shell's
  :data:`Authorizer` accepts (the API's principals of role admin or contact_center), checked
  on the worker asked before the request is routed, and again on the owner (Faust forwards
  the headers). No token or an unknown one: 401; another role: 403; no usable principals
  file: 503. The stream layer knows nothing of principals: it is handed the check.

A ledger sink in a process of its own (``sla-police ledger sink``) serves ``/metrics`` and
``/health`` only (:func:`add_sink_views`): it holds no ticket state.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import faust
from faust.web import Request, Response, View

from sla.codec import encode_ticket
from streams import metrics
from streams.pipeline import Pipeline
from streams.recovery import actives_ready
from streams.ticket_store import decode_stored

__all__ = ["Access", "Authorizer", "add_sink_views", "add_views", "ticket_access_denied"]


class Access(Enum):
    """What an :data:`Authorizer` says of a bearer token."""

    ALLOWED = "allowed"
    UNKNOWN = "unknown"          #: no principal holds it (401)
    FORBIDDEN = "forbidden"      #: a principal whose role may not read ticket state (403)
    UNAVAILABLE = "unavailable"  #: the principals cannot be read (503)


#: Given a bearer token, may its holder read a ticket's internal state?
Authorizer = Callable[[str], Access]

_CHALLENGE = 'Bearer realm="sla-police"'


def ticket_access_denied(authorization: str | None,
                         authorize: Authorizer) -> tuple[int, str, dict[str, str]] | None:
    """``None`` when the ``Authorization`` header carries a token ``authorize`` allows, else
    (status, message, headers) of the refusal. The token itself is never logged or echoed."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return 401, "a bearer token is required (Authorization: Bearer slap_...)", {
            "WWW-Authenticate": _CHALLENGE}
    access = authorize(token)
    if access is Access.ALLOWED:
        return None
    if access is Access.UNKNOWN:
        return 401, "the token is not valid (unknown or revoked)", {
            "WWW-Authenticate": _CHALLENGE + ', error="invalid_token"'}
    if access is Access.FORBIDDEN:
        return 403, "ticket state is for operators (roles admin, contact_center)", {}
    return 503, "the principals file cannot be read; see the worker's log", {}


def add_views(app: faust.App, pipeline: Pipeline, authorize: Authorizer) -> None:
    """Register the views on ``app``'s web server; ``authorize`` guards ticket state."""
    _add_metrics_view(app)

    @app.page("/health")
    async def health_view(web: faust.web.Web, request: Request) -> Response:
        return web.json(health(app, pipeline))

    @app.page("/tickets/{ticket}/")
    class TicketView(View):
        async def get(self, request: Request, ticket: str) -> Response:
            denied = ticket_access_denied(request.headers.get("Authorization"), authorize)
            if denied is not None:
                status, message, headers = denied
                return self.json({"error": message}, status=status, headers=headers)
            return await self.routed(request, ticket=ticket)

        @app.table_route(table=pipeline.ticket_table, match_info="ticket")
        async def routed(self, request: Request, ticket: str) -> Response:
            value = pipeline.tickets.tickets.get(ticket.encode())
            if value is None:
                return self.json({"error": f"ticket {ticket!r} not known"}, status=404)
            stored = decode_stored(value)
            return self.json({"partition": stored.partition,
                              "state": encode_ticket(stored.state)})


def add_sink_views(app: faust.App, role: str) -> None:
    """``/metrics`` and ``/health`` of an app that runs a sink alone (no SLA tables, no
    tickets): ``role`` names it in the health answer (``{"ready": ..., "role": ...}``)."""
    _add_metrics_view(app)

    @app.page("/health")
    async def health_view(web: faust.web.Web, request: Request) -> Response:
        return web.json({"ready": actives_ready(app), "role": role})


def _add_metrics_view(app: faust.App) -> None:
    @app.page("/metrics")
    async def metrics_view(web: faust.web.Web, request: Request) -> Response:
        body, content_type = metrics.render(request.query.getall("name[]", []))
        # aiohttp refuses a charset inside content_type; Prometheus text is UTF-8 anyway
        return web.bytes(body, content_type=content_type.split("; charset=")[0])


def health(app: faust.App, pipeline: Pipeline) -> dict[str, Any]:
    return {
        "ready": actives_ready(app),
        "clock": pipeline.settings.clock,
        "ticket_partitions": sorted(pipeline.active_ticket_partitions()),
        "rebuilt_partitions": sorted(pipeline.ticket_partitions),
        "deadlines_indexed": len(pipeline.tickets.index),
        "clocks": partition_clocks(pipeline),
        "held": pipeline.tickets.frontier.held(),
        "calls_partitions": [] if pipeline.calls is None
        else sorted(pipeline.calls.calls_partitions),
        "calls_clocks": {} if pipeline.calls is None else {
            str(p): t.isoformat() for p, t in sorted(pipeline.calls.stage.ticks.items())},
    }


def partition_clocks(pipeline: Pipeline) -> dict[str, str | None]:
    """How far each rebuilt partition's clock has got (None: no tick or checkpoint yet).

    A deadline of a partition fires only once its clock has passed it: with the wall
    clock this trails the real time by the worker's lag behind its inbound topics.
    """
    out: dict[str, str | None] = {}
    for partition in sorted(pipeline.ticket_partitions):
        now = pipeline.tickets.now(partition)
        out[str(partition)] = None if now is None else now.isoformat()
    return out
