"""The weekly QA sample in the stream: a small stage keyed by agent.

The sample is per agent and ISO week (:mod:`sla.calls_qa`), but calls arrive keyed by
caller, so the calls stage forwards every agent-ended ``call.ended`` to an internal topic
``{app_id}-calls-qa`` keyed by agent (a repartition), and sends every QA partition a
watermark whenever a calls partition's clock moves. Like the department stage
(:mod:`streams.penalty_stage`), a QA partition's clock is the lowest watermark over all
calls partitions: once it passes a week's end, every call of that week has been forwarded
(the clock's promise), so the week is drawn exactly as replay draws it.

State, one ``calls-qa`` table (rows of a partition written from that partition only):

- ``agent|<agent>``: ``<partition>|<next week end>|<json>``, the agent's undrawn weeks
  (calls kept by id) and the weeks drawn;
- ``mark|<partition>|<source>``: the watermarks of calls partition ``source`` since the
  last commit known, each with the offset that applied it (:mod:`streams.clock_marks`);
- ``out|<partition>|<offset>|<chunk>``: the QA items a watermark released, at most
  ``OUTBOX_CHUNK`` a row (a week's end draws for every agent at once: one row for all of
  a large center's would pass Kafka's 1 MB record limit), kept until that watermark's
  offset is committed (a restarted worker re-sends them: same ids). Written before the
  agents' rows, so a crash in between re-sends what the agents' rows say is done. Rows
  of an earlier version, ``out|<partition>|<offset>``, are read the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import faust

from models import CloudEvent, parse_event
from sla._specs_calls import CallsSpec
from sla.calls_qa import AgentWeeks, QaSampler
from sla.replay import share_zone
from streams.clock_marks import ClockMarks
from streams.deadlines import DeadlineIndex
from streams.frontier import OffsetFrontier
from streams.interfaces import CommittedOffsets, KeyValueStore
from streams.penalty_stage import OUTBOX_CHUNK
from streams.topics import WATERMARK

__all__ = ["QaStage", "qa_partition"]


def _agent_key(agent: str) -> bytes:
    return f"agent|{agent}".encode()


def _encode(partition: int, agent: str, weeks: AgentWeeks) -> bytes:
    ends = [end for key, end in weeks.ends.items() if key[0] == agent]
    stamp = repr(min(ends).timestamp()) if ends else ""
    body = {"weeks": {week: {"end": weeks.ends[(a, week)].isoformat(),
                             "calls": [e.to_json() for e in calls.values()]}
                      for (a, week), calls in weeks.calls.items() if a == agent},
            "done": sorted(week for a, week in weeks.done if a == agent), "late": weeks.late}
    return f"{partition}|{stamp}|{json.dumps(body, separators=(',', ':'))}".encode()


def _decode(agent: str, value: bytes) -> AgentWeeks:
    obj = json.loads(value.split(b"|", 2)[2])
    weeks = AgentWeeks(late=obj["late"])
    for week, entry in obj["weeks"].items():
        events = [share_zone(parse_event(raw, accept="calls")) for raw in entry["calls"]]
        weeks.calls[(agent, week)] = {e.data.call_id: e for e in events}  # type: ignore[union-attr]
        weeks.ends[(agent, week)] = datetime.fromisoformat(entry["end"])
    weeks.done = {(agent, week) for week in obj["done"]}
    return weeks


class QaStage:
    """Per message of the QA topic ``topic_name``, fed by ``sources`` calls partitions."""

    def __init__(self, spec: CallsSpec | None, emitter, *, sources: int, topic_name: str,
                 state: KeyValueStore, commits: CommittedOffsets,
                 frontier: OffsetFrontier | None = None) -> None:
        self.sampler = None if spec is None else QaSampler(spec)
        self.emitter, self.commits = emitter, commits
        self.frontier = frontier if frontier is not None else OffsetFrontier()
        self.sources, self.topic_name, self.state = sources, topic_name, state
        self.index = DeadlineIndex()  # agent -> end of its earliest undrawn week
        self.marks: dict[int, dict[int, datetime]] = {}
        self.mark_rows = ClockMarks(state, commits)  # as of the commit: streams.clock_marks
        self.outbox: dict[int, list[tuple[int, bytes]]] = {}

    async def process(self, event: faust.EventT) -> None:
        """Keep a forwarded call, or apply a watermark once every earlier message of the
        partition has been processed (see :mod:`streams.frontier`)."""
        message = event.message
        tp = (message.topic, message.partition)
        if WATERMARK in event.headers:
            self.frontier.hold(tp, message.offset, event.headers[WATERMARK].decode())
        elif event.key and self.sampler is not None:
            self._receive(message.partition, event.key.decode(), event.value)
        self.frontier.seen(tp, message.offset)
        for header in self.frontier.release(tp):
            source, when = header.split("|", 1)
            self._mark(message.partition, int(source), when, message.offset)
            await self._drain(message.partition, message.offset)

    def _receive(self, partition: int, agent: str, raw: bytes) -> None:
        assert self.sampler is not None
        event = parse_event(raw, accept="calls")
        if not isinstance(event, CloudEvent):
            raise ValueError(f"a forwarded call does not parse: {event.reason}")
        weeks = self._load(agent)
        if self.sampler.receive(weeks, share_zone(event)):
            self._save(partition, agent, weeks)

    def _mark(self, partition: int, source: int, when_text: str, offset: int) -> None:
        """Source partition ``source``'s watermark reached ``when_text``, applied by the
        message at ``offset``."""
        when = datetime.fromisoformat(when_text)
        marks = self.marks.setdefault(partition, {})
        if source not in marks or when > marks[source]:
            marks[source] = when
            self.mark_rows.advance(f"mark|{partition}|{source}".encode(), when_text,
                                   self.topic_name, partition, offset)

    def low_watermark(self, partition: int) -> datetime | None:
        marks = self.marks.get(partition, {})
        return min(marks.values()) if len(marks) >= self.sources else None

    async def _drain(self, partition: int, offset: int) -> None:
        """Draw every week the low watermark has passed, agent by agent."""
        low = self.low_watermark(partition)
        if low is None or self.sampler is None:
            return
        drawn: list[tuple[str, AgentWeeks]] = []
        outputs: list[CloudEvent] = []
        for agent in self.index.pop_due(partition, low):
            weeks = self._load(agent)
            outputs += self.sampler.advance(weeks, low)
            drawn.append((agent, weeks))
        self._prune_outbox(partition)
        if outputs:  # in rows of OUTBOX_CHUNK: a week's end draws for every agent at once
            texts, rows = [e.to_json() for e in outputs], self.outbox.setdefault(partition, [])
            for chunk, start in enumerate(range(0, len(texts), OUTBOX_CHUNK)):
                key = f"out|{partition}|{offset}|{chunk}".encode()
                self.state[key] = json.dumps(texts[start:start + OUTBOX_CHUNK]).encode()
                rows.append((offset, key))
        for agent, weeks in drawn:
            self._save(partition, agent, weeks)
        await self.emitter.publish(outputs)

    def _load(self, agent: str) -> AgentWeeks:
        value = self.state.get(_agent_key(agent))
        return AgentWeeks() if value is None else _decode(agent, value)

    def _save(self, partition: int, agent: str, weeks: AgentWeeks) -> None:
        self.state[_agent_key(agent)] = _encode(partition, agent, weeks)
        ends = [end for key, end in weeks.ends.items() if key[0] == agent]
        self.index.set(partition, agent, min(ends) if ends else None)

    def _prune_outbox(self, partition: int) -> None:
        offset = self.commits.committed(self.topic_name, partition)
        committed, rows = (-1 if offset is None else offset), self.outbox.get(partition, [])
        done = [row for row in rows if row[0] < committed]
        for _, key in done:
            del self.state[key]
        if done:
            self.outbox[partition] = [row for row in rows if row[0] >= committed]

    # -- recovery ----------------------------------------------------------------------

    def drop(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self.index.drop_partition(partition)
            self.mark_rows.forget_prefixed(f"mark|{partition}|".encode())
            self.marks.pop(partition, None)
            self.outbox.pop(partition, None)

    async def rebuild(self, partitions: set[int], committed: dict[int, int]) -> int:
        """Reload watermarks and the agents' next week ends of ``partitions``; re-send QA
        items whose cause is not committed. Returns how many were re-sent."""
        resent = 0
        for partition, key, value in self.state.rows(partitions):
            kind, _, rest = key.decode().partition("|")
            if kind == "mark":
                when = self.mark_rows.restore(key, value, committed.get(partition, 0))
                if when is not None:
                    source = int(rest.split("|")[1])
                    self.marks.setdefault(partition, {})[source] = datetime.fromisoformat(when)
            elif kind == "agent":
                stamp = value.split(b"|", 2)[1]
                if stamp:
                    self.index.set_stamp(partition, rest, float(stamp))
            elif kind == "out":
                cause = int(rest.split("|")[1])
                self.outbox.setdefault(partition, []).append((cause, key))
                if cause >= committed.get(partition, 0):
                    outputs = json.loads(value)
                    await self.emitter.republish(outputs)
                    resent += len(outputs)
        return resent


def qa_partition(key: bytes, value: bytes) -> int:
    """Partition of a ``calls-qa`` row: in the key (marks, outbox) or the value (agents)."""
    kind, _, rest = key.partition(b"|")
    if kind in (b"mark", b"out"):
        return int(rest.split(b"|", 1)[0])
    return int(value.split(b"|", 1)[0])
