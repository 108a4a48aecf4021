"""``volume.reported``: a business volume keyed by department, on its own topic. Producers
may publish it (``accept="publish"``), ticket workers refuse it with a reason saying where it
belongs, the ledger keeps it, replay skips it."""

from __future__ import annotations

import json

import pytest

from models import CloudEvent, Rejection, parse_event
from models.examples import example
from models.topics import VOLUMES, inbound_route, inbound_topic_for
from sla.config import load_config
from sla.parallel import replay_sharded
from sla.replay import replay_lines
from sla_police.publisher import PublishReport, _route
from tests.ledger.cli import CONFIG
from tests.models.test_contract import NOW


def raw(**data: object) -> bytes:
    event = example("volume.reported")
    event["data"].update(data)
    return json.dumps(event).encode()


def test_producers_publish_it_to_the_volumes_topic_keyed_by_department() -> None:
    assert inbound_topic_for("volume.reported") == VOLUMES
    assert inbound_route(raw()) == (VOLUMES, b"logistics")
    assert _route(raw(), 1, NOW, False, PublishReport()) == (VOLUMES, b"logistics")


def test_a_ticket_worker_refuses_it_saying_where_it_belongs() -> None:
    refused = parse_event(raw(), now=NOW)
    assert isinstance(refused, Rejection) and "'volumes' topic" in refused.reason
    assert isinstance(parse_event(raw(), now=NOW, accept="publish"), CloudEvent)


@pytest.mark.parametrize(("data", "subject", "reason"), [
    ({"day": None}, None, "give exactly one of day and period"),
    ({"period": "2026-11"}, None, "give exactly one of day and period"),
    ({"count": -1}, None, "data.count"),
    ({"unit": "Parcels!"}, None, "data.unit"),
    ({}, "billing", "must be the department 'logistics'"),
])
def test_invalid_volumes_get_a_reason(data: dict, subject: str | None, reason: str) -> None:
    event = json.loads(raw(**data))
    if subject:
        event["subject"] = subject
    result = parse_event(json.dumps(event), now=NOW, accept="publish")
    assert isinstance(result, Rejection) and reason in result.reason, result


def test_replay_skips_volumes_valid_or_not_sharded_or_not() -> None:
    lines = [raw(), raw(count=-5), json.dumps(example("complaint.received")).encode()]
    policy = load_config(CONFIG)
    result = replay_lines(lines, policy)
    sharded = replay_sharded(lines, policy, workers=2)
    assert result.invalid == sharded.invalid == 0
    assert {e.type for e in result.outputs} == {"sla.attributed", "sla.clocks_changed"}
    assert "".join(line + "\n" for line in sharded.lines) == result.jsonl()


def test_the_bucketed_replay_skips_volumes_too(tmp_path) -> None:
    import io

    from sla_police.bucketed_replay import replay_log

    lines = [raw(), raw(count=-5), json.dumps(example("complaint.received")).encode()]
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n"
                             for line in lines))
    policy = load_config(CONFIG)
    out = io.BytesIO()
    bucketed = replay_log(log, policy, out, workers=2)
    assert bucketed.invalid == 0
    assert out.getvalue() == replay_lines(lines, policy).jsonl().encode()
