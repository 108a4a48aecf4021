"""The monthly agent-authority report (issue 14): what agents gave, what needed approval and
how long approvals took, what audits found, which agents give far more than their peers,
and what a pilot of wider authority cost and saved.

For a month ``M`` in the policy's time zone, from the ledger's tables as they are now
(:mod:`ledger.authority_tables`; a *contact* is a complaint's attribution by rule with its
agent, the contact reason is its category):

- **per contact reason** (:class:`ReasonFigures`): ``contacts`` (complaints of the reason
  arriving in M); ``grants`` and ``amount`` (concessions granted in M); ``approval_share`` =
  grants that needed an approval / grants; ``approvals`` (requests made in M and decided)
  with their waits' ``wait_p50`` and ``wait_p90`` in working seconds (nearest rank: the
  ``ceil(p * n)``-th smallest); ``audited`` (items for grants of M), ``verdicts``,
  ``compliant`` and ``audit_compliance`` = compliant / verdicts; ``csat_mean`` of the CSAT
  scores recorded in M on tickets of the reason. ``total`` is the same over every reason.
- **flags** (:class:`FlagRow`): the over-generous agents of M as the policy's flag rule
  finds them on M's contacts and grants (:class:`AuthorityPolicy.flags`), each with its
  figures, and ``raised`` when its ``authority.flagged`` is already in the ledger.
- **per pilot** running in M (:class:`PilotComparison`), over the days of M it ran:
  the pilot's agents against the rest of the same levels (:meth:`AuthorityPolicy.pilot_group`):
  contacts, grants, amount, ``cost_per_contact``, CSAT (scores recorded in M on their
  contacts of the window), ``repeat_contacts`` (their contacts saying ``repeat_of``),
  ``approvals_needed``, ``approvals_avoided`` (pilot grants above the policy's own limit
  and within the pilot's: each would have needed an approval) and audit compliance.

Rates are rounded half-even to 4 places, means and costs to 2. The policy is reached through
:class:`AuthorityPolicy` (``sla.authority_view.PolicyView``): the ledger knows no policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from math import ceil
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from ledger.authority_tables import Approval, AuditItem, AuthorityFlag, Concession
from ledger.periods import parse_period, period_end
from ledger.tables import Attribution, CsatResponse

__all__ = [
    "AuthorityPolicy",
    "AuthorityReport",
    "FlagRow",
    "GroupFigures",
    "MonthRows",
    "PilotComparison",
    "ReasonFigures",
    "authority_report",
    "month_flags",
    "month_rows",
    "percentile",
]

_RATE, _TWO = Decimal("0.0001"), Decimal("0.01")


class AuthorityPolicy(Protocol):
    """What the report asks the policy (``sla.authority_view.PolicyView`` answers)."""

    currency: str

    def flags(self, contacts: Iterable[tuple[str, str, datetime]], grants: Iterable[Any],
              at: datetime) -> list[Any]: ...

    def pilots(self, first: date, end: date) -> list[tuple[str, date, date]]: ...

    def pilot_group(self, pilot: str, agent: str) -> str | None: ...

    def normal_limit(self, agent: str, reason: str, at: datetime) -> Decimal: ...


@dataclass(frozen=True)
class Contact:
    """A complaint taken by an agent (its attribution by rule)."""

    ticket: str
    agent: str | None
    reason: str
    at: datetime
    repeat: bool


@dataclass
class MonthRows:
    """A month's rows: contacts, grants, approvals requested, audit items of its grants,
    CSAT scores recorded (``(ticket, score)``) and the contact of each ticket scored."""

    since: datetime
    until: datetime
    contacts: list[Contact]
    grants: list[Any]
    approvals: list[Any]
    audits: list[Any]
    csat: list[tuple[str, int]]
    scored: dict[str, Contact] = field(default_factory=dict)


@dataclass(frozen=True)
class ReasonFigures:
    """One contact reason's month (or every reason's: ``contact_reason`` "all")."""

    contact_reason: str
    contacts: int
    grants: int
    amount: Decimal
    needed_approval: int
    approval_share: Decimal | None
    approvals: int
    wait_p50: int | None
    wait_p90: int | None
    audited: int
    verdicts: int
    compliant: int
    audit_compliance: Decimal | None
    csat_responses: int
    csat_mean: Decimal | None


@dataclass(frozen=True)
class FlagRow:
    """An over-generous agent of the month and the figures behind the flag."""

    flag_id: str
    agent: str
    level: str
    team: str | None
    contact_reason: str
    metrics: list[str]
    contacts: int
    grants: int
    amount: Decimal
    grant_rate: float
    amount_per_grant: Decimal
    peers: int
    peer_median_rate: float
    peer_mad_rate: float
    peer_median_amount: Decimal
    peer_mad_amount: Decimal
    rate_score: float
    amount_score: float
    raised: bool


@dataclass(frozen=True)
class GroupFigures:
    """One side of a pilot's comparison: the pilot's agents, or the rest of their levels."""

    agents: int
    contacts: int
    grants: int
    amount: Decimal
    cost_per_contact: Decimal | None
    csat_responses: int
    csat_mean: Decimal | None
    repeat_contacts: int
    repeat_rate: Decimal | None
    approvals_needed: int
    approvals_avoided: int
    verdicts: int
    compliant: int
    audit_compliance: Decimal | None


@dataclass(frozen=True)
class PilotComparison:
    """A pilot over the days of the month it ran (``first_day`` to ``last_day``)."""

    pilot: str
    first_day: date
    last_day: date
    pilot_agents: GroupFigures
    rest: GroupFigures


@dataclass(frozen=True)
class AuthorityReport:
    """The month's report: per reason, the total, the flags, the pilots."""

    period: str
    currency: str
    reasons: list[ReasonFigures]
    total: ReasonFigures
    flags: list[FlagRow]
    pilots: list[PilotComparison]


def _ratio(part: int | Decimal, whole: int | Decimal, places: Decimal) -> Decimal | None:
    return None if not whole else (Decimal(part) / Decimal(whole)).quantize(places)


def percentile(values: Sequence[int], p: float) -> int | None:
    """The nearest-rank ``p`` percentile (0 < p <= 1): the ``ceil(p * n)``-th smallest."""
    if not values:
        return None
    return sorted(values)[max(ceil(p * len(values)), 1) - 1]


def _bounds(period: str, zone: tzinfo) -> tuple[datetime, datetime]:
    year, month = (int(part) for part in parse_period(period).split("-"))
    return datetime(year, month, 1, tzinfo=zone), period_end(period, zone)


def _contacts(conn: Connection, where: Any) -> list[Contact]:
    rows = conn.execute(
        select(Attribution.ticket, Attribution.agent, Attribution.category,
               Attribution.attributed_at, Attribution.repeat_of)
        .where(Attribution.reason == "rule", where)
        .order_by(Attribution.attributed_at, Attribution.id)).all()
    return [Contact(t, agent, category or "", at, repeat is not None)
            for t, agent, category, at, repeat in rows]


def month_rows(engine: Engine, period: str, zone: tzinfo) -> MonthRows:
    """The rows of ``period`` (a month in ``zone``) the report and the flags are made of."""
    since, until = _bounds(period, zone)
    with Session(engine) as session:
        conn = session.connection()
        contacts = _contacts(conn, (Attribution.attributed_at >= since)
                             & (Attribution.attributed_at < until))
        grants = list(session.scalars(select(Concession).where(
            Concession.granted_at >= since, Concession.granted_at < until)
            .order_by(Concession.granted_at, Concession.id)))
        approvals = list(session.scalars(select(Approval).where(
            Approval.requested_at >= since, Approval.requested_at < until)))
        audits = list(session.scalars(select(AuditItem).where(
            AuditItem.granted_at >= since, AuditItem.granted_at < until)))
        scored_tickets = select(CsatResponse.ticket).where(
            CsatResponse.recorded_at >= since, CsatResponse.recorded_at < until)
        csat = [(t, score) for t, score in conn.execute(
            select(CsatResponse.ticket, CsatResponse.score).where(
                CsatResponse.recorded_at >= since, CsatResponse.recorded_at < until))]
        scored = {c.ticket: c for c in _contacts(
            conn, Attribution.ticket.in_(scored_tickets.scalar_subquery()))}
    return MonthRows(since, until, contacts, grants, approvals, audits, csat, scored)


def _reason(name: str, rows: MonthRows, keep: Any) -> ReasonFigures:
    """The figures of the rows ``keep(contact_reason)`` accepts."""
    grants = [g for g in rows.grants if keep(g.contact_reason)]
    waits = [a.wait_seconds for a in rows.approvals if keep(a.contact_reason)]
    audits = [a for a in rows.audits if keep(a.contact_reason)]
    verdicts = [a for a in audits if a.verdict is not None]
    compliant = sum(a.verdict == "compliant" for a in verdicts)
    scores = [s for t, s in rows.csat if t in rows.scored and keep(rows.scored[t].reason)]
    needed = sum(g.needed_approval for g in grants)
    return ReasonFigures(
        name, sum(keep(c.reason) for c in rows.contacts), len(grants),
        sum((g.amount for g in grants), Decimal(0)), needed, _ratio(needed, len(grants), _RATE),
        len(waits), percentile(waits, 0.5), percentile(waits, 0.9), len(audits), len(verdicts),
        compliant, _ratio(compliant, len(verdicts), _RATE), len(scores),
        _ratio(sum(scores), len(scores), _TWO))


def _flag_rows(engine: Engine, flags: list[Any]) -> list[FlagRow]:
    ids = [f.id for f in flags]
    with engine.connect() as conn:
        raised = set(conn.execute(select(AuthorityFlag.flag_id)
                                  .where(AuthorityFlag.flag_id.in_(ids))).scalars())
    out = []
    for flag in flags:
        d = flag.data
        out.append(FlagRow(
            d.flag_id, d.agent, d.level, d.team, d.contact_reason, list(d.metrics),
            d.contacts, d.grants, d.amount, d.grant_rate, d.amount_per_grant, d.peers,
            d.peer_median_rate, d.peer_mad_rate, d.peer_median_amount, d.peer_mad_amount,
            d.rate_score, d.amount_score, d.flag_id in raised))
    return out


def _group(rows: MonthRows, policy: AuthorityPolicy, pilot: str, group: str,
           window: tuple[datetime, datetime]) -> GroupFigures:
    """One side of a pilot's comparison over ``window``."""
    def inside(agent: str | None, at: datetime) -> bool:
        return (agent is not None and window[0] <= at < window[1]
                and policy.pilot_group(pilot, agent) == group)

    contacts = [c for c in rows.contacts if inside(c.agent, c.at)]
    grants = [g for g in rows.grants if inside(g.agent, g.granted_at)]
    audits = [a for a in rows.audits if inside(a.agent, a.granted_at) and a.verdict]
    scores = [s for t, s in rows.csat
              if t in rows.scored and inside(rows.scored[t].agent, rows.scored[t].at)]
    amount = sum((g.amount for g in grants), Decimal(0))
    avoided = sum(g.pilot == pilot and policy.normal_limit(g.agent, g.contact_reason,
                                                           g.granted_at) < g.amount
                  for g in grants)
    repeats = sum(c.repeat for c in contacts)
    compliant = sum(a.verdict == "compliant" for a in audits)
    return GroupFigures(
        len({c.agent for c in contacts} | {g.agent for g in grants}), len(contacts),
        len(grants), amount, _ratio(amount, len(contacts), _TWO), len(scores),
        _ratio(sum(scores), len(scores), _TWO), repeats, _ratio(repeats, len(contacts), _RATE),
        sum(g.needed_approval for g in grants), avoided, len(audits), compliant,
        _ratio(compliant, len(audits), _RATE))


def _pilots(rows: MonthRows, policy: AuthorityPolicy, zone: tzinfo) -> list[PilotComparison]:
    first, end = rows.since.date(), rows.until.date()  # local dates: the bounds are in zone
    out = []
    for name, start, stop in policy.pilots(first, end):
        window = (max(rows.since, datetime.combine(start, datetime.min.time(), zone)),
                  min(rows.until, datetime.combine(stop, datetime.min.time(), zone)))
        out.append(PilotComparison(
            name, window[0].date(), (window[1] - timedelta(days=1)).date(),
            _group(rows, policy, name, "pilot", window), _group(rows, policy, name, "rest",
                                                                window)))
    return out


def month_flags(rows: MonthRows, policy: AuthorityPolicy, at: datetime) -> list[Any]:
    """The ``authority.flagged`` events the policy raises on ``rows``, at ``at``."""
    contacts = [(c.agent, c.reason, c.at) for c in rows.contacts if c.agent is not None]
    return policy.flags(contacts, rows.grants, at)


def authority_report(engine: Engine, period: str, zone: tzinfo, policy: AuthorityPolicy,
                     at: datetime) -> AuthorityReport:
    """The authority report of ``period`` (a month in ``zone``); ``at`` is now (the time the
    flags shown would be raised at)."""
    rows = month_rows(engine, period, zone)
    reasons = sorted({c.reason for c in rows.contacts} | {g.contact_reason for g in rows.grants}
                     | {a.contact_reason for a in rows.approvals})
    return AuthorityReport(
        period=parse_period(period), currency=policy.currency,
        reasons=[_reason(r, rows, lambda x, r=r: x == r) for r in reasons],
        total=_reason("all", rows, lambda _x: True),
        flags=_flag_rows(engine, month_flags(rows, policy, at)),
        pilots=_pilots(rows, policy, zone))
