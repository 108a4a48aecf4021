"""Write a simulated feed to a JSONL file and tally what went into it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sla_police.simulator.options import SimulationOptions
from sla_police.simulator.stream import DayCallback, Record, simulate_records

__all__ = ["SimulationSummary", "summarize", "write_simulation"]

_FLUSH_EVERY = 2000  # lines per write() call


@dataclass(slots=True)
class SimulationSummary:
    """What a simulation produced. ``events`` counts distinct valid events; ``lines``
    everything written (events + duplicates + invalid lines)."""

    lines: int = 0
    events: int = 0
    tickets: int = 0
    duplicates: int = 0
    invalid: int = 0
    delayed: int = 0
    bytes: int = 0
    per_type: Counter[str] = field(default_factory=Counter)

    def add(self, record: Record) -> None:
        """Count one record (its line plus the newline)."""
        self.lines += 1
        self.bytes += len(record.line.encode("utf-8")) + 1
        if record.kind == "invalid":
            self.invalid += 1
        elif record.kind == "duplicate":
            self.duplicates += 1
        else:
            self.events += 1
            self.delayed += record.delayed
            self.per_type[record.type] += 1
            self.tickets += record.type == "complaint.received"


def summarize(records: Iterable[Record]) -> SimulationSummary:
    """Tally records without writing them."""
    summary = SimulationSummary()
    for record in records:
        summary.add(record)
    return summary


def write_simulation(
    options: SimulationOptions,
    path: str | Path | TextIO,
    *,
    on_day: DayCallback | None = None,
) -> SimulationSummary:
    """Write the feed to ``path`` (a file path, ``"-"`` for stdout, or an open text
    stream), one JSON object per line, and return the tally."""
    if isinstance(path, str | Path) and str(path) != "-":
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            return _write(options, out, on_day)
    return _write(options, sys.stdout if isinstance(path, str | Path) else path, on_day)


def _write(options: SimulationOptions, out: TextIO,
           on_day: DayCallback | None) -> SimulationSummary:
    summary, chunk = SimulationSummary(), []
    for record in simulate_records(options, on_day):
        summary.add(record)
        chunk.append(record.line)
        if len(chunk) >= _FLUSH_EVERY:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
    out.flush()
    return summary
