"""The agent-authority contract: the ticket stream takes the concession and audit inputs,
refuses the roster (keyed by agent) with a reason that says where it goes, publishes the
outputs on ``authority``; every type has a route."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from models import (
    AUTHORITY_INBOUND_TYPES,
    AUTHORITY_OUTBOUND_TYPES,
    INBOUND_TYPES,
    OUTBOUND_TYPES,
    CloudEvent,
    Rejection,
    parse_event,
)
from models.authority import ROSTER_TYPES
from models.examples import example
from models.topics import AGENTS, AUTHORITY, AUTHORITY_ROUTES, OUTBOUND_ROUTES, TICKET_EVENTS

NOW = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("event_type", sorted(AUTHORITY_INBOUND_TYPES))
def test_authority_inputs_are_ticket_stream_input(event_type: str) -> None:
    raw = json.dumps(example(event_type))
    assert isinstance(parse_event(raw, now=NOW), CloudEvent)
    assert AUTHORITY_ROUTES[event_type] == ((TICKET_EVENTS, "ticket"),)


def test_the_roster_is_refused_by_the_ticket_stream_with_where_it_goes() -> None:
    raw = json.dumps(example("agent.updated"))
    assert isinstance(parse_event(raw, now=NOW, accept="roster"), CloudEvent)
    refused = parse_event(raw, now=NOW)
    assert isinstance(refused, Rejection) and "'agents' topic" in refused.reason


def test_authority_types_are_in_the_stream_registries_and_routed() -> None:
    assert set(AUTHORITY_INBOUND_TYPES) <= set(INBOUND_TYPES)
    assert set(AUTHORITY_OUTBOUND_TYPES) <= set(OUTBOUND_TYPES)
    assert not set(ROSTER_TYPES) & (set(INBOUND_TYPES) | set(OUTBOUND_TYPES))
    for event_type in AUTHORITY_OUTBOUND_TYPES:
        assert OUTBOUND_ROUTES[event_type][0][0] == AUTHORITY
    expected = set(AUTHORITY_INBOUND_TYPES) | set(AUTHORITY_OUTBOUND_TYPES) | set(ROSTER_TYPES)
    assert set(AUTHORITY_ROUTES) == expected


def test_the_roster_is_keyed_by_agent_and_concessions_by_ticket() -> None:
    assert AUTHORITY_ROUTES["agent.updated"] == ((AGENTS, "agent"),)
    assert AUTHORITY_ROUTES["concession.granted"] == ((TICKET_EVENTS, "ticket"),)
    event = example("agent.updated")
    event["subject"] = "agent-999"
    result = parse_event(json.dumps(event), now=NOW, accept="roster")
    assert isinstance(result, Rejection) and "must be the agent" in result.reason


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("amount", "0", "data.amount"),
    ("amount", "-5", "data.amount"),
    ("kind", "cash", "data.kind"),
    ("currency", "yuan", "data.currency"),
    ("contact_reason", "Delivery Late", "data.contact_reason"),
])
def test_a_bad_grant_gets_a_readable_reason(field: str, value: str, expected: str) -> None:
    event = example("concession.granted")
    event["data"][field] = value
    result = parse_event(json.dumps(event), now=NOW)
    assert isinstance(result, Rejection) and expected in result.reason
