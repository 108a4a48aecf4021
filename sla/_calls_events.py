"""The outbound events of the calls domain, built from validated state (:mod:`sla.calls`).

Every id is :func:`models.derived_id` of what the event is about, so the stream and
replay mint the same ids for the same log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models import CloudEvent, derived_id
from models.calls import (
    BlockRefused,
    BlockReviewDue,
    CallerBlocked,
    CallerUnblocked,
    CallNormBreached,
)
from sla._specs_calls import PERIOD_LENGTHS

__all__ = ["SOURCE", "Block", "blocked", "norm_breached", "refused", "review_due", "unblocked"]

SOURCE = "sla-police"


@dataclass(slots=True)
class Block:
    """A caller's active block: ``until`` None is permanent, reviewed at ``next_review``."""

    block_id: str
    period: str
    blocked_at: datetime
    until: datetime | None
    next_review: datetime | None
    reviews: int = 0


def blocked(caller: str, block_id: str, period: str, at: datetime, review_every: timedelta,
            reason: str, evidence: Sequence[str], *, rule: str | None = None,
            requested_by: str | None = None,
            approved_by: str | None = None) -> tuple[Block, CloudEvent]:
    """The new block and its ``caller.blocked``; ``until`` is ``at`` + the period's length
    (:data:`~sla._specs_calls.PERIOD_LENGTHS`), a permanent block is reviewed from
    ``at + review_every``."""
    until = None if period == "permanent" else at + PERIOD_LENGTHS[period]
    review = at + review_every if until is None else None
    by = f"rule:{rule}" if rule is not None else f"{requested_by}+{approved_by}"
    block = Block(block_id, period, at, until, review)
    event = CallerBlocked(
        id=derived_id(block_id, "caller.blocked"), source=SOURCE, time=at, subject=caller,
        data={"block_id": block_id, "caller": caller, "period": period, "blocked_at": at,
              "until": until, "reason": reason, "by": by, "rule": rule,
              "requested_by": requested_by, "approved_by": approved_by,
              "evidence": list(evidence), "review_at": review})
    return block, event


def unblocked(caller: str, block: Block, at: datetime, why: str,
              lifted_by: str | None = None, reason: str | None = None) -> CloudEvent:
    return CallerUnblocked(
        id=derived_id(block.block_id, "caller.unblocked"), source=SOURCE, time=at,
        subject=caller, data={"block_id": block.block_id, "caller": caller, "why": why,
                              "at": at, "lifted_by": lifted_by, "reason": reason})


def review_due(caller: str, block: Block, at: datetime) -> CloudEvent:
    return BlockReviewDue(
        id=derived_id(block.block_id, "block.review_due", str(block.reviews)), source=SOURCE,
        time=at, subject=caller,
        data={"block_id": block.block_id, "caller": caller, "blocked_at": block.blocked_at,
              "review": block.reviews, "review_at": at})


def refused(command: CloudEvent, by: str, why: str, reason: str) -> CloudEvent:
    """A block command refused by the rules: ``block.refused`` at the command's time."""
    return BlockRefused(
        id=derived_id(command.id, "block.refused"), source=SOURCE, time=command.time,
        subject=command.subject,
        data={"command_id": command.id, "command": command.type, "caller": command.subject,
              "why": why, "reason": reason, "by": by, "refused_at": command.time})


def norm_breached(event: CloudEvent, norm: str) -> CloudEvent:
    """``call.norm_breached`` of a ``call.ended`` whose agent hang-up broke ``norm``."""
    data = event.data
    return CallNormBreached(
        id=derived_id(data.call_id, "call.norm_breached"), source=SOURCE, time=event.time,
        subject=event.subject,
        data={"call_id": data.call_id, "caller": event.subject, "agent": data.agent,
              "team": data.team, "disposition": data.disposition, "warned": data.warned,
              "norm": norm, "ended_at": event.time})
