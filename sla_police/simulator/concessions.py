"""The seat agent of each complaint and what they give the customer: concessions, requests
for approval, decisions, audit verdicts.

Every complaint is taken by a seat agent (``complaint.received``'s ``agent``). On a share of
the tickets handled (``concession_rate``, weighted by contact reason: delivery and billing
problems more, logins hardly ever) the agent settles with a concession a few minutes into
the contact (:mod:`~sla_police.simulator.authority_catalog` has the habits and limits):

* within the agent's own limit: ``concession.granted``;
* above it: ``concession.requested``, decided by the lowest level whose limit covers the
  amount (the seat's team lead, a supervisor, the manager) after minutes to hours of office
  time; approved (about 80 %): granted with ``approved_by``; declined: a smaller grant
  within the limit (60 %) or none. A few approvals come from a lead whose limit is too low;
* a few grants above the limit without asking (beyond authority);
* the pilot seats (61-80) in the pilot week grant up to 300 alone;
* planted over-generous agents (:func:`planted_generous`, fixed by the seed) settle three
  times as often or give two and a half times as much;
* audited grants (400 or more, and the 5 % the policy's sample draws) get an auditor's
  verdict one to five working days later, mostly compliant.

All randomness comes from the seed's own "authority" stream, so switching concessions on or
off never reshuffles the tickets themselves.
"""

from __future__ import annotations

import math
import random
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from models import derived_id
from sla.authority import audit_draw
from sla_police.simulator.authority_catalog import (
    AUDIT_SAMPLE_RATE,
    AUDIT_THRESHOLD,
    AUDITORS,
    MANAGER,
    REASONS,
    SUPERVISORS,
    lead_of,
    level_limit,
    seat_agent,
)
from sla_police.simulator.catalog import CATEGORY_WEIGHTS, WORKING_DAY_SECONDS
from sla_police.simulator.handling import Clocks
from sla_police.simulator.options import SimulationOptions

__all__ = ["GENEROUS_STYLES", "Desk", "planted_generous"]

#: How the planted agents overdo it, in turn: more often, more each time, or both.
GENEROUS_STYLES = ("rate", "amount", "both")
_RATE_BOOST, _AMOUNT_BOOST = 3.0, 2.5
_BEYOND_AUTHORITY = 0.06  # share of above-limit cases granted without asking
_LEAD_TOO_LOW = 0.05      # share of approvals by a lead whose limit does not cover it
_DECLINED = 0.2
_CENT = Decimal("0.01")
APPROVALS, AUDITS = "crm/approvals", "qa/audits"


def _mean_propensity() -> float:
    names, cumulative = CATEGORY_WEIGHTS
    weights = [b - a for a, b in zip((0.0, *cumulative), cumulative, strict=False)]
    return sum(REASONS[n].propensity * w for n, w in zip(names, weights, strict=True)) \
        / cumulative[-1]


_MEAN = _mean_propensity()


def planted_generous(options: SimulationOptions) -> dict[str, str]:
    """The planted over-generous agents of a run and their style (``rate``, ``amount``,
    ``both``): ``options.generous_agents`` seats drawn by the seed alone."""
    count = min(options.generous_agents, options.seats)
    seats = random.Random(f"sla-police-simulator:{options.seed}:generous").sample(
        range(1, options.seats + 1), count)
    return {seat_agent(s): GENEROUS_STYLES[i % len(GENEROUS_STYLES)]
            for i, s in enumerate(sorted(seats))}


class Desk:
    """The contact center's side of each story: who took it, and what they gave."""

    def __init__(self, options: SimulationOptions, rng: random.Random, clocks: Clocks):
        self._o, self._rng, self._clocks = options, rng, clocks
        self._generous = planted_generous(options)

    def seat(self) -> int:
        """The seat that takes the next complaint."""
        return self._rng.randint(1, self._o.seats)

    def settle(self, story, seat: int) -> None:
        """Maybe add a concession (and its approval and audit) to a handled ticket's story."""
        rng, category = self._rng, story.ticket.category
        habit, style = REASONS[category], self._generous.get(seat_agent(seat), "")
        rate = self._o.concession_rate * habit.propensity / _MEAN
        if style in ("rate", "both"):
            rate *= _RATE_BOOST
        if rng.random() >= min(0.95, rate):
            return
        kind = rng.choices([k for k, _ in habit.kinds], [w for _, w in habit.kinds])[0]
        amount = self._amount(habit, kind, category, style)
        at = self._clocks.agent.add(story.ticket.received, rng.randint(180, 1800))
        limit = level_limit("agent", category, seat, self._day(at))
        offer = {"agent": seat_agent(seat), "currency": "CNY", "kind": kind}
        if amount <= limit:
            self._grant(story, at, amount, offer)
        elif rng.random() < _BEYOND_AUTHORITY:
            self._grant(story, at, amount, offer, beyond=True)
        else:
            self._ask(story, at, amount, limit, offer, seat)

    def _day(self, at: int):
        return datetime.fromtimestamp(at, self._o.tz).date()

    def _amount(self, habit, kind: str, category: str, style: str) -> Decimal:
        """Usually within the habit's range (mode at a third); the habit's share of cases
        is worth more than the agent's own limit."""
        rng = self._rng
        value = rng.triangular(habit.low, habit.high, habit.low + (habit.high - habit.low) / 3)
        if rng.random() < habit.above:
            value = float(level_limit("agent", category)) * rng.triangular(1.05, 2.5, 1.2)
        if style in ("amount", "both"):
            value *= _AMOUNT_BOOST
        if kind in ("refund", "waiver"):  # the customer's bill: to the cent
            return Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP).quantize(_CENT)
        return Decimal(max(5, 5 * round(value / 5)))

    def _grant(self, story, at: int, amount: Decimal, offer: dict, *, beyond: bool = False,
               **approval: str | None) -> None:
        grant_id = story.next_id("concession.granted")
        story.add(at, "concession.granted", "crm/contact-center", amount=amount,
                  **offer, **approval)
        self._audit(story, grant_id, at, amount, offer["agent"], beyond)

    def _ask(self, story, at: int, amount: Decimal, limit: Decimal, offer: dict,
             seat: int) -> None:
        """Request, decision after a wait in office time, then the grant (or a smaller one)."""
        rng, category = self._rng, story.ticket.category
        request_id = story.next_id("concession.requested")
        story.add(at, "concession.requested", "crm/contact-center", amount=amount, **offer)
        level, decider = self._decider(amount, category, seat)
        decided = self._clocks.office.add(at, self._wait())
        approved = rng.random() >= _DECLINED
        story.add(decided, "concession.decided", APPROVALS, request_id=request_id,
                  decision="approved" if approved else "declined", decided_by=decider,
                  level=level)
        after = self._clocks.agent.add(decided, rng.randint(60, 900))
        if approved:
            self._grant(story, after, amount, offer, approved_by=decider, request_id=request_id)
        elif rng.random() < 0.6:
            smaller = (limit * Decimal(str(rng.uniform(0.4, 1.0)))).quantize(Decimal(1))
            self._grant(story, after, max(Decimal(5), smaller), offer)

    def _decider(self, amount: Decimal, category: str, seat: int) -> tuple[str, str]:
        """(level, who): the lowest level covering ``amount``; now and then the seat's lead
        approves what only a supervisor may."""
        if amount <= level_limit("team_lead", category) or self._rng.random() < _LEAD_TOO_LOW:
            return "team_lead", lead_of(seat)
        if amount <= level_limit("supervisor", category):
            return "supervisor", self._rng.choice(SUPERVISORS)
        return "manager", MANAGER

    def _wait(self) -> int:
        """Working seconds to a decision: a median of 25 minutes, from 2 minutes to 6 hours."""
        seconds = 1500 * math.exp(self._rng.gauss(0.0, 1.0))
        return int(min(6 * 3600, max(120, seconds)))

    def _audit(self, story, grant_id: str, at: int, amount: Decimal, agent: str,
               beyond: bool) -> None:
        """The auditor's verdict on a grant the policy audits, 0.5-5 working days later."""
        if amount < AUDIT_THRESHOLD and audit_draw(grant_id) >= AUDIT_SAMPLE_RATE:
            return
        rng = self._rng
        odd = 0.5 if beyond else 0.25 if agent in self._generous else 0.03
        when = self._clocks.office.add(at, rng.randint(WORKING_DAY_SECONDS // 2,
                                                       5 * WORKING_DAY_SECONDS))
        story.add(when, "audit.completed", AUDITS,
                  audit_id=derived_id(grant_id, "audit.item_opened"),
                  verdict="non_compliant" if rng.random() < odd else "compliant",
                  auditor=rng.choice(AUDITORS))

