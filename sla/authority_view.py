"""The policy's ``authority`` section as the ledger's authority report asks about it.

:mod:`ledger` imports nothing of :mod:`sla` (imports go one way), so the report
(:func:`ledger.authority.authority_report`) is handed a :class:`PolicyView`: the few
questions only the policy answers, with the domain's own functions behind them (the flags
are :func:`sla.authority.tally` and :func:`sla.authority.flag_over_generous`, exactly as
``sla-police authority flag`` raises them). Pure: ``at`` is always an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from models.authority import AuthorityFlagged
from sla.authority import Grant, agent_of, flag_over_generous, limit_for, tally
from sla.specs import AuthoritySpec

__all__ = ["PolicyView"]


class PolicyView:
    """What the authority report needs from ``spec``: flags, pilots, levels, limits."""

    def __init__(self, spec: AuthoritySpec) -> None:
        self.spec = spec
        self.currency = spec.currency
        self.timezone = spec.timezone
        self._no_pilots = replace(spec, pilots=())

    def flags(self, contacts: Iterable[tuple[str, str, datetime]], grants: Iterable[Any],
              at: datetime) -> list[AuthorityFlagged]:
        """Over-generous agents among ``contacts`` (``(agent, reason, at)``) and ``grants``
        (rows with grant_id, ticket, agent, amount, currency, kind, contact_reason,
        granted_at, approved_by), raised at ``at``."""
        as_grants = [Grant(g.grant_id, g.ticket, g.agent, g.amount, g.currency, g.kind,
                           g.contact_reason, g.granted_at, g.approved_by) for g in grants]
        return flag_over_generous(self.spec, tally(self.spec, contacts, as_grants), at)

    def pilots(self, first: date, end: date) -> list[tuple[str, date, date]]:
        """(name, first day, end day exclusive) of the pilots running on some day of
        [first, end), in the policy's order."""
        return [(p.name, p.start, p.end) for p in self.spec.pilots
                if p.start < end and first < p.end]

    def pilot_group(self, pilot: str, agent: str) -> str | None:
        """``pilot`` when ``agent`` is in the pilot (its team or list), ``rest`` when not but
        of a level the pilot's limits name (a peer to compare with), else ``None``."""
        spec = next(p for p in self.spec.pilots if p.name == pilot)
        who = agent_of(self.spec, agent)
        if not any(who.level in rule.limits for rule in spec.limits):
            return None
        return "pilot" if who.team == spec.team or agent in spec.agents else "rest"

    def normal_limit(self, agent: str, reason: str, at: datetime) -> Decimal:
        """``agent``'s limit for ``reason`` at ``at`` by the policy's own limits, pilots
        left out (what a pilot agent would have needed an approval above)."""
        return limit_for(self._no_pilots, agent_of(self.spec, agent), reason, at)
