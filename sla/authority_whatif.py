"""What-if for agent authority: proposed limits judged on history (issue 14).

History is replayed with the current policy; its ``approval.recorded`` and
``concession.recorded`` outputs say who asked leave for what, and what was decided. Against
proposed limits (``limits:`` and optionally ``pilots:`` in the policy's ``authority``
syntax), per contact reason:

- **approvals no longer needed**: approved requests, and grants approved without a recorded
  request, whose amount is within the requester's proposed limit (at the time of the
  request, or of the grant);
- **supervisor hours saved**: that count times the handling time of one approval;
- **extra exposure**: requests declined today that the proposed limits would allow the
  agent alone: their count and the amounts asked for (what declining saved, at most).

Pure: the outputs and the proposal are arguments; ``sla-police whatif-authority`` reads the
files and replays. ``docs/semantics.md``, "What-if for authority".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from models import CloudEvent
from sla._config_authority import read_limits, read_pilots
from sla._config_yaml import Reader
from sla.authority import agent_of, limit_for
from sla.config import ConfigError
from sla.specs import AuthoritySpec

__all__ = ["ReasonWhatIf", "parse_proposed", "whatif_authority"]

PROPOSED_KEYS = ("limits", "pilots")


@dataclass(slots=True)
class ReasonWhatIf:
    """One contact reason's approvals today and under the proposal."""

    contact_reason: str
    approvals: int = 0
    approvals_avoided: int = 0
    hours_saved: float = 0.0
    declined: int = 0
    exposure_count: int = 0
    exposure_amount: Decimal = field(default_factory=Decimal)


def parse_proposed(text: str, current: AuthoritySpec, source: str = "<string>") -> AuthoritySpec:
    """The current authority section with the proposal's limits and pilots (no ``pilots:``:
    none). Raises :class:`~sla.config.ConfigError` naming the line of every problem; levels
    are the current policy's."""
    reader = Reader(source)
    root = reader.compose(text)
    spec = None
    fields = reader.fields(root, "", PROPOSED_KEYS, required=("limits",)) if root else None
    if fields is not None and "limits" in fields:
        limits = read_limits(reader, fields["limits"], "limits", current.levels,
                             default=current.levels)
        pilots = read_pilots(reader, fields.get("pilots"), current.levels, "pilots")
        if limits is not None and pilots is not None:
            spec = replace(current, limits=limits, pilots=pilots)
    if reader.issues or spec is None:
        raise ConfigError(source, reader.issues)
    return spec


def whatif_authority(current: AuthoritySpec, proposed: AuthoritySpec,
                     outputs: Iterable[CloudEvent],
                     minutes_per_approval: float) -> list[ReasonWhatIf]:
    """Per contact reason (sorted), from the current policy's replay ``outputs``."""
    rows: dict[str, ReasonWhatIf] = {}

    def allowed(agent: str, reason: str, amount: Decimal, at: datetime) -> bool:
        return amount <= limit_for(proposed, agent_of(proposed, agent), reason, at)

    for event in outputs:
        data = event.data
        if event.type == "approval.recorded":
            row = rows.setdefault(data.contact_reason, ReasonWhatIf(data.contact_reason))
            within = allowed(data.agent, data.contact_reason, Decimal(data.amount),
                             data.requested_at)
            if data.decision == "approved":
                row.approvals += 1
                row.approvals_avoided += within
            else:
                row.declined += 1
                row.exposure_count += within
                row.exposure_amount += Decimal(data.amount) if within else 0
        elif (event.type == "concession.recorded" and data.approved_by is not None
              and data.request_id is None and data.needed_approval):
            row = rows.setdefault(data.contact_reason, ReasonWhatIf(data.contact_reason))
            row.approvals += 1
            row.approvals_avoided += allowed(data.agent, data.contact_reason, data.amount,
                                             data.granted_at)
    for row in rows.values():
        row.hours_saved = row.approvals_avoided * minutes_per_approval / 60
    return [rows[reason] for reason in sorted(rows)]
