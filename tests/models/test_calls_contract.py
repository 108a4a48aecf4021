"""The calls contract: its events parse on the calls topic, the ticket stream refuses them
with a reason that says where they belong, everything is keyed by caller, blocks travel on
a compacted topic the IVR reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from models import (
    CALLS_INBOUND_TYPES,
    CALLS_OUTBOUND_TYPES,
    INBOUND_TYPES,
    OUTBOUND_TYPES,
    PUBLISHED_TYPES,
    CloudEvent,
    Rejection,
    parse_event,
)
from models.examples import example
from models.topics import (
    CALL_QUALITY,
    CALL_ROUTES,
    CALLER_BLOCKS,
    CALLS,
    COMPACTED_TOPICS,
    inbound_route,
)

NOW = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("event_type", sorted(CALLS_INBOUND_TYPES))
def test_calls_inputs_parse_as_calls_and_are_refused_by_the_ticket_stream(
        event_type: str) -> None:
    raw = json.dumps(example(event_type))
    assert isinstance(parse_event(raw, now=NOW, accept="calls"), CloudEvent)
    refused = parse_event(raw, now=NOW)
    assert isinstance(refused, Rejection)
    assert "calls event keyed by caller" in refused.reason and "'calls' topic" in refused.reason


def test_calls_types_stay_out_of_the_ticket_stream_registries() -> None:
    calls = set(CALLS_INBOUND_TYPES) | set(CALLS_OUTBOUND_TYPES)
    assert not calls & (set(INBOUND_TYPES) | set(OUTBOUND_TYPES))
    # sla-police publish sends the calls inputs (to the calls topic), never its outputs
    assert set(CALLS_INBOUND_TYPES) <= set(PUBLISHED_TYPES)
    assert not set(CALLS_OUTBOUND_TYPES) & set(PUBLISHED_TYPES)
    assert set(CALL_ROUTES) == calls


def test_every_input_goes_to_the_calls_topic_keyed_by_its_caller() -> None:
    for event_type in CALLS_INBOUND_TYPES:
        event = example(event_type)
        assert CALL_ROUTES[event_type] == ((CALLS, "caller"),)
        assert inbound_route(json.dumps(event)) == (CALLS, event["subject"].encode())


def test_blocks_are_compacted_by_caller_and_findings_keyed_by_agent() -> None:
    assert CALLER_BLOCKS in COMPACTED_TOPICS
    assert CALL_ROUTES["caller.blocked"] == ((CALLER_BLOCKS, "caller"),)
    assert CALL_ROUTES["caller.unblocked"] == ((CALLER_BLOCKS, "caller"),)
    assert CALL_ROUTES["call.norm_breached"] == ((CALL_QUALITY, "agent"),)
    # a review or a refusal must not overwrite the block state the IVR reads
    assert all(routes[0][0] != CALLER_BLOCKS for t, routes in CALL_ROUTES.items()
               if t not in ("caller.blocked", "caller.unblocked"))


@pytest.mark.parametrize("event_type", ["call.ended", "block.requested"])
def test_the_subject_must_be_the_caller(event_type: str) -> None:
    event = example(event_type)
    event["subject"] = "caller-other"
    result = parse_event(json.dumps(event), now=NOW, accept="calls")
    assert isinstance(result, Rejection) and "must be the caller" in result.reason


@pytest.mark.parametrize(("event_type", "field", "value", "expected"), [
    ("call.ended", "ended_by", "supervisor", "data.ended_by"),
    ("call.ended", "disposition", "rude", "data.disposition"),
    ("call.ended", "duration_seconds", -1, "data.duration_seconds"),
    ("call.ended", "csat", 6, "data.csat"),
    ("block.requested", "period", "year", "data.period"),
    ("block.requested", "evidence", [], "data.evidence"),
    ("block.decided", "decision", "maybe", "data.decision"),
    ("qa.reviewed", "verdict", "fine", "data.verdict"),
])
def test_a_bad_call_event_gets_a_readable_reason(event_type: str, field: str, value: object,
                                                  expected: str) -> None:
    event = example(event_type)
    event["data"][field] = value
    result = parse_event(json.dumps(event), now=NOW, accept="calls")
    assert isinstance(result, Rejection) and expected in result.reason


def test_the_calls_stage_refuses_ticket_events_and_outputs_with_a_reason() -> None:
    ticket = parse_event(json.dumps(example("complaint.received")), now=NOW, accept="calls")
    assert isinstance(ticket, Rejection) and "ticket event" in ticket.reason
    blocked = parse_event(json.dumps(example("caller.blocked")), now=NOW, accept="calls")
    assert isinstance(blocked, Rejection) and "not accepted as input" in blocked.reason


def test_a_permanent_block_as_published_parses_back() -> None:
    """``until`` null is left out of the JSON (as every null is): the IVR, the ledger sink
    and the stream's outbox must still read the block back, as permanent."""
    event = example("caller.blocked")
    event["data"].update(period="permanent", until=None)
    sent = parse_event(json.dumps(event), now=NOW, accept="any")
    assert isinstance(sent, CloudEvent) and "until" not in sent.to_json()
    again = parse_event(sent.to_json(), now=NOW, accept="any")
    assert isinstance(again, CloudEvent) and again.data.until is None
