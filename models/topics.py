"""Topic names and which event type travels on which topic, keyed by what.

Inbound topics are co-partitioned: same partition count, keyed by ticket id,
so one ticket's complaint and its ticket events meet in the same worker.
"""

from __future__ import annotations

import json
from typing import Literal

__all__ = [
    "AGENTS",
    "ALERTS",
    "ATTRIBUTIONS",
    "AUTHORITY",
    "AUTHORITY_ROUTES",
    "BLOCK_NOTICES",
    "CALLER_BLOCKS",
    "CALLS",
    "CALL_QUALITY",
    "CALL_ROUTES",
    "CLOCK_STATE",
    "COMPACTED_TOPICS",
    "CORRECTIVE_ACTIONS",
    "COMPLAINTS",
    "DEAD_LETTERS",
    "INBOUND_TOPICS",
    "NOTIFICATIONS",
    "OUTBOUND_ROUTES",
    "OUTCOMES",
    "PENALTIES",
    "TICKET_EVENTS",
    "VOLUMES",
    "inbound_route",
    "inbound_topic_for",
]

COMPLAINTS = "complaints"
TICKET_EVENTS = "ticket-events"
ATTRIBUTIONS = "sla-attributions"
OUTCOMES = "sla-outcomes"
#: Each ticket's open clocks (``sla.clocks_changed`` snapshots): only the latest per ticket
#: matters, so production makes it a compacted topic.
CLOCK_STATE = "sla-clock-state"
#: Topics of state (the latest record per key is all that matters): production creates them
#: with ``cleanup.policy=compact``.
#: Calls: the inbound call records and block commands, keyed by caller (planned topic).
CALLS = "calls"
#: Each caller's block (``caller.blocked`` / ``caller.unblocked``), keyed by caller: the IVR
#: reads the newest record per caller, so it is compacted.
CALLER_BLOCKS = "caller-blocks"
#: QA items and norm breaches of agents' hang-ups, keyed by agent (planned topic).
CALL_QUALITY = "call-quality"
#: Reviews due of permanent blocks and refused block commands, keyed by caller (planned).
BLOCK_NOTICES = "block-notices"
COMPACTED_TOPICS = (CLOCK_STATE, CALLER_BLOCKS)
ALERTS = "sla-alerts"
PENALTIES = "penalties"
NOTIFICATIONS = "notifications"
#: Corrective actions of each department: opened, fix declared, reviewed.
CORRECTIVE_ACTIONS = "corrective-actions"
DEAD_LETTERS = "dead-letters"
#: Business volumes (``volume.reported``), keyed by department: read by the ledger sink only.
VOLUMES = "volumes"

INBOUND_TOPICS = (COMPLAINTS, TICKET_EVENTS)
#: The roster (``agent.updated``), keyed by agent: small, read whole by every authority worker.
AGENTS = "agents"
#: Agent authority: every grant as judged, exceeded grants, audit items and verdicts,
#: decided approvals (key = ticket); flags of over-generous agents (key = agent).
AUTHORITY = "authority"

#: How an outbound event is keyed: its subject (a ticket id; an agent for ``agent``) or
#: its department.
KeyKind = Literal["ticket", "department", "agent"]

#: outbound type -> list of (topic, key kind). Warnings and breaches are published
#: twice: once per ticket (the outcome stream) and once per department (alerts). The
#: record of who owns a ticket (attributions, settled charges, disputes filed and
#: ruled) shares one per-ticket topic, so a consumer reads a ticket's story in order.
OUTBOUND_ROUTES: dict[str, tuple[tuple[str, KeyKind], ...]] = {
    "sla.attributed": ((ATTRIBUTIONS, "ticket"),),
    "sla.charge_settled": ((ATTRIBUTIONS, "ticket"),),
    "sla.dispute_filed": ((ATTRIBUTIONS, "ticket"),),
    "sla.dispute_ruled": ((ATTRIBUTIONS, "ticket"),),
    "sla.warning": ((OUTCOMES, "ticket"), (ALERTS, "department")),
    "sla.breached": ((OUTCOMES, "ticket"), (ALERTS, "department")),
    "sla.met": ((OUTCOMES, "ticket"),),
    "sla.clocks_changed": ((CLOCK_STATE, "ticket"),),
    "sla.cancelled": ((OUTCOMES, "ticket"),),
    "sla.csat_recorded": ((OUTCOMES, "ticket"),),
    "penalty.assessed": ((PENALTIES, "department"),),
    "penalty.reversed": ((PENALTIES, "department"),),
    "notification.requested": ((NOTIFICATIONS, "department"),),
    "event.rejected": ((DEAD_LETTERS, "ticket"),),
    "sla.fix_declared": ((ATTRIBUTIONS, "ticket"), (CORRECTIVE_ACTIONS, "department")),
    "corrective_action.opened": ((CORRECTIVE_ACTIONS, "department"),),
    "corrective_action.reviewed": ((CORRECTIVE_ACTIONS, "department"),),
    "concession.recorded": ((AUTHORITY, "ticket"),),
    "authority.exceeded": ((AUTHORITY, "ticket"),),
    "audit.item_opened": ((AUTHORITY, "ticket"),),
    "approval.recorded": ((AUTHORITY, "ticket"),),
    "audit.item_closed": ((AUTHORITY, "ticket"),),
    "authority.flagged": ((AUTHORITY, "agent"),),
}


#: Where agent-authority types (:mod:`models.authority`) travel: (topic, key kind). The
#: four concession and audit inputs go on ``ticket-events`` keyed by ticket like any ticket
#: event, so a ticket's concessions meet its category in one worker; the roster on
#: ``agents`` keyed by agent; the outputs as in :data:`OUTBOUND_ROUTES`.
AUTHORITY_ROUTES: dict[str, tuple[tuple[str, KeyKind], ...]] = {
    "concession.granted": ((TICKET_EVENTS, "ticket"),),
    "concession.requested": ((TICKET_EVENTS, "ticket"),),
    "concession.decided": ((TICKET_EVENTS, "ticket"),),
    "audit.completed": ((TICKET_EVENTS, "ticket"),),
    "agent.updated": ((AGENTS, "agent"),),
    **{t: r for t, r in OUTBOUND_ROUTES.items() if r[0][0] == AUTHORITY},
}


#: Calls types (:mod:`models.calls`) -> (topic, key kind). The design for the calls stage;
#: not yet used by the stream (the topics are planned, ``caller-blocks`` is compacted).
#: ``caller`` keys by the event's subject, ``agent`` by ``data.agent``.
CALL_ROUTES: dict[str, tuple[tuple[str, Literal["caller", "agent"]], ...]] = {
    "call.ended": ((CALLS, "caller"),),
    "qa.reviewed": ((CALLS, "caller"),),
    "block.requested": ((CALLS, "caller"),),
    "block.decided": ((CALLS, "caller"),),
    "block.lifted": ((CALLS, "caller"),),
    "caller.blocked": ((CALLER_BLOCKS, "caller"),),
    "caller.unblocked": ((CALLER_BLOCKS, "caller"),),
    "qa.item_opened": ((CALL_QUALITY, "agent"),),
    "call.norm_breached": ((CALL_QUALITY, "agent"),),
    "block.review_due": ((BLOCK_NOTICES, "caller"),),
    "block.refused": ((BLOCK_NOTICES, "caller"),),
}
_CALLS_INBOUND = frozenset(t for t, routes in CALL_ROUTES.items() if routes[0][0] == CALLS)


def inbound_topic_for(event_type: str) -> str:
    """The inbound topic an event type is published to (business volumes and calls: their
    own)."""
    if event_type == "volume.reported":
        return VOLUMES
    if event_type in _CALLS_INBOUND:
        return CALLS
    return COMPLAINTS if event_type == "complaint.received" else TICKET_EVENTS


def inbound_route(raw: bytes | str) -> tuple[str, bytes | None]:
    """(topic, key) a raw inbound line is published to, valid or not: the topic of its JSON
    ``type``, keyed by its ``subject`` (a ticket id) in UTF-8.

    The publisher, the test and demo players and replay (for the dead letters it predicts)
    all route with this one function, so they agree on where an invalid line went. A line
    that is not a JSON object goes to ``ticket-events`` without a key; a missing or
    non-string ``type`` means ``ticket-events``; a missing, empty or non-string ``subject``
    means no key (Kafka then spreads such lines over the partitions).
    """
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return TICKET_EVENTS, None
    if not isinstance(obj, dict):
        return TICKET_EVENTS, None
    kind, subject = obj.get("type"), obj.get("subject")
    topic = inbound_topic_for(kind) if isinstance(kind, str) else TICKET_EVENTS
    key = subject.encode("utf-8", "surrogatepass") if isinstance(subject, str) and subject else None
    return topic, key
