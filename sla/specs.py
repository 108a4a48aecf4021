"""Typed, validated form of the SLA policy file: what :mod:`sla.config` produces
and every other domain module consumes. Frozen, hashable, no I/O.

Times of day are seconds since local midnight (0..86400); a span's end may be
86400 (midnight of the next day). Weekdays are 0=Monday .. 6=Sunday.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sla._specs_calls import AutoBlockRule, BlocksSpec, CallsSpec, QaSpec

__all__ = [
    "AgentSpec",
    "AttributionRule",
    "AuditSpec",
    "AuthoritySpec",
    "AutoBlockRule",
    "BlocksSpec",
    "CalendarSpec",
    "CallsSpec",
    "Cap",
    "DeliverySpec",
    "DepartmentSpec",
    "DisputeDeadline",
    "Duration",
    "FlagSpec",
    "LimitRule",
    "PenaltyRule",
    "PilotSpec",
    "QaSpec",
    "RecurrenceRule",
    "Repeat",
    "SlaConfig",
    "SlaPolicy",
    "Span",
    "WebhookSpec",
    "written_duration",
]

Metric = Literal["acknowledge", "resolve"]
METRICS: tuple[Metric, ...] = ("acknowledge", "resolve")


@dataclass(frozen=True, slots=True)
class Span:
    """Working hours on one day: [start, end) in seconds since local midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= 86400:
            raise ValueError(f"bad span {self.start}-{self.end}")


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """When a department's clock runs.

    ``week`` has 7 entries (Mon..Sun), each a tuple of sorted, non-overlapping spans.
    ``holidays`` is a country code of the ``holidays`` package (e.g. "CN"): its
    statutory days off are closed, its make-up working days (调休) open with the
    hours of ``makeup_hours`` (default: the Monday hours).
    ``closed`` dates are closed; ``open`` dates are open with their own spans (wins
    over everything else).
    """

    name: str
    timezone: str
    week: tuple[tuple[Span, ...], ...]
    holidays: str | None = None
    closed: frozenset[date] = frozenset()
    open: Mapping[date, tuple[Span, ...]] = field(default_factory=dict)
    makeup_hours: tuple[Span, ...] | None = None

    @property
    def always_open(self) -> bool:
        """True for a 24x7 calendar with no holidays or exceptions."""
        full = (Span(0, 86400),)
        return (all(day == full for day in self.week) and not self.holidays
                and not self.closed and not self.open)


@dataclass(frozen=True, slots=True)
class Duration:
    """A target: ``days`` working days (same clock time) then ``seconds`` of working time.

    ``text`` is the duration as the policy writes it (``2d``, ``16h``); messages show
    it, never a number of seconds, so people read the target they agreed on.
    """

    days: int = 0
    seconds: int = 0
    text: str = ""

    def __str__(self) -> str:
        return self.text or written_duration(self.seconds, self.days)


def written_duration(seconds: int, days: int = 0) -> str:
    """``days`` and ``seconds`` in the policy's notation: ``2d``, ``16h``, ``1h30m``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"),
                                           (secs, "s")) if n]
    return "".join(parts) or "0s"


Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")
WebhookFormat = Literal["standard", "wecom", "dingtalk", "feishu"]
WEBHOOK_FORMATS: tuple[WebhookFormat, ...] = ("standard", "wecom", "dingtalk", "feishu")
Severity = Literal["warning", "breach", "penalty", "info"]
SEVERITIES: tuple[Severity, ...] = ("warning", "breach", "penalty", "info")
DeliveryMode = Literal["immediate", "hourly", "daily"]
DELIVERY_MODES: tuple[DeliveryMode, ...] = ("immediate", "hourly", "daily")


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    """Where and how a department's notifications are posted.

    ``url`` is written in the file, or ``url_env`` names the environment variable holding
    it (group-bot URLs carry their access token). ``format`` is the receiver's protocol:
    Standard Webhooks (the CloudEvent, signed) or a group bot's JSON. ``secret_env`` names
    the environment variable of the signing secret; the secret itself is never in the
    policy file.
    """

    url: str | None = None
    format: WebhookFormat = "standard"
    secret_env: str | None = None
    url_env: str | None = None

    def __str__(self) -> str:
        """For listings: the format and where the URL comes from, without its query."""
        where = f"${self.url_env}" if self.url_env else (self.url or "")
        if "?" in where:
            where = where.split("?", 1)[0] + "?..."
        return where if self.format == "standard" else f"{self.format}: {where}"


@dataclass(frozen=True, slots=True)
class DeliverySpec:
    """When a department hears of what: per severity ``immediate`` or gathered into an
    ``hourly`` or ``daily`` digest; with ``quiet_hours``, nothing but the ``urgent``
    severities is sent while the department's calendar is closed (it waits for the
    opening). See :mod:`sla.delivery`."""

    warning: DeliveryMode = "immediate"
    breach: DeliveryMode = "immediate"
    penalty: DeliveryMode = "hourly"
    info: DeliveryMode = "hourly"
    quiet_hours: bool = True
    urgent: frozenset[str] = frozenset({"breach"})

    def mode(self, severity: str) -> DeliveryMode:
        """The mode of ``severity`` (an unknown severity is sent at once)."""
        return getattr(self, severity) if severity in SEVERITIES else "immediate"


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """A department: ``name`` is its display name in messages, ``language`` theirs.
    ``delivery`` None: every notification is sent at once, day and night."""

    id: str
    name: str
    calendar: str
    webhook: WebhookSpec | None = None
    language: Language = "en"
    delivery: DeliverySpec | None = None


@dataclass(frozen=True, slots=True)
class AttributionRule:
    """First match wins. ``match`` maps a complaint field to a glob pattern, or to a
    tuple of globs meaning "any of" (see :func:`sla.matching.matches`)."""

    name: str  # e.g. "attribution[0]"
    department: str
    match: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """First match wins, on complaint fields plus ``department``."""

    name: str
    match: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    calendar: str | None = None  # None: the department's calendar
    acknowledge: Duration | None = None
    resolve: Duration | None = None
    pause_on: Mapping[Metric, frozenset[str]] = field(default_factory=dict)
    warn_at: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Repeat:
    """Multiply the fine when the same department was penalised under the same
    rule within ``within`` (calendar time) before this penalty."""

    within: timedelta
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class Cap:
    """At most ``fine`` per department per calendar month (in the config timezone)."""

    per: Literal["month"]
    fine: Decimal


@dataclass(frozen=True, slots=True)
class PenaltyRule:
    name: str
    on: Literal["breach", "complaint", "recurrence"]
    fine: Decimal
    points: int = 0
    metric: Metric | None = None  # on breach: only this metric (None: any)
    #: globs (str, or a tuple meaning any of) on department, policy, priority, category
    match: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    charge: Literal["department", "assignee"] = "department"
    repeat: Repeat | None = None
    cap: Cap | None = None
    #: on recurrence: only repeats under this recurrence rule (None: under any)
    recurrence: str | None = None


@dataclass(frozen=True, slots=True)
class RecurrenceRule:
    """When the same (department, category) recurs ``threshold`` times within ``within``
    (calendar time), a corrective action opens, due ``due`` later (working time on the
    department's calendar). ``review_after`` (calendar time) after its fix is declared the
    action is reviewed: it worked when the rate of complaints since the fix is below
    ``worked_below`` times the rate before it (:mod:`sla.recurrence`)."""

    name: str
    threshold: int
    within: timedelta
    due: Duration
    review_after: timedelta
    worked_below: float = 0.5
    #: globs (str, or a tuple meaning any of) on department and category
    match: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DisputeDeadline:
    """``disputes: {ruling_within: 3d, calendar: office}``: how long the contact center has
    to rule. With a ``calendar``, ``within`` is working time on it (``3d``: three working
    days later at the same clock time, like an SLA target); without one, calendar time."""

    within: Duration
    calendar: str | None = None

    def due(self, filed_at: datetime, calendars: Mapping[str, Any]) -> datetime:
        """When a dispute filed at ``filed_at`` must be ruled (``calendars`` by name: the
        :class:`~sla.calendar.BusinessCalendar` objects of the policy)."""
        if self.calendar is None:
            return filed_at + timedelta(days=self.within.days, seconds=self.within.seconds)
        return calendars[self.calendar].add_duration(filed_at, self.within)


@dataclass(frozen=True, slots=True)
class LimitRule:
    """Limits for the contact reasons matching ``reasons`` (globs, any of; empty: every
    reason): level -> largest amount an agent of that level grants alone. Only the levels
    the policy names; the others fall through to the next matching rule."""

    reasons: tuple[str, ...]
    limits: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class PilotSpec:
    """Expanded authority for a team or a list of agents, from ``start`` (a local date) up
    to but excluding ``end``; its ``limits`` win over the policy's while it runs."""

    name: str
    team: str | None
    agents: frozenset[str]
    start: date
    end: date
    limits: tuple[LimitRule, ...]


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """One agent on the roster."""

    agent: str
    level: str
    team: str


@dataclass(frozen=True, slots=True)
class AuditSpec:
    """Every grant of ``threshold`` or more is audited, and a share ``sample_rate`` of the
    grants below it (a deterministic draw on the grant id)."""

    threshold: Decimal
    sample_rate: float


@dataclass(frozen=True, slots=True)
class FlagSpec:
    """When an agent counts as over-generous: a robust score (distance from the peers'
    median in scaled MADs) of ``min_score`` or more, with at least ``min_contacts``
    contacts of the reason in the month and ``min_peers`` agents of the level compared."""

    min_contacts: int = 20
    min_peers: int = 5
    min_score: float = 3.5
    #: a flagged figure is also this multiple of the peers' median or more (material)
    min_ratio: float = 1.5
    #: amount per grant is compared only between agents with this many grants or more
    min_grants: int = 3


@dataclass(frozen=True, slots=True)
class AuthoritySpec:
    """The ``authority`` section: one approval chain, limits, audits, pilots, roster.

    ``levels`` run from the bottom of the chain (index 0) to its top; each reports to the
    next. ``limits`` end with the default rule (no reasons, every level named).
    """

    levels: tuple[str, ...]
    limits: tuple[LimitRule, ...]
    audit: AuditSpec
    pilots: tuple[PilotSpec, ...] = ()
    roster: Mapping[str, AgentSpec] = field(default_factory=dict)
    flags: FlagSpec = field(default_factory=FlagSpec)
    timezone: str = "UTC"
    currency: str = "CNY"
    #: the department whose penalty book takes ``on: authority_exceeded`` rules
    department: str | None = None
    #: the calendar approval waits are counted on (working time)
    calendar: str | None = None


@dataclass(frozen=True, slots=True)
class SlaConfig:
    timezone: str
    currency: str
    calendars: Mapping[str, CalendarSpec]
    departments: Mapping[str, DepartmentSpec]
    attribution: tuple[AttributionRule, ...]
    slas: tuple[SlaPolicy, ...]
    penalties: tuple[PenaltyRule, ...] = ()
    #: How long the contact center has to rule on a dispute; None: no limit.
    dispute_deadline: DisputeDeadline | None = None
    #: When a recurring (department, category) opens a corrective action.
    recurrence: tuple[RecurrenceRule, ...] = ()
    #: Agents' authority to grant concessions (None: the section is absent).
    authority: AuthoritySpec | None = None
    #: The service floor for calls (None: the section is absent).
    calls: CallsSpec | None = None
    source: str = "<memory>"
