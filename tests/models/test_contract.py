"""The event contract: valid examples round-trip, invalid payloads get the right
reason, random junk never raises, JSON Schemas are fresh and agree with models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import ALL_TYPES, INBOUND_TYPES, OUTBOUND_TYPES, CloudEvent, Rejection, parse_event
from models.examples import EXAMPLES, example
from models.schemas import SCHEMA_DIR, render_schemas, stale_schemas

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_every_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(ALL_TYPES)
    assert not set(INBOUND_TYPES) & set(OUTBOUND_TYPES)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_example_round_trips(event_type: str) -> None:
    raw = json.dumps(EXAMPLES[event_type])
    event = parse_event(raw, now=NOW, accept="any")
    assert isinstance(event, CloudEvent), event
    assert event.type == event_type
    again = parse_event(event.to_json(), now=NOW, accept="any")
    assert again == event
    assert again.to_json() == event.to_json()


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_example_validates_against_generated_schema(event_type: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    jsonschema.validate(EXAMPLES[event_type], schema)
    other = "ticket.closed" if event_type != "ticket.closed" else "ticket.resumed"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**EXAMPLES[event_type], "type": other}, schema)


def test_schemas_are_not_stale() -> None:
    assert stale_schemas() == [], "run `sla-police schemas --write` and commit models/schemas/"
    assert set(render_schemas()) == {f"{t}.json" for t in ALL_TYPES}


def test_outbound_types_are_refused_on_inbound_topics() -> None:
    result = parse_event(json.dumps(EXAMPLES["sla.breached"]), now=NOW)
    assert isinstance(result, Rejection)
    assert "not accepted as input" in result.reason


def _complaint(**changes: object) -> bytes:
    event = example("complaint.received")
    for dotted, value in changes.items():
        target, *path = dotted.split("__")
        node = event
        keys = [target, *path]
        for key in keys[:-1]:
            node = node[key]
        if value is _DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return json.dumps(event).encode()


_DELETE = object()

INVALID = [
    ("not utf-8", b"\xff\xfe\x00garbage", "invalid JSON"),
    ("truncated json", b'{"specversion": "1.0", "id": ', "invalid JSON"),
    ("empty", b"", "empty message"),
    ("a list", b"[1, 2]", "expected a JSON object"),
    ("a number", b"42", "expected a JSON object"),
    ("no type", b'{"id": "x"}', "missing field 'type'"),
    ("unknown type", _complaint(type="complaint.eaten"), "unknown event type 'complaint.eaten'"),
    ("missing data", _complaint(data=_DELETE), "missing field 'data'"),
    ("missing priority", _complaint(data__priority=_DELETE), "missing field 'data.priority'"),
    ("bad priority", _complaint(data__priority="P9"), "data.priority"),
    ("bad channel", _complaint(data__channel="pigeon"), "data.channel"),
    ("naive time", _complaint(time="2026-11-20T10:15:00"), "no UTC offset"),
    ("not a time", _complaint(time="yesterday"), "time"),
    ("before 2000", _complaint(time="1999-12-31T23:59:59+08:00"), "before 2000"),
    ("far future", _complaint(time="2099-01-01T00:00:00+00:00"), "more than a day after"),
    ("wrong specversion", _complaint(specversion="0.3"), "specversion must be '1.0'"),
    ("empty subject", _complaint(subject=""), "subject"),
    ("subject with spaces", _complaint(subject="T 1"), "subject"),
    ("empty id", _complaint(id=""), "id"),
    ("xml payload", _complaint(datacontenttype="application/xml"), "datacontenttype"),
    ("dotted category", _complaint(data__category="Delivery Late"), "data.category"),
    ("outbound type", json.dumps(EXAMPLES["penalty.assessed"]).encode(), "not accepted as input"),
    (
        "upheld without department",
        json.dumps({**EXAMPLES["dispute.ruled"], "data": {"dispute_id": "x", "outcome": "upheld"}})
        .encode(),
        "upheld ruling must name to_department",
    ),
    (
        "csat out of range",
        json.dumps({**EXAMPLES["csat.recorded"], "data": {"score": 9}}).encode(),
        "data.score",
    ),
    (
        "pause reason not a word",
        json.dumps({**EXAMPLES["ticket.paused"], "data": {"reason": "Out to lunch!"}}).encode(),
        "data.reason",
    ),
]


@pytest.mark.parametrize(("raw", "expected"), [(r, e) for _, r, e in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_invalid_payload_gets_a_readable_reason(raw: bytes, expected: str) -> None:
    result = parse_event(raw, now=NOW)
    assert isinstance(result, Rejection), result
    assert expected in result.reason


def test_future_check_uses_the_processing_time_given() -> None:
    raw = _complaint(time="2026-11-28T00:00:00+00:00")
    assert isinstance(parse_event(raw, now=datetime(2026, 11, 27, 12, tzinfo=UTC)), CloudEvent)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12),
                                                                         children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_event(raw, now=NOW), Rejection | CloudEvent)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(EXAMPLES)), _json, st.sampled_from(
    ["type", "time", "subject", "id", "data", "specversion", "source"]))
def test_mangled_examples_never_raise(event_type: str, junk: object, field: str) -> None:
    event = example(event_type)
    event[field] = junk
    result = parse_event(json.dumps(event), now=NOW, accept="any")
    assert isinstance(result, Rejection | CloudEvent)
    if isinstance(result, Rejection):
        assert result.reason


@pytest.mark.parametrize("event_type", ["penalty.assessed", "penalty.reversed"])
def test_penalty_events_name_their_versioned_schema(event_type: str) -> None:
    """HR's systems validate the penalty feed: each event's CloudEvents ``dataschema`` is
    the ``$id`` of its schema file, a URI with the version in it."""
    from models.schema_ids import SCHEMA_VERSIONS

    schema = json.loads((SCHEMA_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    uri = f"https://sla-police.internal/schemas/{event_type}/v{SCHEMA_VERSIONS[event_type]}.json"
    assert schema["$id"] == uri
    event = parse_event(json.dumps(EXAMPLES[event_type]), now=NOW, accept="any")
    assert isinstance(event, CloudEvent)
    assert event.dataschema == uri
    assert json.loads(event.to_json())["dataschema"] == uri


def test_other_events_carry_no_dataschema_unless_they_say_so() -> None:
    event = parse_event(json.dumps(EXAMPLES["sla.breached"]), now=NOW, accept="any")
    assert isinstance(event, CloudEvent)
    assert event.dataschema is None and "dataschema" not in event.to_json()
    bad = parse_event(json.dumps({**EXAMPLES["sla.breached"], "dataschema": "not a uri"}),
                      now=NOW, accept="any")
    assert isinstance(bad, Rejection) and "dataschema" in bad.reason
