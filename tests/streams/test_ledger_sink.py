"""The ledger sink reads every topic an outbound type the ledger keeps travels on, and
passes every outbound type to the ledger (the disputes and settled charges of HR included)."""

from __future__ import annotations

import json

from models import OUTBOUND_TYPES
from models.examples import example
from models.topics import ALERTS, NOTIFICATIONS, OUTBOUND_ROUTES
from streams.ledger_sink import LEDGER_TOPICS, NOT_KEPT, parse_values


def test_every_kept_outbound_type_is_read_where_it_is_first_published() -> None:
    for event_type, routes in OUTBOUND_ROUTES.items():
        if event_type not in NOT_KEPT:
            assert routes[0][0] in LEDGER_TOPICS, event_type
    assert ALERTS not in LEDGER_TOPICS and NOTIFICATIONS not in LEDGER_TOPICS


def test_the_kept_types_hr_events_included_reach_the_ledger_and_nothing_else() -> None:
    kept = sorted(set(OUTBOUND_TYPES) - NOT_KEPT)
    values = [json.dumps(example(event_type)).encode() for event_type in kept]

    events = parse_values([*values, b"not json", json.dumps(example("ticket.closed")).encode()])

    assert [event.type for event in events] == kept
    assert {"sla.dispute_filed", "sla.dispute_ruled", "sla.charge_settled"} <= set(kept)
