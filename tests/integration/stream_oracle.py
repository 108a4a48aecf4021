"""Shared pieces of the live-pipeline tests: a small simulated log and the oracle.

The oracle: every outbound event the stream produced, deduplicated by id, must
equal what ``replay`` computes for the same log; the same id must never carry
two different payloads. Dead letters are compared without the fields only the
stream can know (partition, offset, processing time).
"""

from __future__ import annotations

import json
from pathlib import Path

from models import CloudEvent, parse_event
from sla.config import load_config
from sla.replay import replay_lines
from sla_police.simulator import SimulationOptions, simulate

CONFIG_PATH = Path(__file__).resolve().parents[2] / "deploy/config/sla-police.yaml"


def small_log(seed: int = 11, calls_per_day: int = 160) -> list[bytes]:
    options = SimulationOptions(days=1, seed=seed, calls_per_day=calls_per_day,
                                out_of_order_rate=0.05, duplicate_rate=0.02, invalid_rate=0.01)
    return [line.rstrip("\n").encode() for line in simulate(options)]


def expected_outputs(lines: list[bytes]) -> tuple[dict[str, dict], object]:
    result = replay_lines(lines, load_config(CONFIG_PATH))
    return {e.id: normalise(e) for e in result.outputs}, result.until


def normalise(event: CloudEvent) -> dict:
    data = json.loads(event.to_json())
    if event.type == "event.rejected":
        data.pop("time")
        for key in ("rejected_at", "partition", "offset"):
            data["data"].pop(key, None)
    return data


def actual_outputs(found: dict[str, list[bytes]]) -> dict[str, dict]:
    """Outbound events by id; fails if one id carries two different payloads."""
    out: dict[str, dict] = {}
    for values in found.values():
        for value in values:
            event = parse_event(value, accept="any")
            assert isinstance(event, CloudEvent), value[:200]
            normal = normalise(event)
            assert out.setdefault(event.id, normal) == normal, f"two payloads for {event.id}"
    return out


def assert_same_as_replay(actual: dict[str, dict], expected: dict[str, dict]) -> None:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing, f"{len(missing)} missing, e.g. {[expected[i] for i in missing[:3]]}"
    assert not extra, f"{len(extra)} unexpected, e.g. {[actual[i] for i in extra[:3]]}"
    differing = [i for i in expected if actual[i] != expected[i]]
    assert not differing, f"{len(differing)} differ, e.g. {actual[differing[0]]} != " \
                          f"{expected[differing[0]]}"
