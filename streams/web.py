"""The worker's web views: Prometheus metrics, health, and a ticket's SLA state.

- ``GET /metrics``: every SLA Police metric (Prometheus text format).
- ``GET /health``: ready (tables recovered, no rebalance), owned partitions, index size.
- ``GET /tickets/{ticket}/``: the ticket's clocks, department and pending events,
  answered by whichever worker owns the ticket's partition.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

from sla.codec import encode_ticket
from streams import metrics
from streams.pipeline import Pipeline
from streams.recovery import actives_ready
from streams.ticket_store import decode_stored

__all__ = ["add_views"]


def add_views(app: faust.App, pipeline: Pipeline) -> None:
    """Register the views on ``app``'s web server."""

    @app.page("/metrics")
    async def metrics_view(web: faust.web.Web, request: Request) -> Response:
        body, content_type = metrics.render()
        # aiohttp refuses a charset inside content_type; Prometheus text is UTF-8 anyway
        return web.bytes(body, content_type=content_type.split("; charset=")[0])

    @app.page("/health")
    async def health_view(web: faust.web.Web, request: Request) -> Response:
        return web.json(health(app, pipeline))

    @app.page("/tickets/{ticket}/")
    class TicketView(View):
        @app.table_route(table=pipeline.ticket_table, match_info="ticket")
        async def get(self, request: Request, ticket: str) -> Response:
            value = pipeline.tickets.tickets.get(ticket.encode())
            if value is None:
                return self.json({"error": f"ticket {ticket!r} not known"}, status=404)
            stored = decode_stored(value)
            return self.json({"partition": stored.partition,
                              "state": encode_ticket(stored.state)})


def health(app: faust.App, pipeline: Pipeline) -> dict[str, Any]:
    return {
        "ready": actives_ready(app),
        "clock": pipeline.settings.clock,
        "ticket_partitions": sorted(pipeline.active_ticket_partitions()),
        "rebuilt_partitions": sorted(pipeline.ticket_partitions),
        "deadlines_indexed": len(pipeline.tickets.index),
        "clocks": partition_clocks(pipeline),
        "held": pipeline.tickets.frontier.held(),
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
