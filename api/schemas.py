"""Request and response bodies of the API (what ``/openapi.json`` describes).

Amounts are exact decimals written as JSON strings (``"1000"``, ``"12.50"``), as in the
events and the CSV feed: a float would lose cents. Times are RFC 3339 with an offset (UTC
as stored in the ledger). No body carries a customer reference: the ledger does not keep
one (complaints' ``customer_ref`` stays in the inbound topics).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

__all__ = [
    "Amount",
    "BreachItem",
    "BreachReport",
    "BreachReportRow",
    "DisputeFiled",
    "DisputeItem",
    "DisputePage",
    "DisputeRequest",
    "DisputeView",
    "ErrorBody",
    "Health",
    "WorklistItem",
    "WorklistPage",
    "Holding",
    "Me",
    "PenaltyItem",
    "PenaltyPage",
    "PenaltyReport",
    "PenaltyReportRow",
    "PrincipalInfo",
    "ReversalItem",
    "Scorecard",
    "ScorecardFigures",
    "ScorecardRow",
    "RulingPublished",
    "RulingRequest",
    "TicketView",
]

#: An exact decimal amount, serialised as a JSON string.
Amount = Annotated[Decimal, PlainSerializer(lambda value: format(value, "f"), return_type=str)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
DEPARTMENT_PATTERN = r"^[a-z][a-z0-9_\-]*$"
Department = Annotated[str, Field(min_length=1, max_length=64, pattern=DEPARTMENT_PATTERN)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorBody(_Body):
    """What went wrong, in one sentence (401, 403, 404, 409, 503)."""

    detail: str


class Health(_Body):
    status: Literal["ok", "unavailable"]
    ledger: Literal["ok", "unreachable"]


class Me(_Body):
    """The principal the token belongs to."""

    name: str
    role: str
    department: str | None = None


class PrincipalInfo(Me):
    created_at: str


class PenaltyItem(_Body):
    """One ``penalty.assessed``, with its reversal when it was reversed."""

    id: str
    ticket: str
    department: str
    employee: str | None = Field(description="the assignee, when known")
    charged_to: str = Field(description="department or assignee")
    rule: str
    trigger: str = Field(description="breach or complaint")
    breach_id: str | None
    metric: str | None
    base_fine: Amount
    multiplier: Amount
    capped_amount: Amount
    fine: Amount
    points: int
    currency: str
    period: str
    assessed_at: datetime
    status: Literal["charged", "reversed"]
    reversed_at: datetime | None
    reversal_id: str | None
    reversal_reason: str | None
    dispute_id: str | None = Field(description="the upheld dispute that reversed it")


class PenaltyPage(_Body):
    """A page of the penalty feed, oldest first; pass ``next_cursor`` as ``cursor`` for the
    next one (``null``: this is the last page for now)."""

    items: list[PenaltyItem]
    next_cursor: str | None


class PenaltyReportRow(_Body):
    """A department's payroll lines of the month in one currency (``sla-police ledger
    report``): penalties charged in it, reversed ones netting to zero, and adjustments
    booked in it for closed months."""

    department: str
    currency: str
    penalties: int = Field(description="penalties booked in the month, reversed or not")
    reversed: int
    adjustments: int = Field(description="corrections of closed months booked in this one")
    gross_fine: Amount
    adjustment_fine: Amount = Field(description="signed: a reversal's adjustment is negative")
    net_fine: Amount = Field(description="what is charged: gross, less reversed, plus "
                                         "adjustments")
    gross_points: int
    adjustment_points: int
    net_points: int


class PenaltyReport(_Body):
    period: str
    status: Literal["open", "closed"] = Field(
        description="closed: final, the same forever; open: may still change")
    rows: list[PenaltyReportRow]


class BreachReportRow(_Body):
    department: str
    metric: str
    breaches: int
    tickets: int


class BreachReport(_Body):
    period: str
    since: datetime = Field(description="start of the month in the policy's timezone")
    until: datetime = Field(description="start of the next month (excluded)")
    rows: list[BreachReportRow]


#: A fraction or a mean, exact, serialised as a JSON string like the amounts.
Rate = Amount


class ScorecardFigures(_Body):
    """A department's figures of one month (``ledger.scorecard``). Rates are fractions
    (``0.9375``) and amounts decimal strings; ``null`` where there is nothing to say."""

    rank: int | None = Field(description="by attainment, highest first; equal share a rank")
    complaints: int | None = Field(description="complaints of the month it owns now")
    volume: int | None = Field(description="business volume reported for the month")
    complaints_per_1000: Rate | None = Field(description="complaints per 1,000 units")
    repeat_complaints: int | None = Field(description="complaints saying repeat_of")
    reopened: int | None = Field(description="of its complaints, those reopened")
    reopen_rate: Rate | None
    acknowledge_met: int | None
    acknowledge_breached: int | None
    acknowledge_attainment: Rate | None
    resolve_met: int | None
    resolve_breached: int | None
    resolve_attainment: Rate | None
    attainment: Rate | None = Field(description="clocks met / (met + breached), both metrics")
    breaches: int | None
    transfers_in: int | None = Field(description="tickets transferred to it")
    disputes_upheld_against: int | None = Field(
        description="upheld disputes of other departments that moved a ticket to it")
    csat_responses: int | None
    csat_mean: Rate | None
    net_fine: Amount | None = Field(description="penalties of the month net of reversals")
    net_points: int | None
    actions_opened: int | None = Field(description="corrective actions opened in the month")
    actions_fixed: int | None = Field(description="fixes declared in the month")
    actions_reviewed: int | None = Field(description="fixes reviewed in the month")
    actions_worked: int | None = Field(
        description="of the month's reviews, those that found the fix worked")
    actions_overdue: int | None = Field(
        description="actions open past their due time at the month's end (or now)")


class ScorecardRow(_Body):
    department: str
    volume_unit: str | None = Field(description="what the volume counts, e.g. parcels")
    values: ScorecardFigures
    change: ScorecardFigures = Field(description="this month minus the previous one")


class Scorecard(_Body):
    month: str
    previous: str
    currency: str
    ranked: int = Field(description="how many departments have a rank this month")
    rows: list[ScorecardRow] = Field(description="by rank; a department principal: its own")


class BreachItem(_Body):
    id: str
    department: str
    policy: str
    metric: str
    cycle: int
    started_at: datetime
    due_at: datetime
    breached_at: datetime
    employee: str | None


class Holding(_Body):
    """A department that held the ticket, from ``since``."""

    department: str
    since: datetime
    reason: str
    dispute_id: str | None


class TicketView(_Body):
    """A ticket as the ledger knows it. A department sees only its own breaches and
    penalties; ``holders`` lists every department that held the ticket."""

    ticket: str
    department: str = Field(description="the department that holds it now")
    holders: list[Holding]
    breaches: list[BreachItem]
    penalties: list[PenaltyItem]


class DisputeRequest(_Body):
    """A department disputes that the ticket is its own."""

    reason: Text
    note: Annotated[str, Field(max_length=2000)] | None = None


class DisputeFiled(_Body):
    dispute_id: str = Field(description="id of the attribution.disputed event; rule on it")
    ticket: str
    department: str
    filed_by: str
    filed_at: datetime
    status: Literal["published"] = "published"


class RulingRequest(_Body):
    """The contact center's ruling: upheld (the ticket moves to ``to_department``, the
    disputing department's penalties on it are reversed) or rejected."""

    outcome: Literal["upheld", "rejected"]
    to_department: Department | None = Field(default=None, description="required when upheld")
    reason: Text


class RulingPublished(_Body):
    ruling_id: str = Field(description="id of the dispute.ruled event")
    dispute_id: str
    ticket: str
    outcome: Literal["upheld", "rejected"]
    to_department: str | None
    ruled_by: str
    ruled_at: datetime
    status: Literal["published"] = "published"


class DisputeItem(_Body):
    """A dispute as the ledger keeps it (``sla.dispute_filed`` and ``sla.dispute_ruled``
    merged): open until the contact center rules on it."""

    dispute_id: str
    ticket: str
    department: str = Field(description="the department that disputes the ticket")
    holder: str | None = Field(description="who held the ticket when it was filed")
    filed_by: str | None
    reason: str | None
    filed_at: datetime | None
    status: Literal["open", "ruled"]
    ruling_due_at: datetime | None = Field(
        description="filed_at + the policy's disputes.ruling_within, in working time "
                    "on disputes.calendar when the policy names one (null: no deadline)")
    overdue: bool = Field(description="open past ruling_due_at")
    outcome: Literal["upheld", "rejected"] | None
    to_department: str | None = Field(description="where an upheld ruling moved the ticket")
    ruled_by: str | None
    ruling_reason: str | None
    ruled_at: datetime | None
    reversals: int = Field(description="penalties the ruling reversed")
    reversed_fine: Amount
    reversed_points: int


class DisputePage(_Body):
    """A page of the dispute queue, oldest filing first; pass ``next_cursor`` as
    ``cursor`` for the next one (``null``: the last page for now)."""

    items: list[DisputeItem]
    next_cursor: str | None


class ReversalItem(_Body):
    """A penalty reversed by an upheld dispute."""

    id: str = Field(description="id of the penalty.reversed event")
    penalty_id: str
    ticket: str
    department: str
    employee: str | None
    rule: str
    fine: Amount
    points: int
    currency: str
    reason: str
    reversed_at: datetime


class DisputeView(DisputeItem):
    """One dispute with the ticket's holders and the reversals it caused."""

    holders: list[Holding] = Field(description="every department that held the ticket")
    reversed_penalties: list[ReversalItem]


class WorklistItem(_Body):
    """One open clock on a department's worklist, as of the request's now."""

    ticket: str
    department: str = Field(description="whose clock it is (the department holding the ticket)")
    metric: Literal["acknowledge", "resolve"]
    cycle: int = Field(description="resolve cycle: 1, then +1 per reopen")
    policy: str
    state: Literal["running", "paused"]
    seconds_left: int = Field(
        description="working seconds left before the breach, on the clock's calendar; "
                    "negative: that far past it")
    target: str | None = Field(description="the target as the policy writes it (2h, 2d)")
    target_seconds: int
    due_at: datetime | None = Field(description="when it breaches if it keeps running; "
                                                "none while paused")
    warned: bool
    breached: bool
    assignee: str | None
    ticket_status: Literal["open", "resolved", "closed", "cancelled"]
    disputed: bool = Field(description="a dispute of the ticket awaits its ruling")
    priority: str | None
    category: str | None
    started_at: datetime
    changed_at: datetime = Field(description="when the stream last changed this ticket's clocks")


class WorklistPage(_Body):
    """Open clocks, closest to breach first (running ones by breach time, then paused ones
    by time left), ``total`` of them matching in all."""

    items: list[WorklistItem]
    total: int
    next_offset: int | None = Field(description="offset of the next page; none on the last")
    as_of: datetime = Field(description="the now the time left is counted at")
