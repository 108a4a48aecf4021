"""Per-department figures from a set of outcomes: what executives and HR read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from models import CloudEvent

__all__ = ["DepartmentFigures", "summarise"]


@dataclass
class DepartmentFigures:
    department: str
    attributed: int = 0
    warnings: int = 0
    met: int = 0
    breached: int = 0
    cancelled: int = 0
    penalties: int = 0
    reversed: int = 0
    fines: Decimal = field(default_factory=Decimal)
    points: int = 0

    @property
    def compliance(self) -> float | None:
        """Share of decided clocks that were met (None when nothing was decided)."""
        decided = self.met + self.breached
        return self.met / decided if decided else None

    def add(self, event: CloudEvent) -> None:
        kind = event.type
        if kind == "sla.attributed":
            self.attributed += 1
        elif kind == "sla.warning":
            self.warnings += 1
        elif kind == "sla.met":
            self.met += 1
        elif kind == "sla.breached":
            self.breached += 1
        elif kind == "sla.cancelled":
            self.cancelled += 1
        elif kind == "penalty.assessed":
            self.penalties += 1
            self.fines += event.data.fine
            self.points += event.data.points
        elif kind == "penalty.reversed":
            self.reversed += 1
            self.fines -= event.data.fine
            self.points -= event.data.points


def summarise(outputs: Iterable[CloudEvent]) -> dict[str, DepartmentFigures]:
    """Figures per department, sorted by department id. Net of reversals.

    Every department an outcome names has a row, even when nothing it got counts (a
    snapshot, a charge settled): those outcomes only add the department, without a call
    to :meth:`DepartmentFigures.add` (most outcomes of a replay are snapshots)."""
    rows: dict[str, DepartmentFigures] = {}
    named: set[str] = set()  # departments of outcomes that count nothing
    for event in outputs:
        kind = event.type
        if kind == "notification.requested":
            continue
        department = event.data.__dict__.get("department")
        if department is None:
            continue
        if kind not in _COUNTED:
            named.add(department)
            continue
        row = rows.get(department)  # not setdefault: no throwaway row per event
        if row is None:
            row = rows[department] = DepartmentFigures(department)
        row.add(event)
    for department in named.difference(rows):
        rows[department] = DepartmentFigures(department)
    return dict(sorted(rows.items()))


#: The outcome types :meth:`DepartmentFigures.add` counts.
_COUNTED = frozenset({"sla.attributed", "sla.warning", "sla.met", "sla.breached",
                      "sla.cancelled", "penalty.assessed", "penalty.reversed"})
