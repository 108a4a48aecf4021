"""Service floor for calls, the pure domain: hang-up norms, automatic and four-eyes caller
blocks, their expiry and review (issue 15; ``docs/semantics.md``, "Calls: service floor").

Shaped like :class:`sla.engine.SlaEngine`: one :class:`CallerState` per caller;
``receive`` queues an event (ignoring ids already seen), ``advance(state, now)`` applies
queued events and fires what is due (a block's expiry, a permanent block's review) in
time order up to ``now``, a timed thing due at an instant before an event of that
instant. The stream and replay (:mod:`sla.calls_replay`) share it; no clock is read.
The weekly QA sample is per agent, not per caller: :mod:`sla.calls_qa`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from models import CloudEvent, derived_id
from sla._calls_events import Block, blocked, norm_breached, refused, review_due, unblocked
from sla._specs_calls import CallsSpec

__all__ = [
    "LEAD_ROLE",
    "CallerState",
    "CallsEngine",
    "Request",
    "judge_hangup",
]

#: The only role that may approve a block or lift one (as the API authenticates it).
LEAD_ROLE = "contact_center_lead"


def judge_hangup(spec: CallsSpec, ended_by: str, disposition: str, warned: bool) -> str | None:
    """The norm an agent hang-up broke, or ``None`` (within the norms, or not ended by the
    agent): ``agent_may_not_end`` when the disposition does not let the agent end the
    call, ``warning_first`` when it does only after a warning and none was given."""
    if ended_by != "agent":
        return None
    if disposition not in spec.agent_may_end:
        return "agent_may_not_end"
    if disposition in spec.warning_first and not warned:
        return "warning_first"
    return None


@dataclass(slots=True)
class Request:
    """A ``block.requested`` waiting for (or past) its decision."""

    request_id: str
    period: str
    reason: str
    evidence: tuple[str, ...]
    requested_by: str
    decided: bool = False


def _order(event: CloudEvent) -> tuple[datetime, str]:
    return event.time, event.id


@dataclass(slots=True)
class CallerState:
    """Everything the calls stage keeps about one caller."""

    caller: str
    seen: set[str] = field(default_factory=set)
    pending: list[CloudEvent] = field(default_factory=list)
    #: (time, call id, disposition) of the caller's recent worthless calls, oldest first.
    worthless: list[tuple[datetime, str, str]] = field(default_factory=list)
    #: Calls at or before this instant (a block's start) never count toward a rule again.
    counted_since: datetime | None = None
    block: Block | None = None
    requests: dict[str, Request] = field(default_factory=dict)

    def receive(self, event: CloudEvent) -> bool:
        """Queue ``event`` in (time, id) order; False (nothing changes) if seen before."""
        if event.id in self.seen:
            return False
        self.seen.add(event.id)
        bisect.insort(self.pending, event, key=_order)
        return True

    def next_fire(self) -> datetime | None:
        """When the active block expires or comes up for review (None: nothing timed)."""
        block = self.block
        if block is None:
            return None
        return block.until if block.until is not None else block.next_review


class CallsEngine:
    """Applies one :class:`~sla.specs.CallsSpec` to callers. Stateless itself."""

    def __init__(self, spec: CallsSpec) -> None:
        self.spec = spec
        windows = [rule.within for rule in spec.auto_block]
        #: How far back worthless calls are kept: the longest rule window or evidence age.
        self.horizon = max([spec.blocks.evidence_within, *windows])
        self._handlers = {
            "call.ended": self._on_call,
            "qa.reviewed": lambda state, event, out: None,  # for the QA queue, not a caller
            "block.requested": self._on_request,
            "block.decided": self._on_decision,
            "block.lifted": self._on_lift,
        }

    @staticmethod
    def new_caller(caller: str) -> CallerState:
        return CallerState(caller=caller)

    @staticmethod
    def receive(state: CallerState, event: CloudEvent) -> bool:
        """Queue an inbound calls event; False for a duplicate id."""
        return state.receive(event)

    def advance(self, state: CallerState, now: datetime) -> list[CloudEvent]:
        """Apply everything due by ``now``: timed things at an instant before events of it."""
        out: list[CloudEvent] = []
        pending = state.pending
        while True:
            fire = state.next_fire()
            head = pending[0].time if pending else None
            if fire is not None and fire <= now and (head is None or fire <= head):
                self._fire(state, fire, out)
            elif head is not None and head <= now:
                event = pending.pop(0)
                self._handlers[event.type](state, event, out)
            else:
                return out

    # -- timed ---------------------------------------------------------------------------

    def _fire(self, state: CallerState, at: datetime, out: list[CloudEvent]) -> None:
        block = state.block
        assert block is not None
        if block.until == at:
            out.append(unblocked(state.caller, block, at, "expired"))
            state.block = None
        else:
            block.reviews += 1
            out.append(review_due(state.caller, block, at))
            block.next_review = at + self.spec.blocks.review_every

    # -- calls and automatic rules -------------------------------------------------------

    def _on_call(self, state: CallerState, event: CloudEvent, out: list[CloudEvent]) -> None:
        data, at = event.data, event.time
        norm = judge_hangup(self.spec, data.ended_by, data.disposition, data.warned)
        if norm is not None:
            out.append(norm_breached(event, norm))
        if data.disposition not in self.spec.worthless:
            return
        recent = state.worthless
        recent.append((at, data.call_id, data.disposition))
        recent.sort()
        del recent[:bisect.bisect_left(recent, (at - self.horizon,))]
        if state.block is None:
            self._auto_block(state, at, out)

    def _auto_block(self, state: CallerState, at: datetime, out: list[CloudEvent]) -> None:
        """The first rule whose count is reached by the calls in its window (after the last
        block began) blocks the caller for the rule's period, and never longer."""
        since = state.counted_since
        for rule in self.spec.auto_block:
            counted = [call_id for time, call_id, kind in state.worthless
                       if kind in rule.dispositions and at - rule.within < time <= at
                       and (since is None or time > since)]
            if len(counted) >= rule.count:
                block_id = derived_id(state.caller, rule.name, counted[-1], "block")
                reason = (f"{len(counted)} worthless calls within {_text(rule.within)} "
                          f"(rule {rule.name})")
                self._start(state, out, *blocked(
                    state.caller, block_id, rule.period, at, self.spec.blocks.review_every,
                    reason, counted, rule=rule.name))
                return

    @staticmethod
    def _start(state: CallerState, out: list[CloudEvent], block: Block,
               event: CloudEvent) -> None:
        """A new block replaces the caller's current one (its expiry or review is dropped)."""
        state.block, state.counted_since = block, block.blocked_at
        out.append(event)

    # -- four eyes -----------------------------------------------------------------------

    def _on_request(self, state: CallerState, event: CloudEvent,
                    out: list[CloudEvent]) -> None:
        data = event.data
        if data.period not in self.spec.blocks.periods:
            allowed = ", ".join(self.spec.blocks.periods)
            out.append(refused(event, data.requested_by, "period_not_allowed",
                               f"the policy allows blocks of {allowed}; not {data.period!r}"))
            return
        oldest = event.time - self.spec.blocks.evidence_within
        known = {call_id for time, call_id, _ in state.worthless if oldest <= time <= event.time}
        missing = [call_id for call_id in data.evidence if call_id not in known]
        if missing:
            out.append(refused(event, data.requested_by, "evidence_not_worthless", (
                f"evidence {', '.join(missing)} is not a worthless call of this caller in "
                f"the last {_text(self.spec.blocks.evidence_within)}")))
            return
        state.requests[event.id] = Request(event.id, data.period, data.reason,
                                           tuple(data.evidence), data.requested_by)

    def _on_decision(self, state: CallerState, event: CloudEvent,
                     out: list[CloudEvent]) -> None:
        data = event.data
        request = state.requests.get(data.request_id)
        why, reason = _four_eyes(request, data)
        if why is not None:
            out.append(refused(event, data.decided_by, why, reason))
            return
        assert request is not None
        request.decided = True
        if data.decision == "approved":
            block_id = derived_id(state.caller, request.request_id, "block")
            self._start(state, out, *blocked(
                state.caller, block_id, request.period, event.time,
                self.spec.blocks.review_every, request.reason, request.evidence,
                requested_by=request.requested_by, approved_by=data.decided_by))

    def _on_lift(self, state: CallerState, event: CloudEvent, out: list[CloudEvent]) -> None:
        data, block = event.data, state.block
        if data.role != LEAD_ROLE:
            out.append(refused(event, data.lifted_by, "role_not_allowed",
                               f"only the role {LEAD_ROLE} lifts a block; not {data.role!r}"))
        elif block is None or block.block_id != data.block_id:
            out.append(refused(event, data.lifted_by, "not_blocked",
                               f"block {data.block_id!r} is not the caller's active block"))
        else:
            out.append(unblocked(state.caller, block, event.time, "lifted", data.lifted_by,
                                 data.reason))
            state.block = None


def _four_eyes(request: Request | None, data) -> tuple[str | None, str]:
    """(why, reason) a decision is refused, or (None, "") when it stands."""
    if request is None:
        return "unknown_request", f"no pending block request {data.request_id!r} for this caller"
    if request.decided:
        return "already_decided", f"block request {data.request_id!r} was already decided"
    if data.decided_by == request.requested_by:
        return "self_approval", (f"{data.decided_by} requested this block and cannot decide "
                                 "it: a second person must")
    if data.role != LEAD_ROLE:
        return "role_not_allowed", f"only the role {LEAD_ROLE} decides a block; not {data.role!r}"
    return None, ""


def _text(span) -> str:
    """A timedelta as the policy writes it (``1h``, ``30d``, ``1d2h``)."""
    seconds = int(span.total_seconds())
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"),
             (seconds % 3600 // 60, "m"), (seconds % 60, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"
