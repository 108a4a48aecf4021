"""What the routers share: the ledger engine, documented error responses, 422 in FastAPI's
own shape, and how a ledger row becomes a response item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Header, HTTPException, Request, status
from sqlalchemy import Engine

from api.cursor import CursorError, decode_cursor, encode_cursor
from api.schemas import DisputeItem, ErrorBody, PenaltyItem, ReversalItem
from api.settings import ApiSettings
from ledger.tables import Dispute, Penalty, Reversal

__all__ = [
    "AUTH_ERRORS",
    "COMMAND_ERRORS",
    "IDEMPOTENCY_KEY",
    "NOT_FOUND",
    "PERIOD_PATTERN",
    "PLAIN_TEXT",
    "check_department",
    "dispute_item",
    "engine_of",
    "invalid",
    "penalty_item",
    "reversal_item",
    "settings_of",
]

PERIOD_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"  # a month of 2000-2999
#: Free text in a query: no control characters (PostgreSQL refuses NUL in text).
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]+$"
IDEMPOTENCY_KEY = Header(None, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
                         description="retries with the same key publish the same event id")

#: Responses every authenticated endpoint can give (documented in the OpenAPI document).
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no bearer token, or an unknown one"},
    403: {"model": ErrorBody, "description": "the role or department may not do this"},
    503: {"model": ErrorBody, "description": "the ledger or the event bus is unavailable"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "not in the ledger"},
}

#: What a command (a POST) can answer besides: a body that is not JSON at all, 404.
COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS, **NOT_FOUND,
    400: {"model": ErrorBody, "description": "the body is not JSON"},
}


def engine_of(request: Request) -> Engine:
    """The ledger engine of the app (a dependency)."""
    return request.app.state.engine


def settings_of(request: Request) -> ApiSettings:
    """The settings the app was built with (a dependency)."""
    return request.app.state.settings


def invalid(location: tuple[str, ...], message: str) -> HTTPException:
    """A 422 naming the field at fault, shaped like FastAPI's own validation errors."""
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         [{"loc": list(location), "msg": message, "type": "value_error"}])


def check_department(settings: ApiSettings, department: str | None) -> None:
    """422 on ``department`` when the policy has no such department."""
    if department is not None and department not in settings.departments:
        raise invalid(("query", "department"), f"unknown department {department!r}; known: "
                      + ", ".join(sorted(settings.departments)))


def penalty_item(row: Penalty) -> PenaltyItem:
    """The feed's view of a ledger penalty row."""
    return PenaltyItem(
        id=row.id, ticket=row.ticket, department=row.department, employee=row.assignee,
        charged_to=row.charged_to, rule=row.rule, trigger=row.trigger,
        breach_id=row.breach_id, metric=row.metric, base_fine=row.base_fine,
        multiplier=row.multiplier, capped_amount=row.capped_amount, fine=row.fine,
        points=row.points, currency=row.currency, period=row.period,
        assessed_at=row.assessed_at,
        status="reversed" if row.reversal_id is not None else "charged",
        reversed_at=row.reversed_at, reversal_id=row.reversal_id,
        reversal_reason=row.reversal_reason, dispute_id=row.dispute_id)


def dispute_item(row: Dispute, settings: ApiSettings, now: datetime) -> DisputeItem:
    """The queue's view of a ``disputes`` row; overdue when still open at ``now`` past its
    ruling deadline (the policy's ``disputes``: working time on its calendar, or calendar
    time)."""
    deadline = settings.dispute_deadline
    due = (deadline.due(row.filed_at, settings.calendars).astimezone(UTC)
           if deadline is not None and row.filed_at is not None else None)
    open_ = row.outcome is None
    return DisputeItem(
        dispute_id=row.dispute_id, ticket=row.ticket, department=row.department,
        holder=row.holder, filed_by=row.filed_by, reason=row.reason, filed_at=row.filed_at,
        status="open" if open_ else "ruled", ruling_due_at=due,
        overdue=open_ and due is not None and now > due,
        outcome=row.outcome, to_department=row.to_department,  # type: ignore[arg-type]
        ruled_by=row.ruled_by, ruling_reason=row.ruling_reason, ruled_at=row.ruled_at,
        reversals=row.reversals, reversed_fine=row.reversed_fine,
        reversed_points=row.reversed_points)


def reversal_item(row: Reversal) -> ReversalItem:
    """A ``reversals`` row as the dispute view shows it."""
    return ReversalItem(id=row.id, penalty_id=row.penalty_id, ticket=row.ticket,
                        department=row.department, employee=row.assignee, rule=row.rule,
                        fine=row.fine, points=row.points, currency=row.currency,
                        reason=row.reason, reversed_at=row.reversed_at)


Row = TypeVar("Row")


def keyset_page(cursor: str | None, fetch: Callable[[tuple[datetime, str] | None, int], list[Row]],
                limit: int, key: Callable[[Row], tuple[datetime, str]]
                ) -> tuple[list[Row], str | None]:
    """One page of at most ``limit`` rows after ``cursor`` (a bad cursor is a 422 on the
    query's ``cursor``), and the cursor of the next page (None on the last): ``fetch(after,
    n)`` returns up to ``n`` rows after ``after`` in key order; ``key`` is a row's (time, id)."""
    try:
        after = decode_cursor(cursor) if cursor is not None else None
    except CursorError as exc:
        raise invalid(("query", "cursor"), str(exc)) from None
    rows = fetch(after, limit + 1)
    page = rows[:limit]
    return page, (encode_cursor(*key(page[-1])) if len(rows) > limit else None)
