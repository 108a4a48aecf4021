"""What the status page shows a principal, read from the ledger with the JSON API's
queries and role rules.

A department principal sees its own department only; ``hr``, ``executive`` and
``contact_center`` see every department; ``admin`` reads no business data. Open disputes
follow the dispute queue's rule (department, executive, contact center: not HR). A section
the role may not read is ``None`` (the page says so); nothing on the page carries a
customer reference (the ledger keeps none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from api.auth import DISPUTE_READERS, READERS, WORKLIST_READERS
from api.page.closest import ClosestClock
from api.principals import Principal, Role
from api.routes._common import dispute_item, penalty_item
from api.routes.corrective_actions import ACTION_READERS, ActionItem, action_item
from api.routes.reports import month_bounds
from api.routes.worklist import seconds_left
from api.schemas import DisputeItem, PenaltyItem
from api.settings import ApiSettings
from ledger import OutcomeCount, clock_outcomes
from ledger.corrective_actions import corrective_actions
from ledger.periods import period_of
from ledger.queries import DisputeFilter, dispute_page, latest_breaches, latest_penalties
from ledger.tables import Breach
from ledger.worklist import WorklistFilter, worklist

__all__ = ["ActionsView", "AttainmentRow", "StatusView", "build_status"]

LATEST = 10  #: breaches and penalties shown
CLOSEST = 10  #: open clocks shown
DISPUTES = 20  #: open disputes shown, oldest first
REVIEWED = 10  #: reviewed corrective actions shown, the latest first


@dataclass(frozen=True)
class AttainmentRow:
    """One department's clocks met and breached today and this month."""

    department: str
    today: OutcomeCount
    month: OutcomeCount


@dataclass(frozen=True)
class ActionsView:
    """Corrective actions as ``GET /api/v1/corrective-actions`` gives them: open ones
    (oldest first, overdue marked), fixed ones awaiting review, and the latest reviews."""

    open: list[ActionItem]
    fixed: list[ActionItem]
    reviewed: list[ActionItem]


@dataclass(frozen=True)
class StatusView:
    """Everything the page renders; ``None`` sections are not for this role, and
    ``closest`` is also ``None`` when no worklist is plugged in (``closest_allowed``
    tells the two apart)."""

    principal: Principal
    now: datetime
    period: str
    attainment: list[AttainmentRow] | None
    closest_allowed: bool
    closest: list[ClosestClock] | None
    breaches: list[Breach] | None
    penalties: list[PenaltyItem] | None
    disputes: list[DisputeItem] | None
    actions: ActionsView | None = None


def _scope(principal: Principal) -> str | None:
    """The one department a principal is limited to (None: every department)."""
    return principal.department if principal.role is Role.DEPARTMENT else None


def _attainment(engine: Engine, settings: ApiSettings, scope: str | None,
                now: datetime) -> list[AttainmentRow]:
    """Met and breached clocks per visible department, today and this month (the policy's
    time zone): every department of the policy, then any other the ledger names."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
    tomorrow = midnight + timedelta(days=1)  # wall-clock arithmetic: the next midnight
    today = {c.department: c for c in clock_outcomes(engine, midnight, tomorrow)}
    month = {c.department: c for c in clock_outcomes(
        engine, *month_bounds(period_of(now, zone), settings.timezone))}
    names = list(dict.fromkeys([*settings.departments, *sorted(today), *sorted(month)]))
    return [AttainmentRow(name, today.get(name, OutcomeCount(name, 0, 0)),
                          month.get(name, OutcomeCount(name, 0, 0)))
            for name in names if scope is None or name == scope]


def worklist_closest(engine: Engine, settings: ApiSettings, scope: str | None,
                     now: datetime, limit: int) -> list[ClosestClock]:
    """The department worklist's first ``limit`` clocks (:mod:`ledger.worklist`), with the
    working time left at ``now`` counted as ``GET /api/v1/worklist`` counts it."""
    rows, _total = worklist(engine, WorklistFilter(scope), now=now, limit=limit)
    return [ClosestClock(row.ticket, row.department, row.metric, row.policy, row.due_at,
                         seconds_left(row, settings.calendars[row.calendar], now),
                         row.assignee, paused=not row.running,
                         warned=row.warn_from is not None and row.warn_from <= now)
            for row in rows]


def _closest(engine: Engine, settings: ApiSettings, scope: str | None,
             now: datetime) -> list[ClosestClock]:
    """The open clocks with the least time left: the worklist's, or those of the function
    the settings plug in; rows of departments outside ``scope`` are dropped whatever it
    returns."""
    if settings.closest_to_breach is None:
        clocks = worklist_closest(engine, settings, scope, now, CLOSEST)
    else:
        clocks = settings.closest_to_breach(engine, scope, now, CLOSEST)
    return [c for c in clocks if scope is None or c.department == scope][:CLOSEST]


def _actions(engine: Engine, scope: str | None, now: datetime) -> ActionsView:
    items = [action_item(row, now) for row in corrective_actions(engine, scope)]
    reviewed = sorted((i for i in items if i.status == "reviewed"),
                      key=lambda i: (i.reviewed_at, i.action_id), reverse=True)
    return ActionsView([i for i in items if i.status == "open"],
                       [i for i in items if i.status == "fixed"], reviewed[:REVIEWED])


def build_status(engine: Engine, settings: ApiSettings, principal: Principal,
                 now: datetime) -> StatusView:
    """The page of ``principal`` at ``now``."""
    scope = _scope(principal)
    reads = principal.role in READERS
    disputes = None
    if principal.role in DISPUTE_READERS:
        rows = dispute_page(engine, DisputeFilter("open", scope), None, DISPUTES)
        disputes = [dispute_item(row, settings, now) for row in rows]
    return StatusView(
        principal=principal, now=now.astimezone(ZoneInfo(settings.timezone)),
        period=period_of(now, ZoneInfo(settings.timezone)),
        attainment=_attainment(engine, settings, scope, now) if reads else None,
        closest_allowed=principal.role in WORKLIST_READERS,
        closest=(_closest(engine, settings, scope, now)
                 if principal.role in WORKLIST_READERS else None),
        breaches=latest_breaches(engine, scope, LATEST, now) if reads else None,
        penalties=([penalty_item(p) for p in latest_penalties(engine, scope, LATEST, now)]
                   if reads else None),
        disputes=disputes,
        actions=_actions(engine, scope, now) if principal.role in ACTION_READERS else None)
