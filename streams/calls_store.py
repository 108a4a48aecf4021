"""How a caller is stored in the calls stage's changelog-backed ``callers`` table.

A value is ``b"<partition>|<next wake-up>|<blocked>|<outbox causes>|<state json>"``
followed by one ``b"\n<output json>"`` per output kept in the **outbox**, the layout of
:mod:`streams.ticket_store` plus one flag: ``1`` when the caller has an active block (the
``sla_caller_blocks_active`` gauge is rebuilt from it without decoding the state). The
wake-up is the earlier of the block's expiry or review and the first queued event not
applied yet (the stream clock can stand before an event's time).

The outbox keeps each transition's outputs with the (topic index, offset) of the message
that caused it, so a crash between processing and commit re-sends the same ids (the
broker has no transactions). A ``call.ended`` an agent ended is kept there too: it is the
record forwarded to the QA stage (:mod:`streams.calls_qa_stage`), re-sent the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from models import CloudEvent, parse_event
from sla._calls_events import Block
from sla.calls import CallerState, Request
from sla.replay import share_zone

__all__ = ["CallerPrefix", "StoredCaller", "caller_partition", "decode_caller",
           "decode_caller_prefix", "encode_caller", "wakeup_of"]

#: (topic index, offset) of the message that caused a transition.
Cause = tuple[int, int]
MAX_OUTBOX = 16


def wakeup_of(state: CallerState) -> datetime | None:
    """When the caller must be advanced next: a timed thing, or a queued event's time."""
    times = [t for t in (state.next_fire(), state.pending[0].time if state.pending else None)
             if t is not None]
    return min(times, default=None)


@dataclass(slots=True)
class StoredCaller:
    partition: int
    state: CallerState
    outbox: list[tuple[Cause, list[str]]] = field(default_factory=list)

    def remember(self, cause: Cause, outputs: list[str], committed: dict[int, int]) -> None:
        """Record a transition's outputs; forget entries already committed."""
        self.outbox = [(c, o) for c, o in self.outbox if c[1] >= committed.get(c[0], -1)]
        if outputs:
            self.outbox.append((cause, outputs))
        del self.outbox[:-MAX_OUTBOX]


@dataclass(frozen=True, slots=True)
class CallerPrefix:
    partition: int
    wakeup: float | None
    blocked: bool
    causes: tuple[Cause, ...]


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _encode_state(state: CallerState) -> dict:
    block = state.block
    return {
        "caller": state.caller, "seen": sorted(state.seen),
        "pending": [e.to_json() for e in state.pending],
        "worthless": [[_t(t), call_id, kind] for t, call_id, kind in state.worthless],
        "counted_since": _t(state.counted_since),
        "block": None if block is None else {
            "block_id": block.block_id, "period": block.period,
            "blocked_at": _t(block.blocked_at), "until": _t(block.until),
            "next_review": _t(block.next_review), "reviews": block.reviews},
        "requests": {rid: {"period": r.period, "reason": r.reason, "evidence": list(r.evidence),
                           "requested_by": r.requested_by, "decided": r.decided}
                     for rid, r in state.requests.items()},
    }


def _event(raw: str) -> CloudEvent:
    event = parse_event(raw, accept="calls")
    if not isinstance(event, CloudEvent):
        raise ValueError(f"a stored calls event no longer parses: {event.reason}")
    return share_zone(event)


def _decode_state(obj: dict) -> CallerState:
    b = obj["block"]
    block = None if b is None else Block(
        b["block_id"], b["period"], _dt(b["blocked_at"]), _dt(b["until"]),  # type: ignore[arg-type]
        _dt(b["next_review"]), b["reviews"])
    return CallerState(
        caller=obj["caller"], seen=set(obj["seen"]),
        pending=[_event(raw) for raw in obj["pending"]],
        worthless=[(_dt(t), c, k) for t, c, k in obj["worthless"]],  # type: ignore[misc]
        counted_since=_dt(obj["counted_since"]), block=block,
        requests={rid: Request(rid, r["period"], r["reason"], tuple(r["evidence"]),
                               r["requested_by"], r["decided"])
                  for rid, r in obj["requests"].items()})


def encode_caller(stored: StoredCaller) -> bytes:
    wakeup = wakeup_of(stored.state)
    stamp = "" if wakeup is None else repr(wakeup.timestamp())
    blocked = "1" if stored.state.block is not None else "0"
    causes = ",".join(f"{t}:{o}:{len(outs)}" for (t, o), outs in stored.outbox)
    body = json.dumps(_encode_state(stored.state), separators=(",", ":"))
    outputs = "".join(f"\n{out}" for _, outs in stored.outbox for out in outs)
    return f"{stored.partition}|{stamp}|{blocked}|{causes}|{body}{outputs}".encode()


def decode_caller_prefix(value: bytes) -> CallerPrefix:
    partition, stamp, blocked, causes, _ = value.split(b"|", 4)
    return CallerPrefix(int(partition), float(stamp) if stamp else None, blocked == b"1",
                        tuple((c[0], c[1]) for c in _causes(causes)))


def decode_caller(value: bytes) -> StoredCaller:
    partition, _stamp, _blocked, causes, body = value.split(b"|", 4)
    lines = body.decode().split("\n")
    outbox, at = [], 1
    for topic, offset, count in _causes(causes):
        outbox.append(((topic, offset), lines[at:at + count]))
        at += count
    return StoredCaller(int(partition), _decode_state(json.loads(lines[0])), outbox)


def caller_partition(_key: bytes, value: bytes) -> int:
    """Partition of a ``callers`` row (its value's prefix)."""
    return int(value.split(b"|", 1)[0])


def _causes(text: bytes) -> list[list[int]]:
    return [[int(part) for part in cause.split(b":")] for cause in text.split(b",") if cause]
