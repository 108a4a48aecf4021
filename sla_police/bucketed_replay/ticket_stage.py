"""The ticket stage of the bucketed replay: one worker process replays its buckets.

A bucket holds every line of its tickets, so each ticket is replayed whole, as in
:func:`sla.parallel.replay_sharded`, but one bucket at a time: its tickets are advanced
to the bucket's last event (or to ``--until``), their outcomes written as a sorted run,
and a ticket that can produce nothing more (no event pending, no clock to fire) is
dropped. The others (open tickets) are kept until every bucket is done and the replay's
``until`` (the last event of the whole log) is known; they are then advanced to it.
``engine.advance`` to one instant and then to a later one gives the same outcomes as
to the later one at once, so the bytes equal the sharded replay's. Each bucket is
replayed in a forked child that ends without freeing its objects (:mod:`.child`).
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from models import CloudEvent, Rejection, parse_event
from models._json import event_json_once
from sla import outcomes
from sla.calls_replay import is_calls_line
from sla.engine import SlaEngine
from sla.notifications import NOTIFYING, notifications_for
from sla.parallel import merge_figures
from sla.penalties import TRIGGERS, PenaltyEngine
from sla.replay import is_feed_line, order_line, rejected_origin, share_zone, time_key
from sla.specs import SlaConfig
from sla.summary import DepartmentFigures, summarise
from sla.ticket import TicketState
from sla_police.bucketed_replay.child import run_in_child
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
    """Replays the buckets given to one process, writing runs under ``directory``.

    Each bucket (or part of one, see :func:`bounded_buckets`) is replayed in a forked
    child (:func:`run_in_child`) that writes its own runs and ends without freeing the
    bucket's objects; it sends back its counts, its figures, its run files and the
    tickets still open, which this process keeps until :meth:`finish`."""

    def __init__(self, config: SlaConfig, directory: Path, name: str, *,
                 until: datetime | None, cap: int) -> None:
        self.config, self.directory, self.name = config, directory, name
        self.until, self.cap = until, cap  # ``until``: the --until option, or None
        self.engine = SlaEngine(config)
        self.kept: dict[str, TicketState] = {}
        self.report = TicketReport()
        self.outputs = RunWriter(directory, f"{name}-out")
        self.triggers = RunWriter(directory, f"{name}-trig")
        self._rejected: list[Path] = []  # pickled invalid lines, one file per part
        self._calls: list[Path] = []  # calls lines, one file per part that has some
        self._parts = 0
        #: In a part's child: what it built, kept alive until it ends (never freed).
        self._held: list[Any] | None = None

    def run_buckets(self, buckets: Sequence[Path]) -> None:
        """Replay every bucket (split further while larger than the cap), deleting each."""
        for bucket in buckets:
            for part in bounded_buckets(bucket, self.cap):
                self._parts += 1
                self._absorb(run_in_child(self._run_part, part,
                                          f"{self.name}-{self._parts}"))
        self.report.kept = len(self.kept)

    def _absorb(self, done: _PartDone) -> None:
        """What a part's child sends back, added to this worker's state."""
        report, part = self.report, done.report
        report.events += part.events
        report.duplicates += part.duplicates
        report.invalid += part.invalid
        report.add_bounds([t for t in (part.first, part.last) if t is not None])
        report.figures = merge_figures([report.figures, part.figures])
        for department, count in part.triggers.items():
            report.triggers[department] = report.triggers.get(department, 0) + count
        report.outputs.extend(part.outputs)
        report.trigger_runs.extend(part.trigger_runs)
        self._rejected.append(done.rejected)
        self._calls.extend(part.calls)
        self.kept.update(done.kept)

    def _run_part(self, path: Path, prefix: str) -> _PartDone:
        """In the child: replay one part into runs named ``prefix``; the open tickets."""
        lines = path.read_bytes().splitlines()
        path.unlink()
        last = self.report.last  # the latest event of the parts done before this one
        self.report, self.kept, held = TicketReport(), {}, [lines]
        self._held = held
        self.outputs = RunWriter(self.directory, f"{prefix}-out")
        self.triggers = RunWriter(self.directory, f"{prefix}-trig")
        events, bad, calls_lines = _parse(lines)
        held.append(events)
        rejected = self.directory / f"{prefix}-rejected.pickle"
        rejected.write_bytes(pickle.dumps(bad, protocol=pickle.HIGHEST_PROTOCOL))
        if calls_lines:
            calls = self.directory / f"{prefix}-calls.jsonl"
            calls.write_bytes(b"".join(line + b"\n" for line in calls_lines))
            self.report.calls = [calls]
        self._run_bucket(events, len(bad), last)
        self.report.outputs = self.outputs.close()
        self.report.trigger_runs = self.triggers.close()
        return _PartDone(self.report, self.kept, rejected)

    def _run_bucket(self, events: list[CloudEvent], invalid: int,
                    last: datetime | None) -> None:
        report = self.report
        report.invalid += invalid
        report.events += len(events)
        report.add_bounds([e.time for e in events])
        tickets: dict[str, TicketState] = {}
        engine = self.engine
        for event in events:
            state = tickets.get(event.subject) or tickets.setdefault(
                event.subject, engine.new_ticket(event.subject))
            report.duplicates += not engine.receive(state, event)
        # As far as the parts done so far reach (later ones may reach further: advancing
        # to one instant then to a later one gives the outcomes of the later one at once).
        now = self.until or _latest(last, report.last)
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
        if self._held is not None:
            self._held.append((tickets, out))

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
        for path in self._rejected:
            path.unlink()
        report = self.report
        report.outputs.extend(self.outputs.close())
        report.trigger_runs.extend(self.triggers.close())
        report.calls = self._calls
        return report

    def _emit(self, out: list[CloudEvent], extra: Sequence[CloudEvent] = ()) -> None:
        """Outcomes (and their notifications) to the output run, triggers to theirs.
        Each JSON text is copied into its lines at once (orjson's buffers are not held:
        :func:`models._json.event_json_once`)."""
        loads = self.report.triggers
        lines, trigger_lines = [], []
        for event in out:
            text = event_json_once(event)
            lines.append(order_line(event, text))
            if event.type in TRIGGERS and PenaltyEngine.is_trigger(event):
                departments = PenaltyEngine.departments_for(event)
                for department in departments:
                    loads[department] = loads.get(department, 0) + 1
                trigger_lines.append(b"%s%s\t%s\t%s\n" % (
                    time_key(event.time).encode(), event.id.encode(),
                    ",".join(departments).encode(), text))
        self.triggers.add_lines(trigger_lines)
        config = self.config
        notes = [n for e in out if e.type in NOTIFYING for n in notifications_for(e, config)]
        notes.extend(extra)
        lines.extend([order_line(e, event_json_once(e)) for e in notes])
        self.outputs.add_lines(lines)
        self.report.figures = merge_figures([self.report.figures, summarise(out + notes)])
        if self._held is not None:
            self._held.append(notes)

    def _dead_letters(self, first: datetime) -> None:
        letters = []
        for path in self._rejected:
            for raw, reason in pickle.loads(path.read_bytes()):
                topic, key = rejected_origin(raw)
                letters.append(outcomes.dead_letter(raw, reason, topic=topic, at=first,
                                                    key=key))
            if len(letters) >= _LETTERS_AT_ONCE:
                self._emit([], letters)
                letters = []
        self._emit([], letters)


@dataclass
class _PartDone:
    """What the child that replayed one part sends back."""

    report: TicketReport  # the part's own counts, figures and run files
    kept: dict[str, TicketState]  # its tickets still open
    rejected: Path  # its invalid lines with their reasons, pickled


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _retirement(subject: str, produced: list[CloudEvent]) -> list[bytes]:
    """For a ticket that will produce nothing more: a trigger-run line sorted right after
    its last trigger, telling the penalty stage it may forget the ticket's records in the
    books its triggers reached (:data:`RETIRED` then the ticket id, instead of JSON)."""
    triggers = [e for e in produced if e.type in TRIGGERS and PenaltyEngine.is_trigger(e)]
    if not triggers:
        return []
    # (time key, id) pairs order as their concatenations do: time keys have one length.
    time, last = max([(time_key(e.time), e.id) for e in triggers])
    books = sorted({d for e in triggers for d in PenaltyEngine.departments_for(e)})
    return [b"%s%s~\t%s\t%s%s\n" % (time.encode(), last.encode(), ",".join(books).encode(),
                                    RETIRED, subject.encode())]


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
