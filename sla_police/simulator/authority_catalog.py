"""What the simulated contact center's agents may give and usually give, per contact reason.

The limits mirror the shipped policy's ``authority`` section (``deploy/config/
sla-police.yaml``), as :data:`~sla_police.simulator.catalog.CATEGORY_DEPARTMENT` mirrors its
departments, so a simulated feed replayed with that policy is judged as the simulated agents
meant it: requests above the limit, approvals by a level whose limit covers the amount, a few
grants beyond authority, the pilot team granting up to 300 alone in its week. The simulator
stays independent of the engine: a different policy judges the same feed differently, which
is what ``sla-police whatif-authority`` is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "AUDITORS",
    "AUDIT_SAMPLE_RATE",
    "AUDIT_THRESHOLD",
    "LEVEL_LIMITS",
    "MANAGER",
    "PILOT_END",
    "PILOT_LIMIT",
    "PILOT_SEATS",
    "PILOT_START",
    "REASONS",
    "SUPERVISORS",
    "ReasonHabit",
    "lead_of",
    "level_limit",
    "seat_agent",
]


@dataclass(frozen=True, slots=True)
class ReasonHabit:
    """How agents settle one contact reason: how often (relative to the average reason),
    with what (kinds and weights), how much (a typical range within the agent's limit) and
    which share of the cases is worth more than the agent may give alone (a lost parcel, a
    defective device: 1.05 to 2.5 times the agent's limit)."""

    propensity: float
    kinds: tuple[tuple[str, float], ...]
    low: int
    high: int
    above: float = 0.0


#: contact reason (the complaint's category) -> habit. Delivery problems are mostly settled
#: with small credits, billing problems with refunds, logins hardly ever.
REASONS: dict[str, ReasonHabit] = {
    "delivery.late": ReasonHabit(1.3, (("credit", 7), ("voucher", 3)), 10, 60),
    "delivery.damaged": ReasonHabit(2.0, (("refund", 5), ("credit", 3), ("voucher", 2)),
                                    20, 90, 0.12),
    "delivery.lost": ReasonHabit(2.4, (("refund", 8), ("credit", 2)), 40, 95, 0.35),
    "billing.overcharge": ReasonHabit(2.0, (("refund", 85), ("credit", 15)), 10, 75, 0.03),
    "billing.invoice": ReasonHabit(0.5, (("waiver", 6), ("goodwill", 4)), 5, 40),
    "refund.delayed": ReasonHabit(1.4, (("goodwill", 6), ("credit", 4)), 10, 50),
    "network.outage": ReasonHabit(2.0, (("credit", 8), ("waiver", 2)), 15, 45, 0.08),
    "network.slow": ReasonHabit(0.8, (("credit", 1),), 10, 40),
    "store.service": ReasonHabit(0.8, (("voucher", 5), ("goodwill", 5)), 10, 45),
    "store.stock": ReasonHabit(0.5, (("voucher", 1),), 10, 40),
    "product.defect": ReasonHabit(1.4, (("refund", 6), ("voucher", 4)), 15, 48, 0.08),
    "product.return": ReasonHabit(1.2, (("refund", 1),), 15, 48, 0.25),
    "app.login": ReasonHabit(0.25, (("goodwill", 1),), 5, 20),
    "account.locked": ReasonHabit(0.4, (("goodwill", 6), ("waiver", 4)), 5, 30),
    "other.general": ReasonHabit(0.25, (("goodwill", 1),), 5, 30),
}

#: (reason prefixes, {level: limit}); the first naming the level wins, the last is the default.
LEVEL_LIMITS: tuple[tuple[tuple[str, ...], dict[str, int]], ...] = (
    (("delivery.",), {"agent": 100, "team_lead": 300}),
    (("billing.", "refund."), {"agent": 80, "team_lead": 250}),
    ((), {"agent": 50, "team_lead": 200, "supervisor": 1000, "manager": 5000}),
)
PILOT_SEATS = range(61, 81)
PILOT_START, PILOT_END = date(2026, 11, 2), date(2026, 11, 9)  # END: the first day after
PILOT_LIMIT = 300
AUDIT_THRESHOLD = 400
AUDIT_SAMPLE_RATE = 0.05
SUPERVISORS = ("sup-01", "sup-02")
MANAGER = "mgr-01"
AUDITORS = ("audit-01", "audit-02")


def seat_agent(seat: int) -> str:
    """The agent id of a seat, e.g. ``agent-007``."""
    return f"agent-{seat:03d}"


def lead_of(seat: int) -> str:
    """The seat's team lead: seats 1-30 east (lead-01), 61-80 the pilot team (lead-03),
    the others west (lead-02)."""
    if seat in PILOT_SEATS:
        return "lead-03"
    return "lead-01" if seat <= 30 else "lead-02"


def level_limit(level: str, reason: str, seat: int | None = None,
                day: date | None = None) -> Decimal:
    """What ``level`` may grant alone for ``reason``; a pilot seat in the pilot week: 300."""
    if seat in PILOT_SEATS and day is not None and PILOT_START <= day < PILOT_END \
            and level == "agent":
        return Decimal(PILOT_LIMIT)
    for prefixes, limits in LEVEL_LIMITS:
        if level in limits and (not prefixes or reason.startswith(prefixes)):
            return Decimal(limits[level])
    return Decimal(0)
