"""The weekly QA sample of agent-ended calls (issue 15; ``docs/semantics.md``, "Calls:
service floor").

Per agent and ISO week (Monday 00:00 to the next Monday 00:00 in ``calls.qa.timezone``):
every agent hang-up that broke a norm is a QA item (``selected_by: norm_breach``), and of
the other agent-ended calls the ``sample_per_agent_week`` whose SHA-256 draw on (agent,
week, call id) is smallest (``selected_by: sample``). The draw depends on those alone, so
the sample is the same on every replay and in any arrival order. Items are opened when the
week ends. Shaped like the engines: :class:`AgentWeeks` state, ``receive``, ``advance(now)``;
the stream would key it by agent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models import CloudEvent, derived_id
from models.calls import QaItemOpened
from sla._calls_events import SOURCE
from sla._specs_calls import CallsSpec
from sla.calls import judge_hangup

__all__ = ["AgentWeeks", "QaSampler", "qa_draw", "week_of"]


def week_of(spec: CallsSpec, at: datetime) -> tuple[str, datetime]:
    """(``2026-W47``, the instant the week ends) of ``at`` in the QA time zone."""
    zone = ZoneInfo(spec.qa.timezone)
    local = at.astimezone(zone)
    year, week, weekday = local.isocalendar()
    monday = local.date() - timedelta(days=weekday - 1)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    return f"{year}-W{week:02d}", end


def qa_draw(agent: str, week: str, call_id: str) -> bytes:
    """The SHA-256 draw of a call in its agent's week: smaller is drawn first."""
    return hashlib.sha256(f"{agent}\x1f{week}\x1f{call_id}".encode()).digest()


@dataclass(slots=True)
class AgentWeeks:
    """The agent-ended calls of each (agent, week) not sampled yet, and the weeks done."""

    calls: dict[tuple[str, str], dict[str, CloudEvent]] = field(default_factory=dict)
    ends: dict[tuple[str, str], datetime] = field(default_factory=dict)
    done: set[tuple[str, str]] = field(default_factory=set)
    late: int = 0


class QaSampler:
    """Draws each agent's weekly QA sample. Stateless itself."""

    def __init__(self, spec: CallsSpec) -> None:
        self.spec = spec

    @staticmethod
    def new_state() -> AgentWeeks:
        return AgentWeeks()

    def receive(self, state: AgentWeeks, event: CloudEvent) -> bool:
        """Keep an agent-ended ``call.ended`` for its week; False for any other event, a
        repeated call id, or a call whose week's sample was already drawn (counted late)."""
        if event.type != "call.ended" or event.data.ended_by != "agent":
            return False
        week, end = week_of(self.spec, event.time)
        key = (event.data.agent, week)
        if key in state.done:
            state.late += 1
            return False
        calls = state.calls.setdefault(key, {})
        if event.data.call_id in calls:
            return False
        calls[event.data.call_id] = event
        state.ends[key] = end
        return True

    def advance(self, state: AgentWeeks, now: datetime) -> list[CloudEvent]:
        """The QA items of every (agent, week) that ended by ``now``, week by week."""
        out: list[CloudEvent] = []
        for key in sorted((k for k, end in state.ends.items() if end <= now),
                          key=lambda k: (state.ends[k], k)):
            out.extend(self._sample(key, state.ends.pop(key), state.calls.pop(key)))
            state.done.add(key)
        return out

    def _sample(self, key: tuple[str, str], end: datetime,
                calls: dict[str, CloudEvent]) -> list[CloudEvent]:
        agent, week = key
        breaches, others = [], []
        for call_id, event in calls.items():
            d = event.data
            norm = judge_hangup(self.spec, d.ended_by, d.disposition, d.warned)
            if norm is not None:
                breaches.append((call_id, norm))
            else:
                others.append(call_id)
        others.sort(key=lambda call_id: qa_draw(agent, week, call_id))
        drawn = [(c, None) for c in others[:self.spec.qa.sample_per_agent_week]]
        return [_item(calls[call_id], week, end, norm)
                for call_id, norm in sorted(breaches) + drawn]


def _item(event: CloudEvent, week: str, end: datetime, norm: str | None) -> CloudEvent:
    d = event.data
    qa_id = derived_id(d.call_id, "qa.item_opened")
    return QaItemOpened(
        id=qa_id, source=SOURCE, time=end, subject=event.subject,
        data={"qa_id": qa_id, "call_id": d.call_id, "caller": event.subject, "agent": d.agent,
              "team": d.team, "week": week,
              "selected_by": "sample" if norm is None else "norm_breach", "norm": norm,
              "disposition": d.disposition, "warned": d.warned,
              "duration_seconds": d.duration_seconds, "started_at": d.started_at,
              "ended_at": event.time})
