"""What the wire does to a clean feed: late arrivals, duplicates and contract violations.

Each valid event may arrive 15 s to 4 min late (so it is written after events with a
later time: the "out of order" events), may be re-sent once up to 30 min later (an exact
copy, same id), and may be accompanied by one invalid line. Invalid lines are built from
the event they accompany, in eight kinds, each one refused by
:func:`models.parse.parse_event`; they carry a different id than the event they mimic so
that a consumer deduplicating by id never confuses them with the real one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

__all__ = ["INVALID_KINDS", "Arrival", "Perturber"]

#: (arrival epoch seconds, kind, event type or "", line, delayed);
#: kind is event/duplicate/invalid, delayed says the event arrives after its time.
Arrival = tuple[float, str, str, str, bool]


def _broken_json(event: dict[str, Any], line: str, rng: random.Random) -> str:
    return line[: max(1, len(line) // 2)]


def _missing_field(event: dict[str, Any], line: str, rng: random.Random) -> str:
    field = rng.choice(("id", "subject", "time", "source", "type"))
    return _dump({k: v for k, v in event.items() if k != field})


def _unknown_type(event: dict[str, Any], line: str, rng: random.Random) -> str:
    return _dump({**event, "type": "ticket.escalated"})


def _naive_time(event: dict[str, Any], line: str, rng: random.Random) -> str:
    return _dump({**event, "time": event["time"][:19]})


def _bad_priority(event: dict[str, Any], line: str, rng: random.Random) -> str:
    data = {"customer_ref": "cust-000000", "channel": "phone", "category": "other.general"}
    if event["type"] == "complaint.received":
        data = event["data"]
    return _dump({**event, "type": "complaint.received", "data": {**data, "priority": "P9"}})


def _ancient_time(event: dict[str, Any], line: str, rng: random.Random) -> str:
    return _dump({**event, "time": "1999" + event["time"][4:]})


def _outbound_type(event: dict[str, Any], line: str, rng: random.Random) -> str:
    return _dump({**event, "type": "sla.breached"})


def _bad_subject(event: dict[str, Any], line: str, rng: random.Random) -> str:
    return _dump({**event, "subject": " " + event["subject"].replace("-", " ")})


INVALID_KINDS: dict[str, Callable[[dict[str, Any], str, random.Random], str]] = {
    "broken_json": _broken_json,
    "missing_field": _missing_field,
    "unknown_type": _unknown_type,
    "naive_time": _naive_time,
    "bad_priority": _bad_priority,
    "ancient_time": _ancient_time,
    "outbound_type": _outbound_type,
    "bad_subject": _bad_subject,
}
_KIND_NAMES = tuple(INVALID_KINDS)


def _dump(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


class Perturber:
    """Decides, per valid event, its arrival and any duplicate or invalid companion."""

    def __init__(self, rng: random.Random, out_of_order: float, duplicate: float,
                 invalid: float) -> None:
        self._rng = rng
        self._rates = (out_of_order, duplicate, invalid)

    def arrivals(self, at: int, event_type: str, line: str) -> list[Arrival]:
        """The arrivals caused by one event written at ``at`` (epoch seconds)."""
        rng = self._rng
        out_of_order, duplicate, invalid = self._rates
        arrival, delayed = float(at), rng.random() < out_of_order
        if delayed:
            arrival += rng.uniform(15.0, 240.0)
        result: list[Arrival] = [(arrival, "event", event_type, line, delayed)]
        if rng.random() < duplicate:
            result.append(
                (arrival + rng.uniform(1.0, 1800.0), "duplicate", event_type, line, False))
        if rng.random() < invalid:
            result.append(
                (arrival + rng.uniform(0.0, 60.0), "invalid", "", self._invalid(line), False))
        return result

    def _invalid(self, line: str) -> str:
        event = json.loads(line)
        event["id"] = f"{event['id']}-invalid"
        kind = _KIND_NAMES[self._rng.randrange(len(_KIND_NAMES))]
        return INVALID_KINDS[kind](event, _dump(event), self._rng)
