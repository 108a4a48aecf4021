"""Replay a calls log (JSONL of the ``calls`` topic) through the calls domain.

Every caller gets all of its events and is advanced to ``until`` (:class:`CallsEngine`):
expiries and reviews fire at their exact instants, interleaved with the events by time.
The agent-ended calls go to the weekly QA sampler (:class:`QaSampler`), which opens the
items of every week ended by ``until``. Invalid lines become ``event.rejected`` dead
letters of the topic :func:`~models.topics.inbound_route` sends them to: ``calls`` when
their ``type`` is a calls type, ``ticket-events`` (whose stage rejects them) otherwise.
Outputs are sorted and deduplicated by id: the same log and policy give the same bytes, in
any line order. The oracle of the calls stream (:mod:`streams.calls_stage`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from models import CloudEvent, Rejection, parse_event
from models.topics import CALLS, inbound_route
from sla import outcomes
from sla._specs_calls import CallsSpec
from sla.calls import CallerState, CallsEngine
from sla.calls_qa import AgentWeeks, QaSampler
from sla.replay import share_zone, time_key

__all__ = ["CallsReplayResult", "calls_order_key", "is_calls_line", "replay_calls",
           "replay_calls_lines"]

#: Cause before effect among outputs of one instant: a block ends (or comes up for review)
#: before anything an event of that instant does; a finding before a refusal before a
#: block; QA items (opened when a week ends) after; dead letters last.
_RANK = {"caller.unblocked": 0, "block.review_due": 1, "call.norm_breached": 2,
         "block.refused": 3, "caller.blocked": 4, "qa.item_opened": 5, "event.rejected": 9}


def calls_order_key(event: CloudEvent) -> str:
    """Total order of calls outputs: time, the rank of the type, then the id."""
    return f"{time_key(event.time)}{_RANK.get(event.type, 9)}{event.id}"


@dataclass
class CallsReplayResult:
    outputs: list[CloudEvent]
    #: Every inbound event accepted (duplicates excluded), in (time, id) order.
    inputs: list[CloudEvent] = field(default_factory=list)
    callers: dict[str, CallerState] = field(default_factory=dict)
    weeks: AgentWeeks = field(default_factory=AgentWeeks)
    events: int = 0
    duplicates: int = 0
    invalid: int = 0
    until: datetime | None = None

    def jsonl(self) -> str:
        return "".join(e.to_json() + "\n" for e in self.outputs)


def is_calls_line(raw: bytes | str) -> bool:
    """True for a line a producer publishes to the ``calls`` topic (valid or not): what this
    replay reads out of a log that also holds ticket events (see
    :func:`models.topics.inbound_route`)."""
    return inbound_route(raw)[0] == CALLS


def replay_calls_lines(lines: Iterable[str | bytes], spec: CallsSpec, *,
                       until: datetime | None = None) -> CallsReplayResult:
    """Parse a calls JSONL log (invalid lines become dead letters) and replay it."""
    events: list[CloudEvent] = []
    rejected: list[tuple[str | bytes, Rejection]] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        parsed = parse_event(stripped, accept="calls")
        if isinstance(parsed, Rejection):
            rejected.append((stripped, parsed))
        else:
            events.append(share_zone(parsed))
    result = replay_calls(events, spec, until=until)
    result.invalid = len(rejected)
    at = min((e.time for e in events), default=None)
    if at is not None:
        for raw, rejection in rejected:
            topic, key = inbound_route(raw)  # where it was published, so who rejects it
            result.outputs.append(outcomes.dead_letter(
                raw, rejection.reason, topic=topic, at=at,
                key=None if key is None else key.decode("utf-8", "replace")))
        result.outputs = _dedupe_sorted(result.outputs)
    return result


def replay_calls(events: Iterable[CloudEvent], spec: CallsSpec, *,
                 until: datetime | None = None) -> CallsReplayResult:
    """Replay parsed calls events; ``until`` defaults to the last event's time."""
    engine, sampler = CallsEngine(spec), QaSampler(spec)
    callers: dict[str, CallerState] = {}
    weeks = sampler.new_state()
    inputs: list[CloudEvent] = []
    count = duplicates = 0
    last: datetime | None = None
    for event in events:
        count += 1
        last = event.time if last is None or event.time > last else last
        state = callers.get(event.subject)
        if state is None:
            state = callers[event.subject] = engine.new_caller(event.subject)
        if engine.receive(state, event):
            inputs.append(event)
            sampler.receive(weeks, event)
        else:
            duplicates += 1
    until = until or last
    outputs: list[CloudEvent] = []
    if until is not None:
        for state in callers.values():
            outputs.extend(engine.advance(state, until))
        outputs.extend(sampler.advance(weeks, until))
    inputs.sort(key=lambda e: (e.time, e.id))
    return CallsReplayResult(outputs=_dedupe_sorted(outputs), inputs=inputs, callers=callers,
                             weeks=weeks, events=count, duplicates=duplicates, until=until)


def _dedupe_sorted(events: list[CloudEvent]) -> list[CloudEvent]:
    unique = {e.id: e for e in events}
    return sorted(unique.values(), key=calls_order_key)
