"""The status page's "Agent authority" and "Audit queue" sections (issue 14).

- **Agent authority** (contact center, executives, auditors: ``GET
  /api/v1/reports/authority``'s rule): this month's report, the very object the API answers
  (:func:`api.routes.authority.authority_report_view`), laid out for a manager: per contact
  reason, the over-generous agents with the figure behind each flag against their peers'
  median, and each pilot against the rest of its levels. The report reads the month's rows
  and runs the flag rule in Python, and the page reloads every 15 s, so the app keeps each
  month's report in a :class:`ReportCache` (``app.state.authority_reports``) for the
  scorecard's few minutes; the section says when it was computed.
- **Audit queue** (auditors, and the contact center read-only: ``GET /api/v1/audits``'s
  rule): the open items, oldest grant first, never cached (a verdict shows at the next
  reload once the stream has closed the item).

Figures are formatted here (:data:`REASON_COLUMNS`, :data:`PILOT_ROWS`), so the template
only lays out cells, as the scorecard's does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

from api.auth import AUDIT_READERS, AUTHORITY_READERS
from api.principals import Principal, Role
from api.routes.authority import authority_report_view, open_audits
from api.schemas_authority import AuditItemView, AuthorityReport, FlagView, GroupView, ReasonView
from api.settings import ApiSettings

__all__ = [
    "AUDITS",
    "AuditSection",
    "AuthoritySection",
    "Cell",
    "FlagLine",
    "PILOT_ROWS",
    "PilotRow",
    "REASON_COLUMNS",
    "ReasonRow",
    "ReportCache",
    "audit_section",
    "authority_section",
    "figure",
    "ledger_authority",
]

AUDITS = 50  #: open audit items shown, oldest first
#: ``month -> the month's report`` (None: the policy has no authority section).
Compute = Callable[[str], AuthorityReport | None]
T = TypeVar("T")


def figure(value: Any, kind: str) -> str:
    """``value`` of the API's report as shown: ``count``, ``amount`` (a decimal string, two
    places), ``rate`` (a decimal string as a percentage), ``hours`` (working seconds),
    ``mean`` (CSAT), ``ratio`` (grants per contact) or ``score``; a dash when empty."""
    if value is None:
        return "—"
    if kind == "amount":
        return f"{Decimal(value):,.2f}"
    if kind == "rate":
        return f"{Decimal(value) * 100:.1f}%"
    if kind == "hours":
        return f"{value / 3600:.1f} h"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "score":
        return f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class Cell:
    """A figure as shown (``text``) with a smaller line under it (``sub``, the counts the
    figure is made of) and, in a pilot's comparison, ``verdict``: better, worse, neutral."""

    measure: str
    text: str
    sub: dict[str, Any] | None = None
    verdict: str = "neutral"


@dataclass(frozen=True)
class ReasonRow:
    contact_reason: str
    cells: Sequence[Cell]


@dataclass(frozen=True)
class FlagLine:
    """An over-generous agent: one line of evidence per metric that flagged it."""

    flag: FlagView
    evidence: Sequence[tuple[str, str, str, str]]  #: (metric, figure, peers' median, score)


@dataclass(frozen=True)
class PilotRow:
    """One measure of a pilot's comparison: the pilot's agents against the rest."""

    measure: str
    pilot: Cell
    rest: Cell


#: (measure, how it is shown) of the per-reason table, after the reason.
REASON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contacts", "count"), ("grants", "count"), ("amount", "amount"),
    ("approval_share", "rate"), ("wait_p50", "hours"), ("wait_p90", "hours"),
    ("audit_compliance", "rate"), ("csat_mean", "mean"))
#: (measure, how it is shown, which way is better: "lower", "higher" or None).
PILOT_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("agents", "count", None), ("contacts", "count", None), ("grants", "count", None),
    ("amount", "amount", None), ("cost_per_contact", "amount", "lower"),
    ("csat_mean", "mean", "higher"), ("repeat_rate", "rate", "lower"),
    ("approvals_needed", "count", "lower"), ("approvals_avoided", "count", "higher"),
    ("audit_compliance", "rate", "higher"))


def _sub(row: ReasonView | GroupView, measure: str) -> dict[str, Any] | None:
    """The counts under a rate or a mean (an i18n key ``sub_<measure>`` words them); none
    when there is nothing to count."""
    counts: dict[str, dict[str, Any]] = {
        "audit_compliance": {"n": row.compliant, "of": row.verdicts},
        "csat_mean": {"n": row.csat_responses}}
    if isinstance(row, ReasonView):
        counts["approval_share"] = {"n": row.needed_approval, "of": row.grants}
        counts["wait_p50"] = {"n": row.approvals}
    else:
        counts["repeat_rate"] = {"n": row.repeat_contacts, "of": row.contacts}
    sub = counts.get(measure)
    return sub if sub and sub.get("of", sub["n"]) else None


def _reason_row(row: ReasonView) -> ReasonRow:
    return ReasonRow(row.contact_reason, [Cell(m, figure(getattr(row, m), kind), _sub(row, m))
                                          for m, kind in REASON_COLUMNS])


def _verdict(mine: Any, theirs: Any, better: str | None) -> str:
    if better is None or mine is None or theirs is None or Decimal(mine) == Decimal(theirs):
        return "neutral"
    return "better" if (Decimal(mine) < Decimal(theirs)) == (better == "lower") else "worse"


def pilot_rows(pilot: GroupView, rest: GroupView) -> list[PilotRow]:
    """A pilot's comparison, measure by measure, the pilot's side judged against the rest."""
    rows = []
    for measure, kind, better in PILOT_ROWS:
        mine, theirs = getattr(pilot, measure), getattr(rest, measure)
        rows.append(PilotRow(measure,
                             Cell(measure, figure(mine, kind), _sub(pilot, measure),
                                  _verdict(mine, theirs, better)),
                             Cell(measure, figure(theirs, kind), _sub(rest, measure))))
    return rows


def flag_line(flag: FlagView) -> FlagLine:
    """``flag`` with its evidence: grants per contact or amount per grant against the
    peers' median of the same level and reason, and the robust score."""
    evidence = []
    for metric in flag.metrics:
        if metric == "grant_rate":
            evidence.append((metric, figure(flag.grant_rate, "ratio"),
                             figure(flag.peer_median_rate, "ratio"),
                             figure(flag.rate_score, "score")))
        else:
            evidence.append((metric, figure(flag.amount_per_grant, "amount"),
                             figure(flag.peer_median_amount, "amount"),
                             figure(flag.amount_score, "score")))
    return FlagLine(flag, evidence)


@dataclass(frozen=True)
class AuthoritySection:
    """What the section renders; ``report`` None: the policy has no authority section."""

    period: str
    computed_at: datetime
    report: AuthorityReport | None
    reasons: Sequence[ReasonRow] = ()
    flags: Sequence[FlagLine] = ()
    pilots: Sequence[tuple[Any, Sequence[PilotRow]]] = ()


@dataclass(frozen=True)
class AuditSection:
    """The open audit items shown; ``more``: the queue has more than :data:`AUDITS`;
    ``can_rule``: the principal may give verdicts (the auditor)."""

    items: Sequence[AuditItemView]
    more: bool
    can_rule: bool


class ReportCache(Generic[T]):
    """Each key's report (a month's, or the calls report's ``change/window``), computed at
    most once per ``ttl`` by ``clock`` (the app's).

    An entry older than ``ttl``, or stamped in the clock's future (the clock was set back),
    is computed again; one computation at a time, as :class:`api.page.ScorecardCache`. At
    most ``size`` entries are kept (the oldest goes first): keys that come from a query
    string cannot fill the memory.
    """

    def __init__(self, compute: Callable[[str], T], *, clock: Callable[[], datetime],
                 ttl: timedelta = timedelta(minutes=5), size: int = 16) -> None:
        self._compute, self._clock, self._ttl, self._size = compute, clock, ttl, size
        self._entries: dict[str, tuple[T, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[T, datetime]:
        """``key``'s report and when it was computed."""
        with self._lock:
            now = self._clock()
            self._entries = {k: e for k, e in self._entries.items()
                             if timedelta(0) <= now - e[1] < self._ttl}
            if key not in self._entries:
                while len(self._entries) >= self._size:
                    del self._entries[min(self._entries, key=lambda k: self._entries[k][1])]
                self._entries[key] = (self._compute(key), now)
            return self._entries[key]


def ledger_authority(engine: Engine, settings: ApiSettings) -> Compute:
    """The app's :data:`Compute`: the API's report builder on ``engine``."""
    return lambda month: authority_report_view(engine, settings, month)


def authority_section(cache: ReportCache[AuthorityReport | None], principal: Principal,
                      period: str) -> AuthoritySection | None:
    """The section of ``period`` for ``principal`` (None: not for its role)."""
    if principal.role not in AUTHORITY_READERS:
        return None
    report, computed_at = cache.get(period)
    if report is None:
        return AuthoritySection(period, computed_at, None)
    return AuthoritySection(
        period, computed_at, report,
        reasons=[_reason_row(r) for r in [*report.reasons, report.total]],
        flags=[flag_line(f) for f in report.flags],
        pilots=[(p, pilot_rows(p.pilot_agents, p.rest)) for p in report.pilots])


def audit_section(engine: Engine, principal: Principal) -> AuditSection | None:
    """The open audit items for ``principal`` (None: not for its role)."""
    if principal.role not in AUDIT_READERS:
        return None
    items = open_audits(engine, AUDITS + 1)
    return AuditSection(items[:AUDITS], len(items) > AUDITS, principal.role is Role.AUDITOR)
