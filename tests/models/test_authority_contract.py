"""The agent-authority contract: its events parse, the ticket stream refuses them with a
reason that says why, the roster is keyed by agent, every type has a planned route."""

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
from models.examples import example
from models.topics import AGENTS, AUTHORITY_ROUTES, TICKET_EVENTS

NOW = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("event_type", sorted(AUTHORITY_INBOUND_TYPES))
def test_authority_inputs_parse_as_authority_and_are_refused_by_the_ticket_stream(
        event_type: str) -> None:
    raw = json.dumps(example(event_type))
    assert isinstance(parse_event(raw, now=NOW, accept="authority"), CloudEvent)
    refused = parse_event(raw, now=NOW)
    assert isinstance(refused, Rejection)
    assert "agent-authority event" in refused.reason


def test_authority_types_stay_out_of_the_ticket_stream_registries() -> None:
    authority = set(AUTHORITY_INBOUND_TYPES) | set(AUTHORITY_OUTBOUND_TYPES)
    assert not authority & (set(INBOUND_TYPES) | set(OUTBOUND_TYPES))
    assert set(AUTHORITY_ROUTES) == authority


def test_the_roster_is_keyed_by_agent_and_concessions_by_ticket() -> None:
    assert AUTHORITY_ROUTES["agent.updated"] == ((AGENTS, "agent"),)
    assert AUTHORITY_ROUTES["concession.granted"] == ((TICKET_EVENTS, "ticket"),)
    event = example("agent.updated")
    event["subject"] = "agent-999"
    result = parse_event(json.dumps(event), now=NOW, accept="authority")
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
    result = parse_event(json.dumps(event), now=NOW, accept="authority")
    assert isinstance(result, Rejection) and expected in result.reason
