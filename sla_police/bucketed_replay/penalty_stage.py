"""The penalty stage of the bucketed replay: departments split over worker processes.

Each worker merges every trigger run (sorted by time, then id: the order the stream's
department stage and :func:`sla.replay.run_penalties` apply them in), keeps the triggers
of its own departments, applies them to one book per department and writes the penalties
(and their notifications) as sorted runs, as :mod:`sla.parallel`'s department shards do.
Only the books are held, and a ticket's records only until the ticket stage says, in the
trigger runs, that it will produce nothing more: memory grows with the open tickets.
"""

from __future__ import annotations

from pathlib import Path

from models import ALL_TYPES, CloudEvent
from models._json import event_json_once
from sla.notifications import NOTIFYING, notifications_for
from sla.parallel import merge_figures
from sla.penalties import PenaltyBook, PenaltyEngine
from sla.replay import order_line
from sla.specs import SlaConfig
from sla.summary import DepartmentFigures, summarise
from sla_police.bucketed_replay.runs import RunWriter, merged_lines
from sla_police.bucketed_replay.ticket_stage import RETIRED

__all__ = ["run_penalties"]

#: Outcomes summarised at once (figures are sums, so batches add up).
_BATCH = 50_000


def run_penalties(trigger_runs: list[Path], departments: list[str], config: SlaConfig,
                  directory: Path, name: str) -> tuple[list[Path], dict[str, DepartmentFigures]]:
    """Penalties of ``departments`` from the triggers in ``trigger_runs``: the sorted runs
    written, and the figures."""
    mine = set(departments)
    penalties = PenaltyEngine(config)
    books: dict[str, PenaltyBook] = {}
    writer = RunWriter(directory, name)
    figures: dict[str, DepartmentFigures] = {}
    out: list[CloudEvent] = []
    for line in merged_lines(trigger_runs):
        _, targets, raw = line.split(b"\t", 2)
        wanted = [d for d in targets.decode().split(",") if d in mine]
        if not wanted:
            continue
        if raw.startswith(RETIRED):  # no trigger of this ticket comes later
            _forget(books, wanted, raw[len(RETIRED):].rstrip(b"\n").decode())
            continue
        event = _parse_output(raw)
        for department in penalties.departments_for(event):
            if department in mine:
                book = books.get(department) or books.setdefault(department,
                                                                 PenaltyBook(department))
                out.extend(penalties.apply(book, event))
        if len(out) >= _BATCH:
            figures = _write(out, config, writer, figures)
            out = []
    figures = _write(out, config, writer, figures)
    return writer.close(), figures


def _forget(books: dict[str, PenaltyBook], departments: list[str], ticket: str) -> None:
    """Drop a retired ticket's penalty records: they only serve its own later triggers
    (a redelivery, a reversal), and it has none, so the books stop growing with history."""
    for department in departments:
        book = books.get(department)
        if book is not None:
            book.by_ticket.pop(ticket, None)


def _write(out: list[CloudEvent], config: SlaConfig, writer: RunWriter,
           figures: dict[str, DepartmentFigures]) -> dict[str, DepartmentFigures]:
    out = out + [n for e in out if e.type in NOTIFYING for n in notifications_for(e, config)]
    writer.add_lines([order_line(e, event_json_once(e)) for e in out])
    return merge_figures([figures, summarise(out)])


def _parse_output(raw: bytes) -> CloudEvent:
    """An outcome the ticket stage wrote (trusted JSON: validated against its type only)."""
    kind = raw.split(b'"type":"', 1)[1].split(b'"', 1)[0].decode()
    return ALL_TYPES[kind].__pydantic_validator__.validate_json(raw)  # no Python wrapper
