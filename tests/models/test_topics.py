"""Routing: every publisher of raw lines, and replay, send a line to the same (topic, key)."""

from __future__ import annotations

import json

import pytest

from models import OUTBOUND_TYPES
from models.examples import example
from models.topics import COMPLAINTS, OUTBOUND_ROUTES, TICKET_EVENTS, inbound_route


def test_a_valid_event_goes_to_the_topic_of_its_type_keyed_by_its_ticket() -> None:
    complaint, resolved = example("complaint.received"), example("ticket.resolved")
    assert inbound_route(json.dumps(complaint).encode()) == (
        COMPLAINTS, complaint["subject"].encode())
    assert inbound_route(json.dumps(resolved)) == (TICKET_EVENTS, resolved["subject"].encode())


@pytest.mark.parametrize(("line", "route"), [
    (b"not json", (TICKET_EVENTS, None)),
    (b"\xff\xfe", (TICKET_EVENTS, None)),
    (b"[1, 2]", (TICKET_EVENTS, None)),
    (b"[" * 100_000, (TICKET_EVENTS, None)),
    (b'{"type": "complaint.received"}', (COMPLAINTS, None)),
    (b'{"type": "complaint.received", "subject": ""}', (COMPLAINTS, None)),
    (b'{"type": 7, "subject": "T-1"}', (TICKET_EVENTS, b"T-1")),
    (b'{"type": "complaint.received", "subject": 7}', (COMPLAINTS, None)),
    (b'{"type": "x", "subject": "T-\\u00e9"}', (TICKET_EVENTS, "T-\u00e9".encode())),
    (b'{"subject": "T-\\ud800"}', (TICKET_EVENTS, b"T-\xed\xa0\x80")),
])
def test_an_invalid_line_goes_where_it_claims_to_belong(line: bytes, route: tuple) -> None:
    assert inbound_route(line) == route


def test_every_outbound_type_has_a_route() -> None:
    """The stream publishes by this table: a type without a route could not be sent."""
    assert set(OUTBOUND_ROUTES) == set(OUTBOUND_TYPES)
