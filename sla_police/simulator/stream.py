"""The simulation loop: day by day, tickets -> stories -> CloudEvents -> lines in arrival order.

Lines are released in the order they would reach Kafka. A day's tickets are generated in
one go; their events (and perturbations) wait in a heap keyed by arrival time, and every
line arriving before the next day's first possible complaint is released before that day
is generated. So memory holds one day of tickets plus the not-yet-due tail of earlier
stories, never the whole run. After the last day the remaining tail is drained: every
ticket that arrived in the window is told to its end.

Randomness: four independent ``random.Random`` streams derived from the seed (traffic,
stories, authority, wire) so that, e.g., changing the duplicate or the concession rate does
not reshuffle tickets.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.inbound import INBOUND_TYPES
from sla_police.simulator.clock import AlwaysClock, agent_clock, extended_clock, office_clock
from sla_police.simulator.concessions import Desk
from sla_police.simulator.handling import Clocks
from sla_police.simulator.lifecycle import Step, Storyteller
from sla_police.simulator.options import SimulationOptions
from sla_police.simulator.perturb import Perturber
from sla_police.simulator.traffic import Traffic

__all__ = ["Record", "simulate", "simulate_records"]

DayCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Record:
    """One output line and what it is.

    ``kind`` is ``event``, ``duplicate`` or ``invalid``; ``type`` is the event type ("" for
    invalid lines); ``delayed`` marks events deliberately written after their time.
    """

    kind: str
    type: str
    line: str
    delayed: bool = False


def _rng(seed: int, purpose: str) -> random.Random:
    """An independent, reproducible stream for one purpose (str seeds hash stably)."""
    return random.Random(f"sla-police-simulator:{seed}:{purpose}")




def simulate(options: SimulationOptions) -> Iterator[str]:
    """The simulated feed as JSON lines (without newlines), in arrival order."""
    for record in simulate_records(options):
        yield record.line


def simulate_records(options: SimulationOptions,
                     on_day: DayCallback | None = None) -> Iterator[Record]:
    """Like :func:`simulate` but says what each line is; ``on_day(index, tickets)`` is
    called after each simulated day has been generated (for progress bars)."""
    office = office_clock(options.tz, options.holidays)
    clocks = Clocks(AlwaysClock(), office, extended_clock(options.tz, options.holidays),
                    agent_clock(options.tz))
    traffic = Traffic(options, _rng(options.seed, "traffic"), office)
    desk = Desk(options, _rng(options.seed, "authority"), clocks)
    teller = Storyteller(options, _rng(options.seed, "stories"), clocks, desk)
    wire = Perturber(_rng(options.seed, "wire"), options.out_of_order_rate,
                     options.duplicate_rate, options.invalid_rate)
    writer = _EventWriter(options)
    pending: list[tuple[float, int, str, str, str, bool]] = []
    seq = 0
    for index in range(options.days):
        day = options.start + timedelta(days=index)
        tickets = traffic.tickets(day)
        for ticket in tickets:
            for step in teller.story(ticket):
                for arrival, *rest in wire.arrivals(
                        step.at, step.type, writer.line(ticket.id, step)):
                    heapq.heappush(pending, (arrival, seq, *rest))
                    seq += 1
        if on_day is not None:
            on_day(index, len(tickets))
        horizon = writer.midnight(day + timedelta(days=1))
        while pending and pending[0][0] < horizon:
            yield Record(*heapq.heappop(pending)[2:])
    while pending:
        yield Record(*heapq.heappop(pending)[2:])


class _EventWriter:
    """Turns steps into canonical CloudEvent JSON, validated by the contract's models."""

    def __init__(self, options: SimulationOptions) -> None:
        self._tz = options.tz

    def midnight(self, day: date) -> float:
        """Epoch seconds of local midnight starting ``day``."""
        return datetime(day.year, day.month, day.day, tzinfo=self._tz).timestamp()

    def line(self, ticket_id: str, step: Step) -> str:
        """One event as its canonical JSON line."""
        event = INBOUND_TYPES[step.type](
            id=step.id, source=step.source, time=datetime.fromtimestamp(step.at, self._tz),
            subject=ticket_id, data=step.data,
        )
        return event.to_json()
