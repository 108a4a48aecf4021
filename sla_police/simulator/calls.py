"""Seeded, deterministic call records for the calls service floor (issue 15).

A contact center's calls over ``days`` days around a policy change: ordinary callers whose
calls end mostly by the customer (agents end ``agent_share_before`` of the calls ended by
agent or customer before the change, ``agent_share_after`` after it, as the new hang-up
norms let them), a few planted **nuisance callers** who call now and then before the change
(long calls the agent sits through) and in bursts after it (three worthless calls within
half an hour, each ended by the agent after a warning: the shipped ``burst`` rule blocks
them for a day), and planted **abusive callers** whom the contact center asks to block
after the change (``block.requested`` by ``cc-desk-1`` with their latest abusive calls as
evidence) and a lead decides (``block.decided`` by ``cc-lead-2``: the first request of the
second one is declined, the next approved). A blocked caller does not get through (the
IVR bars them), so no call of theirs is simulated while blocked.

Same options, same events (ids are derived from the options, never random UUIDs); the
events are in time order, as ``sla-police publish`` sends them (to the ``calls`` topic).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models import CloudEvent
from models.calls import BlockDecided, BlockRequested, CallEnded

__all__ = ["CallsOptions", "simulate_calls"]

SOURCE = "acd"
TEAMS = ("east", "west", "north", "south")
REQUESTER, APPROVER, LEAD_ROLE = "cc-desk-1", "cc-lead-2", "contact_center_lead"
#: Dispositions of ordinary calls, with weights (worthless ones come from planted callers).
_ORDINARY = (("resolved", 70), ("no_further_need", 20), ("other", 6), ("out_of_scope", 3),
             ("final_answer_repeat", 1))
_CSAT = {False: (1, 2, 8, 40, 49), True: (1, 2, 6, 36, 55)}  # weights of 1..5, by "after"


@dataclass(frozen=True)
class CallsOptions:
    """What to simulate; :class:`ValueError` on a value that makes no sense."""

    days: int = 60
    seed: int = 0
    start: date = date(2026, 10, 2)
    change: date = date(2026, 11, 1)
    calls_per_day: int = 400
    agents: int = 20
    callers: int = 3000
    agent_share_before: float = 0.18
    agent_share_after: float = 0.30
    nuisance_callers: int = 4
    abusive_callers: int = 2
    timezone: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        for name in ("days", "calls_per_day", "agents", "callers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("agent_share_before", "agent_share_after"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be a share from 0 to 1")
        if min(self.nuisance_callers, self.abusive_callers) < 0:
            raise ValueError("planted callers cannot be negative")
        ZoneInfo(self.timezone)  # ZoneInfoNotFoundError is a KeyError: turned below

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days)


class _Sim:
    """One simulation: the random stream and the calls made so far."""

    def __init__(self, options: CallsOptions) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.zone = ZoneInfo(options.timezone)
        self.events: list[CloudEvent] = []
        self.count = 0

    def at(self, day: date, seconds: float) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.zone) + timedelta(seconds=int(seconds))

    def agent(self) -> tuple[str, str]:
        n = self.rng.randrange(self.o.agents)
        return f"emp-cc-{n + 1:03d}", TEAMS[n % len(TEAMS)]

    def call(self, caller: str, ended: datetime, duration: int, ended_by: str,
             disposition: str, warned: bool = False, csat: int | None = None) -> CloudEvent:
        self.count += 1
        call_id = f"call-{ended.astimezone(self.zone):%Y%m%d}-{self.count:06d}"
        agent, team = self.agent()
        data = {"call_id": call_id, "caller_ref": caller, "agent": agent, "team": team,
                "started_at": ended - timedelta(seconds=duration),
                "duration_seconds": duration, "ended_by": ended_by,
                "disposition": disposition, "warned": warned, "csat": csat}
        event = CallEnded(id=f"acd-{call_id}", source=SOURCE, time=ended, subject=caller,
                          data=data)
        self.events.append(event)
        return event

    def ordinary_day(self, day: date) -> None:
        rng, after = self.rng, day >= self.o.change
        share = self.o.agent_share_after if after else self.o.agent_share_before
        kinds, weights = zip(*_ORDINARY, strict=True)
        for _ in range(max(1, round(self.o.calls_per_day * rng.uniform(0.85, 1.15)))):
            ended = self.at(day, rng.uniform(8 * 3600, 22 * 3600))
            caller = f"c-{int(self.o.callers * rng.random() ** 2):06d}"  # some call often
            disposition = rng.choices(kinds, weights)[0]
            ended_by = ("system" if rng.random() < 0.03 else
                        "agent" if rng.random() < share else "customer")
            duration = max(20, int(rng.lognormvariate(5.4, 0.5)))  # about 4 minutes
            csat = (rng.choices(range(1, 6), _CSAT[after])[0]
                    if ended_by != "system" and rng.random() < 0.3 else None)
            warned = disposition == "final_answer_repeat" and rng.random() < 0.9
            self.call(caller, ended, duration, ended_by, disposition, warned, csat)

    def nuisance(self, caller: str) -> None:
        """Now and then before the change, in bursts after it (a day's block after each)."""
        rng = self.rng
        day = self.o.start + timedelta(days=rng.randrange(3))
        while day < self.o.end:
            if day < self.o.change:
                ended = self.at(day, rng.uniform(9 * 3600, 21 * 3600))
                self.call(caller, ended, rng.randint(600, 1200), "customer", "nuisance")
                day += timedelta(days=rng.randint(1, 3))
                continue
            first = rng.uniform(9 * 3600, 20 * 3600)
            for k in range(3):  # the third is blocked by the rule, at its end
                ended = self.at(day, first + k * rng.uniform(300, 900))
                self.call(caller, ended, rng.randint(60, 180), "agent", "nuisance", warned=True)
            day += timedelta(days=rng.randint(2, 6))

    def abusive(self, index: int, caller: str) -> None:
        """Abusive calls every few days; after the change the desk asks for a month's block
        (the second caller's first request declined), a lead approves; no calls then."""
        rng = self.rng
        day = self.o.start + timedelta(days=rng.randrange(4))
        asked, recent = 0, []
        while day < self.o.end:
            ended = self.at(day, rng.uniform(9 * 3600, 21 * 3600))
            after = day >= self.o.change
            recent.append(self.call(caller, ended, rng.randint(120, 400),
                                    "agent" if after else "customer", "abusive",
                                    warned=after).data.call_id)
            day += timedelta(days=rng.randint(2, 4))
            if after and len(recent) >= 2:
                asked += 1
                approved = not (index == 1 and asked == 1)
                self.request(caller, ended + timedelta(minutes=20), recent[-2:], asked, approved)
                if approved:
                    day += timedelta(days=31)
                recent = []

    def request(self, caller: str, at: datetime, evidence: list[str], n: int,
                approved: bool) -> None:
        request_id = f"req-{caller}-{n}"
        self.events.append(BlockRequested(
            id=request_id, source="sla-police/api", time=at, subject=caller, data={
                "caller_ref": caller, "period": "month", "evidence": evidence,
                "reason": "abusive to agents again after warnings", "requested_by": REQUESTER}))
        decision = "approved" if approved else "declined"
        self.events.append(BlockDecided(
            id=f"dec-{caller}-{n}", source="sla-police/api", time=at + timedelta(minutes=15),
            subject=caller, data={"request_id": request_id, "decision": decision,
                                  "decided_by": APPROVER, "role": LEAD_ROLE,
                                  "note": None if approved else "warn once more first"}))


def simulate_calls(options: CallsOptions) -> Iterator[CloudEvent]:
    """The simulated calls events, in time order (then by id)."""
    sim = _Sim(options)
    for offset in range(options.days):
        sim.ordinary_day(options.start + timedelta(days=offset))
    for n in range(options.nuisance_callers):
        sim.nuisance(f"c-9{n:05d}")
    for n in range(options.abusive_callers):
        sim.abusive(n, f"c-8{n:05d}")
    yield from sorted(sim.events, key=lambda e: (e.time, e.id))
