"""Agent authority, the pure domain: limits, judging grants, audit selection, over-generous
agents (issue 14; ``docs/semantics.md``, "Agent authority").

Deterministic and clock-free like :mod:`sla.penalties` and :mod:`sla.recurrence`: every
time is an argument, every id is :func:`models.derived_id` of what the event is about, so
replaying the same grants yields the same events. The ticket stage applies it through
:mod:`sla.concessions`; the monthly flags are raised from the ledger (`sla-police authority flag`).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from statistics import median
from zoneinfo import ZoneInfo

from models import CloudEvent, derived_id
from models.authority import AuditItemOpened, AuthorityExceeded, AuthorityFlagged
from sla.specs import AgentSpec, AuthoritySpec, LimitRule

__all__ = [
    "MAD_SCALE",
    "SOURCE",
    "Activity",
    "Grant",
    "activity_of_outputs",
    "agent_of",
    "audit_draw",
    "audit_item",
    "flag_over_generous",
    "judge_grant",
    "limit_and_pilot",
    "limit_for",
    "local_date",
    "tally",
]

SOURCE = "sla-police"
#: Scales a MAD to a standard deviation for normally distributed figures.
MAD_SCALE = 1.4826
#: When most peers give the same figure (MAD 0), the spread used is at least this share of
#: the median, so a hair above the crowd is not "far above" it.
MIN_SPREAD_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Grant:
    """A concession granted (a ``concession.granted`` with its contact reason resolved)."""

    grant_id: str
    ticket_id: str
    agent: str
    amount: Decimal
    currency: str
    kind: str
    contact_reason: str
    granted_at: datetime
    approved_by: str | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    """One agent's contacts and grants of one contact reason in one month."""

    agent: str
    level: str
    team: str | None
    contact_reason: str
    period: str
    contacts: int
    grants: int
    amount: Decimal


def local_date(spec: AuthoritySpec, at: datetime) -> date:
    """The policy's local date of ``at`` (pilot periods and months are local)."""
    return at.astimezone(ZoneInfo(spec.timezone)).date()


def agent_of(spec: AuthoritySpec, agent: str,
             roster: dict[str, AgentSpec] | None = None) -> AgentSpec:
    """The roster entry of ``agent``; one missing from the roster has the least authority
    (the bottom level, no team), so an unknown grantor is never trusted more."""
    entry = (spec.roster if roster is None else roster).get(agent)
    return entry if entry is not None else AgentSpec(agent, spec.levels[0], "")


def _first_limit(rules: Iterable[LimitRule], level: str, reason: str) -> Decimal | None:
    """The limit of the first rule matching ``reason`` that names ``level``."""
    for rule in rules:
        if level in rule.limits and (
                not rule.reasons or any(fnmatchcase(reason, g) for g in rule.reasons)):
            return rule.limits[level]
    return None


def limit_for(spec: AuthoritySpec, agent: AgentSpec, reason: str, at: datetime) -> Decimal:
    """The largest amount ``agent`` may grant alone for ``reason`` at ``at``: the limits of
    the first pilot the agent is in while it runs (its team or its list, ``start`` <= local
    date < ``end``) when they name the level, else the policy's limits."""
    return limit_and_pilot(spec, agent, reason, at)[0]


def limit_and_pilot(spec: AuthoritySpec, agent: AgentSpec, reason: str,
                    at: datetime) -> tuple[Decimal, str | None]:
    """:func:`limit_for` and the name of the pilot whose limits gave it (``None``: the
    policy's own limits)."""
    day = local_date(spec, at)
    for pilot in spec.pilots:
        member = agent.team == pilot.team or agent.agent in pilot.agents
        if member and pilot.start <= day < pilot.end:
            found = _first_limit(pilot.limits, agent.level, reason)
            if found is not None:
                return found, pilot.name
    found = _first_limit(spec.limits, agent.level, reason)
    return (found if found is not None else Decimal(0)), None


def judge_grant(spec: AuthoritySpec, grant: Grant,
                roster: dict[str, AgentSpec] | None = None,
                priority: str | None = None) -> AuthorityExceeded | None:
    """``authority.exceeded`` when ``grant`` is above the grantor's limit and no approval by
    someone whose own limit covers the amount preceded it; ``None`` when it was allowed.
    It names ``spec.department`` (the penalty book) and the ticket's ``priority``."""
    agent = agent_of(spec, grant.agent, roster)
    limit = limit_for(spec, agent, grant.contact_reason, grant.granted_at)
    if grant.amount <= limit:
        return None
    approver_level = approver_limit = None
    if grant.approved_by is None:
        why = "no_approval"
    elif grant.approved_by not in (spec.roster if roster is None else roster):
        why = "approver_unknown"
    else:
        approver = agent_of(spec, grant.approved_by, roster)
        approver_level = approver.level
        approver_limit = limit_for(spec, approver, grant.contact_reason, grant.granted_at)
        if grant.amount <= approver_limit:
            return None
        why = "approver_limit_too_low"
    return AuthorityExceeded(
        id=derived_id(grant.grant_id, "authority.exceeded"), source=SOURCE,
        time=grant.granted_at, subject=grant.ticket_id,
        data={"grant_id": grant.grant_id, "agent": grant.agent, "level": agent.level,
              "team": agent.team or None, "contact_reason": grant.contact_reason,
              "kind": grant.kind, "amount": grant.amount, "currency": grant.currency,
              "limit": limit, "approved_by": grant.approved_by,
              "approver_level": approver_level, "approver_limit": approver_limit,
              "why": why, "granted_at": grant.granted_at, "department": spec.department,
              "priority": priority})


def audit_draw(grant_id: str) -> float:
    """A number in [0, 1) fixed by the grant id alone (SHA-256): the sample below the
    threshold is the grants whose draw is below the rate, the same on every replay."""
    digest = hashlib.sha256(grant_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def audit_item(spec: AuthoritySpec, grant: Grant,
               roster: dict[str, AgentSpec] | None = None) -> AuditItemOpened | None:
    """An audit item for every grant at or above the threshold, and for the grants below it
    that the deterministic sample draws; ``None`` for the others."""
    if grant.amount >= spec.audit.threshold:
        selected_by = "threshold"
    elif audit_draw(grant.grant_id) < spec.audit.sample_rate:
        selected_by = "sample"
    else:
        return None
    agent = agent_of(spec, grant.agent, roster)
    audit_id = derived_id(grant.grant_id, "audit.item_opened")
    return AuditItemOpened(
        id=audit_id, source=SOURCE, time=grant.granted_at, subject=grant.ticket_id,
        data={"audit_id": audit_id, "grant_id": grant.grant_id, "agent": grant.agent,
              "level": agent.level, "team": agent.team or None,
              "contact_reason": grant.contact_reason, "kind": grant.kind,
              "amount": grant.amount, "currency": grant.currency, "selected_by": selected_by,
              "threshold": spec.audit.threshold, "sample_rate": spec.audit.sample_rate,
              "granted_at": grant.granted_at})


def tally(spec: AuthoritySpec, contacts: Iterable[tuple[str, str, datetime]],
          grants: Iterable[Grant], roster: dict[str, AgentSpec] | None = None) -> list[Activity]:
    """Per (agent, contact reason, local month): contacts handled (``(agent, reason, at)``
    triples) and grants made, sorted. A grant without a counted contact counts one."""
    counts: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for agent, reason, at in contacts:
        counts[(agent, reason, local_date(spec, at).strftime("%Y-%m"))][0] += 1
    for grant in grants:
        row = counts[(grant.agent, grant.contact_reason,
                      local_date(spec, grant.granted_at).strftime("%Y-%m"))]
        row[1] += 1
        row[2] += grant.amount
    result = []
    for (agent, reason, period), (n_contacts, n_grants, amount) in sorted(counts.items()):
        who = agent_of(spec, agent, roster)
        result.append(Activity(agent, who.level, who.team or None, reason, period,
                               max(n_contacts, n_grants), n_grants, amount))
    return result


def activity_of_outputs(spec: AuthoritySpec, outputs: Iterable[CloudEvent],
                        roster: dict[str, AgentSpec] | None = None) -> list[Activity]:
    """:func:`tally` of replay (or stream) outputs: a contact per first attribution by rule
    (``sla.attributed`` with reason ``rule``) naming the agent who took it, a grant per
    ``concession.recorded``. The ledger computes the same from its tables."""
    contacts, grants = [], []
    for event in outputs:
        data = event.data
        if event.type == "sla.attributed" and data.reason == "rule" and data.agent:
            contacts.append((data.agent, data.category, event.time))
        elif event.type == "concession.recorded":
            grants.append(Grant(data.grant_id, event.subject, data.agent, data.amount,
                                data.currency, data.kind, data.contact_reason,
                                data.granted_at, data.approved_by))
    return tally(spec, contacts, grants, roster)


def _robust(values: list[float]) -> tuple[float, float, float]:
    """(median, MAD, the spread scores divide by: scaled MAD, floored)."""
    mid = median(values)
    mad = median([abs(v - mid) for v in values])
    return mid, mad, max(MAD_SCALE * mad, MIN_SPREAD_SHARE * abs(mid), 1e-9)


def flag_over_generous(spec: AuthoritySpec, activity: Iterable[Activity],
                       at: datetime) -> list[AuthorityFlagged]:
    """Agents far more generous than peers of the same level, per contact reason and month.

    Peers are the agents of the level with at least ``flags.min_contacts`` contacts of the
    reason in the month (fewer: not judged, so a new agent is not flagged by noise); with
    fewer than ``flags.min_peers`` of them nobody is judged. An agent is flagged when their
    grant rate per contact, or their amount per grant (among peers with
    ``flags.min_grants`` grants: one large grant is not a habit), scores ``flags.min_score``
    or more: ``(figure - median) / (1.4826 * MAD)`` (for a grant rate, never less than the
    binomial noise ``sqrt(m * (1 - m) / contacts)`` at the median rate m), and the figure is
    ``flags.min_ratio`` times the median or more (material: the binomial noise of an
    ordinary agent's month is not a flag). A grant rate is flagged only with
    ``flags.min_grants`` grants too: where most peers grant nothing (median 0) one or two
    grants are not a habit either.
    ``at`` is when the flags are raised.
    """
    groups: dict[tuple[str, str, str], list[Activity]] = defaultdict(list)
    for row in activity:
        if row.contacts >= spec.flags.min_contacts:
            groups[(row.contact_reason, row.period, row.level)].append(row)
    flags = []
    for key in sorted(groups):
        peers = sorted(groups[key], key=lambda r: r.agent)
        if len(peers) >= spec.flags.min_peers:
            flags += _flag_group(spec, peers, at)
    return flags


def _flag_group(spec: AuthoritySpec, peers: list[Activity],
                at: datetime) -> list[AuthorityFlagged]:
    rates = {r.agent: r.grants / r.contacts for r in peers}
    per_grant = {r.agent: float(r.amount / r.grants) for r in peers
                 if r.grants >= spec.flags.min_grants}
    rate_mid, rate_mad, rate_spread = _robust(list(rates.values()))
    amount_mid, amount_mad, amount_spread = (
        _robust(list(per_grant.values())) if len(per_grant) >= spec.flags.min_peers
        else (0.0, 0.0, 0.0))
    flags = []
    for row in peers:
        # never narrower than the binomial noise of the agent's own contacts at the median
        noise = math.sqrt(rate_mid * (1 - rate_mid) / row.contacts) if rate_mid < 1 else 0.0
        rate_score = (rates[row.agent] - rate_mid) / max(rate_spread, noise)
        amount_score = ((per_grant[row.agent] - amount_mid) / amount_spread
                        if amount_spread and row.agent in per_grant else 0.0)
        ratio = spec.flags.min_ratio
        far = (rates[row.agent] >= ratio * rate_mid and row.grants >= spec.flags.min_grants,
               per_grant.get(row.agent, 0.0) >= ratio * amount_mid)
        metrics = [name for name, score, material in (("grant_rate", rate_score, far[0]),
                                                      ("amount_per_grant", amount_score, far[1]))
                   if score >= spec.flags.min_score and material]
        if metrics:
            flags.append(_flag(spec, row, at, metrics, len(peers), (
                rate_mid, rate_mad, amount_mid, amount_mad, rate_score, amount_score)))
    return flags


def _flag(spec: AuthoritySpec, row: Activity, at: datetime, metrics: list[str], peers: int,
          figures: tuple[float, ...]) -> AuthorityFlagged:
    rate_mid, rate_mad, amount_mid, amount_mad, rate_score, amount_score = figures
    flag_id = derived_id(row.agent, row.contact_reason, row.period, row.level,
                         "authority.flagged")
    cents = Decimal("0.01")
    per_grant = (row.amount / row.grants).quantize(cents) if row.grants else Decimal(0)
    return AuthorityFlagged(
        id=flag_id, source=SOURCE, time=at, subject=row.agent,
        data={"flag_id": flag_id, "agent": row.agent, "level": row.level, "team": row.team,
              "contact_reason": row.contact_reason, "period": row.period, "metrics": metrics,
              "contacts": row.contacts, "grants": row.grants, "amount": row.amount,
              "currency": spec.currency, "grant_rate": round(row.grants / row.contacts, 4),
              "amount_per_grant": per_grant, "peers": peers,
              "peer_median_rate": round(rate_mid, 4), "peer_mad_rate": round(rate_mad, 4),
              "peer_median_amount": Decimal(str(round(amount_mid, 2))),
              "peer_mad_amount": Decimal(str(round(amount_mad, 2))),
              "rate_score": round(rate_score, 2), "amount_score": round(amount_score, 2),
              "min_score": spec.flags.min_score})
