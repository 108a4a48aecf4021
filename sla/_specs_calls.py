"""Typed form of the ``calls`` section of the policy file (:mod:`sla._config_calls` reads
it, :mod:`sla.calls` applies it). Frozen, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["PERIOD_LENGTHS", "AutoBlockRule", "BlocksSpec", "CallsSpec", "QaSpec"]

#: How long a block of each period lasts (``permanent``: until lifted, reviewed regularly).
PERIOD_LENGTHS: dict[str, timedelta] = {
    "day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


@dataclass(frozen=True, slots=True)
class QaSpec:
    """``sample_per_agent_week`` agent-ended calls per agent and ISO week (Monday to Sunday
    in ``timezone``) go to the QA queue, on top of every norm breach."""

    sample_per_agent_week: int
    timezone: str


@dataclass(frozen=True, slots=True)
class BlocksSpec:
    """Which periods a request may ask for, how often a permanent block is reviewed, how
    old a worthless call may be to serve as a request's evidence."""

    periods: tuple[str, ...]
    review_every: timedelta
    evidence_within: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class AutoBlockRule:
    """``count`` calls with one of ``dispositions`` within ``within`` block the caller for
    ``period`` (never permanent), without people."""

    name: str
    dispositions: frozenset[str]
    count: int
    within: timedelta
    period: str


@dataclass(frozen=True, slots=True)
class CallsSpec:
    """The ``calls`` section: hang-up norms, the target band of the agent share of
    hang-ups, QA sampling, blocks and automatic block rules."""

    agent_may_end: frozenset[str]
    warning_first: frozenset[str]
    agent_share: tuple[float, float]
    worthless: frozenset[str]
    qa: QaSpec
    blocks: BlocksSpec
    auto_block: tuple[AutoBlockRule, ...] = ()
