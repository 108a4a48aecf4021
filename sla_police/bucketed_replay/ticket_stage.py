"""The ticket stage of the bucketed replay: one worker process replays its buckets.

A bucket holds every line of its tickets, so each ticket is replayed whole, as in
:func:`sla.parallel.replay_sharded`, but one bucket at a time: its tickets are advanced
to the bucket's last event (or to ``--until``), their outcomes written as a sorted run,
and a ticket that can produce nothing more (no event pending, no clock to fire) is
dropped. The others (open tickets) are kept until every bucket is done and the replay's
``until`` (the last event of the whole log) is known; they are then advanced to it.
``engine.advance`` to one instant and then to a later one gives the same outcomes as
to the later one at once, so the bytes equal the sharded replay's.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from models import CloudEvent, Rejection, parse_event
from sla import outcomes
from sla.calls_replay import is_calls_line
from sla.engine import SlaEngine
from sla.notifications import notifications_for
from sla.parallel import merge_figures
from sla.penalties import PenaltyEngine
from sla.replay import is_feed_line, order_key, rejected_origin, share_zone, time_key
from sla.specs import SlaConfig
from sla.summary import DepartmentFigures, summarise
from sla.ticket import TicketState
from sla_police.bucketed_replay.runs import RunWriter
from sla_police.bucketed_replay.spill import bounded_buckets

__all__ = ["RETIRED", "TicketWorker", "TicketReport"]

#: Starts the payload of a retirement line in a trigger run ("~" after the key sorts it
#: after the trigger whose key it extends: a tab sorts before "~").
RETIRED = b"retired "

#: Dead letters built before they are written out (they are rare: 0.2 % of a simulated log).
_LETTERS_AT_ONCE = 50_000


@dataclass
class TicketReport:
    """What a worker tells the parent: counts, time bounds, figures, trigger loads."""

    events: int = 0
    duplicates: int = 0
    invalid: int = 0
    first: datetime | None = None
    last: datetime | None = None
    kept: int = 0  # open tickets held at the end of the last bucket
    figures: dict[str, DepartmentFigures] = field(default_factory=dict)
    triggers: dict[str, int] = field(default_factory=dict)  # per department
    outputs: list[Path] = field(default_factory=list)  # sorted runs of outcomes
    trigger_runs: list[Path] = field(default_factory=list)
    calls: list[Path] = field(default_factory=list)  # calls lines, for the calls replay

    def add_bounds(self, times: Sequence[datetime]) -> None:
        if times:
            low, high = min(times), max(times)
            self.first = low if self.first is None else min(self.first, low)
            self.last = high if self.last is None else max(self.last, high)


class TicketWorker:
    """Replays the buckets given to one process, writing runs under ``directory``."""

    def __init__(self, config: SlaConfig, directory: Path, name: str, *,
                 until: datetime | None, cap: int) -> None:
        self.config, self.directory, self.name = config, directory, name
        self.until, self.cap = until, cap  # ``until``: the --until option, or None
        self.engine = SlaEngine(config)
        self.kept: dict[str, TicketState] = {}
        self.report = TicketReport()
        self.outputs = RunWriter(directory, f"{name}-out")
        self.triggers = RunWriter(directory, f"{name}-trig")
        self._rejected = directory / f"{name}-rejected.pickle"
        self._calls = directory / f"{name}-calls.jsonl"

    def run_buckets(self, buckets: Sequence[Path]) -> None:
        """Replay every bucket (split further while larger than the cap), deleting each."""
        with self._rejected.open("wb") as rejected, self._calls.open("wb") as calls:
            for bucket in buckets:
                for part in bounded_buckets(bucket, self.cap):
                    lines = part.read_bytes().splitlines()
                    part.unlink()
                    self._run_bucket(lines, rejected, calls)
                    del lines
        self.report.kept = len(self.kept)

    def _run_bucket(self, lines: list[bytes], rejected: Any, calls: Any) -> None:
        events, bad, calls_lines = _parse(lines)
        calls.writelines(line + b"\n" for line in calls_lines)
        pickle.dump(bad, rejected)
        report = self.report
        report.invalid += len(bad)
        report.events += len(events)
        report.add_bounds([e.time for e in events])
        tickets: dict[str, TicketState] = {}
        engine = self.engine
        for event in events:
            state = tickets.get(event.subject) or tickets.setdefault(
                event.subject, engine.new_ticket(event.subject))
            report.duplicates += not engine.receive(state, event)
        del events
        now = self.until or report.last  # this bucket's last event is <= report.last
        out: list[CloudEvent] = []
        retired: list[bytes] = []
        if now is not None:
            for subject, state in tickets.items():
                produced = engine.advance(state, now)
                out.extend(produced)
                if self.until is None and (state.pending or state.next_fire() is not None):
                    self.kept[subject] = state
                else:
                    retired.extend(_retirement(subject, produced))
        self._emit(out)
        self.triggers.add_lines(retired)

    def finish(self, until: datetime | None, first: datetime | None) -> TicketReport:
        """Advance the kept tickets to ``until``, dead-letter the invalid lines at
        ``first``, flush every run."""
        out: list[CloudEvent] = []
        if until is not None:
            for state in self.kept.values():
                out.extend(self.engine.advance(state, until))
        self.kept = {}
        self._emit(out)
        if first is not None:
            self._dead_letters(first)
        self._rejected.unlink()
        report = self.report
        report.outputs = self.outputs.close()
        report.trigger_runs = self.triggers.close()
        report.calls = [self._calls] if self._calls.stat().st_size else []
        return report

    def _emit(self, out: list[CloudEvent], extra: Sequence[CloudEvent] = ()) -> None:
        """Outcomes (and their notifications) to the output run, triggers to theirs."""
        texts = [e.to_json_bytes() for e in out]
        loads = self.report.triggers
        trigger_lines = []
        for event, text in zip(out, texts, strict=True):
            if PenaltyEngine.is_trigger(event):
                departments = PenaltyEngine.departments_for(event)
                for department in departments:
                    loads[department] = loads.get(department, 0) + 1
                trigger_lines.append(b"%s%s\t%s\t%s\n" % (
                    time_key(event.time).encode(), event.id.encode(),
                    ",".join(departments).encode(), text))
        self.triggers.add_lines(trigger_lines)
        notes = [n for e in out for n in notifications_for(e, self.config)]
        notes.extend(extra)
        self.outputs.add_lines([b"%s\t%s\n" % (order_key(e).encode(), text)
                                for e, text in zip(out, texts, strict=True)])
        self.outputs.add_lines([b"%s\t%s\n" % (order_key(e).encode(), e.to_json_bytes())
                                for e in notes])
        self.report.figures = merge_figures([self.report.figures, summarise(out + notes)])

    def _dead_letters(self, first: datetime) -> None:
        letters = []
        with self._rejected.open("rb") as rejected:
            while True:
                try:
                    bad = pickle.load(rejected)
                except EOFError:
                    break
                for raw, reason in bad:
                    topic, key = rejected_origin(raw)
                    letters.append(outcomes.dead_letter(raw, reason, topic=topic, at=first,
                                                        key=key))
                if len(letters) >= _LETTERS_AT_ONCE:
                    self._emit([], letters)
                    letters = []
        self._emit([], letters)


def _retirement(subject: str, produced: list[CloudEvent]) -> list[bytes]:
    """For a ticket that will produce nothing more: a trigger-run line sorted right after
    its last trigger, telling the penalty stage it may forget the ticket's records in the
    books its triggers reached (:data:`RETIRED` then the ticket id, instead of JSON)."""
    triggers = [e for e in produced if PenaltyEngine.is_trigger(e)]
    if not triggers:
        return []
    last = max(f"{time_key(e.time)}{e.id}" for e in triggers)
    books = sorted({d for e in triggers for d in PenaltyEngine.departments_for(e)})
    return [b"%s~\t%s\t%s%s\n" % (last.encode(), ",".join(books).encode(), RETIRED,
                                  subject.encode())]


def _parse(lines: Sequence[bytes]) -> tuple[list[CloudEvent], list[tuple[bytes, str]],
                                            list[bytes]]:
    """Valid ticket events; invalid lines with their reasons; the calls topic's lines.
    Other feeds' lines (no ticket worker reads them) are skipped, as in replay."""
    events, rejected, calls = [], [], []
    for line in lines:
        stripped = line.strip()
        if stripped:
            parsed = parse_event(stripped, accept="inbound")
            if isinstance(parsed, Rejection):
                if is_calls_line(stripped):
                    calls.append(stripped)
                elif not is_feed_line(stripped):
                    rejected.append((stripped, parsed.reason))
            else:
                events.append(share_zone(parsed))
    return events, rejected, calls
