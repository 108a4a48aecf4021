"""Judging the calls policy after a change: the same figures before and after a date
(issue 15, "judging the policy after a month"; ``docs/semantics.md``, "Calls: service
floor").

``before`` is ``[change - window, change)``, ``after`` is ``[change, change + window)``,
``change`` being local midnight of the change date. Per period: calls ended in it, mean
CSAT, the agent share of hang-ups (agent / (agent + customer); system-ended calls left
out) against the policy's band, QA compliance (verdicts on items of calls ended in it),
callers blocked at some time in it, agent minutes released and the blocked callers who
complained through another channel afterwards. Pure: the records are arguments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from models import CloudEvent

__all__ = ["BlockSpan", "CallRecord", "ChangeReport", "Figures", "Records", "block_spans",
           "judge_change", "records_from"]


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What the report needs of one ``call.ended``."""

    call_id: str
    caller: str
    agent: str
    team: str
    ended_at: datetime
    duration_seconds: int
    ended_by: str
    disposition: str
    csat: int | None = None


@dataclass(frozen=True, slots=True)
class BlockSpan:
    """A block from ``start`` to ``end`` (None: still active)."""

    caller: str
    block_id: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Records:
    """The inputs of :func:`judge_change`. ``qa_items``: qa id -> the call's end;
    ``verdicts``: qa id -> compliant or non_compliant; ``complained``: callers with a
    complaint (any channel, same pseudonym) after their block began."""

    calls: Sequence[CallRecord]
    blocks: Sequence[BlockSpan] = ()
    qa_items: Mapping[str, datetime] = field(default_factory=dict)
    verdicts: Mapping[str, str] = field(default_factory=dict)
    complained: Collection[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Figures:
    start: datetime
    end: datetime
    calls: int
    csat: float | None
    csat_count: int
    agent_hangups: int
    customer_hangups: int
    agent_share: float | None
    in_band: bool | None
    qa_reviewed: int
    qa_compliant: int
    qa_compliance: float | None
    blocked_callers: int
    minutes_released: float
    blocked_who_complained: int


@dataclass(frozen=True, slots=True)
class ChangeReport:
    change: date
    window: timedelta
    band: tuple[float, float]
    before: Figures
    after: Figures


def judge_change(records: Records, change_date: date, window: timedelta, *,
                 timezone: str, band: tuple[float, float]) -> ChangeReport:
    """The figures of the ``window`` before the change and of the ``window`` after it."""
    change = datetime.combine(change_date, datetime.min.time(), tzinfo=ZoneInfo(timezone))
    return ChangeReport(change_date, window, band,
                        _figures(records, change - window, change, window, band),
                        _figures(records, change, change + window, window, band))


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(records: Records, start: datetime, end: datetime, window: timedelta,
             band: tuple[float, float]) -> Figures:
    calls = [c for c in records.calls if start <= c.ended_at < end]
    scores = [c.csat for c in calls if c.csat is not None]
    agent = sum(c.ended_by == "agent" for c in calls)
    customer = sum(c.ended_by == "customer" for c in calls)
    share = _ratio(agent, agent + customer)
    reviewed = [v for qa_id, v in records.verdicts.items()
                if qa_id in records.qa_items and start <= records.qa_items[qa_id] < end]
    compliant = sum(v == "compliant" for v in reviewed)
    blocked = {b.caller for b in records.blocks
               if b.start < end and (b.end is None or b.end > start)}
    return Figures(
        start=start, end=end, calls=len(calls),
        csat=round(sum(scores) / len(scores), 2) if scores else None, csat_count=len(scores),
        agent_hangups=agent, customer_hangups=customer, agent_share=share,
        in_band=None if share is None else band[0] <= share <= band[1],
        qa_reviewed=len(reviewed), qa_compliant=compliant,
        qa_compliance=_ratio(compliant, len(reviewed)), blocked_callers=len(blocked),
        minutes_released=_released(records.calls, blocked, start, end, window),
        blocked_who_complained=len(blocked & set(records.complained)))


def _released(calls: Iterable[CallRecord], blocked: set[str], start: datetime,
              end: datetime, window: timedelta) -> float:
    """Per caller blocked in the period: calls in the window before it minus calls taken in
    it (when fewer), times the caller's mean handling time in the window before, summed, in
    minutes (two decimals)."""
    before: dict[str, list[int]] = defaultdict(list)
    taken: dict[str, int] = defaultdict(int)
    for call in calls:
        if call.caller not in blocked:
            continue
        if start - window <= call.ended_at < start:
            before[call.caller].append(call.duration_seconds)
        elif start <= call.ended_at < end:
            taken[call.caller] += 1
    seconds = sum(max(0, len(durations) - taken[caller]) * sum(durations) / len(durations)
                  for caller, durations in before.items())
    return round(seconds / 60, 2)


def records_from(inputs: Iterable[CloudEvent], outputs: Iterable[CloudEvent],
                 complained: Collection[str] = frozenset()) -> Records:
    """:class:`Records` from a calls replay: its inputs (calls, verdicts) and outputs
    (blocks and their ends, QA items)."""
    calls, verdicts, items = [], {}, {}
    starts: dict[str, tuple[str, datetime]] = {}
    ends: dict[str, datetime] = {}
    for event in inputs:
        d = event.data
        if event.type == "call.ended":
            calls.append(CallRecord(d.call_id, event.subject, d.agent, d.team, event.time,
                                    d.duration_seconds, d.ended_by, d.disposition, d.csat))
        elif event.type == "qa.reviewed":
            verdicts[d.qa_id] = d.verdict
    for event in outputs:
        d = event.data
        if event.type == "caller.blocked":
            starts[d.block_id] = (d.caller, d.blocked_at)
        elif event.type == "caller.unblocked":
            ends[d.block_id] = d.at
        elif event.type == "qa.item_opened":
            items[d.qa_id] = d.ended_at
    blocks = block_spans(starts, ends)
    return Records(calls, blocks, items, verdicts, frozenset(complained))


def block_spans(starts: Mapping[str, tuple[str, datetime]],
                ends: Mapping[str, datetime]) -> list[BlockSpan]:
    """Block spans from block id -> (caller, start) and block id -> end (``caller.unblocked``);
    a block replaced by the caller's next one ends when that one starts."""
    by_caller: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for block_id, (caller, start) in starts.items():
        by_caller[caller].append((start, block_id))
    spans = []
    for caller, blocks in sorted(by_caller.items()):
        blocks.sort()
        for i, (start, block_id) in enumerate(blocks):
            end = ends.get(block_id)
            if end is None and i + 1 < len(blocks):
                end = blocks[i + 1][0]
            spans.append(BlockSpan(caller, block_id, start, end))
    return spans
