"""The department stage: turn breaches, attributions and settled charges into fines
and points.

Penalties depend on a department's history (repeat multipliers, monthly caps),
so this stage keeps one :class:`PenaltyBook` per department and must see its
inputs in event-time order, ties broken by id: replay sorts them; the stream
orders them with watermarks. Reversals (an upheld dispute, a reassignment) undo
a department's penalties for one ticket with ``penalty.reversed``.

Triggers: ``sla.breached`` (rules ``on: breach``, charged to the assignee at breach
time when the rule says so); ``sla.attributed`` (rules ``on: complaint`` charged to
the department, when a department becomes the complaint's owner; and the reversals);
``sla.charge_settled`` (rules ``on: complaint`` charged to the assignee, once the
owner's assignee is known: :mod:`sla.charges`); ``sla.fix_declared`` (a corrective
action's fix: :mod:`sla.recurrence`, whose repeats rules ``on: recurrence`` fine);
``authority.exceeded`` naming a department (rules ``on: authority_exceeded``, charged to
the granting agent when the rule says ``charge: assignee``; never reversed by a ticket's
hand-over: the grant was the agent's, whoever owns the complaint).
"""

from __future__ import annotations

from collections import deque
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from models import CloudEvent, PenaltyAssessed, PenaltyReversed, derived_id
from models._envelope import trusted_event
from sla.matching import matches
from sla.recurrence import Recurrence, Watch
from sla.specs import PenaltyRule, SlaConfig

__all__ = ["TRIGGERS", "PenaltyBook", "PenaltyEngine", "PenaltyRecord"]

SOURCE = "sla-police"
ZERO = Decimal(0)
#: Outcomes the department stage applies.
TRIGGERS = frozenset({"sla.breached", "sla.attributed", "sla.charge_settled",
                      "sla.fix_declared", "authority.exceeded"})
#: Which per-complaint rules each trigger assesses: by whom they are charged.
_COMPLAINT_CHARGE = {"sla.attributed": "department", "sla.charge_settled": "assignee"}


@dataclass(slots=True)
class PenaltyRecord:
    """What a book remembers of one assessed penalty, to reverse it later."""

    id: str
    rule: str
    trigger: str
    time: datetime
    period: str
    fine: Decimal
    points: int
    assignee: str | None
    reversed_by: str | None = None  # id of the trigger that reversed it

    @property
    def reversed(self) -> bool:
        return self.reversed_by is not None


@dataclass(slots=True)
class PenaltyBook:
    """One department's penalty state.

    ``history`` holds, per rule, the penalties inside the longest repeat window
    (oldest first, pruned as time moves on); ``reversed_ids`` the reversed ones
    still in it. ``by_ticket`` keeps every penalty of a ticket, reversed ones
    flagged, which is what makes a redelivered trigger a no-op. It is any mutable
    mapping: a dict offline, a table view in the stream (it grows with tickets,
    so the stream stores it under its own keys rather than inside the book).
    """

    department: str
    history: dict[str, deque[tuple[datetime, str]]] = field(default_factory=dict)
    reversed_ids: set[str] = field(default_factory=set)
    period_totals: dict[str, Decimal] = field(default_factory=dict)
    by_ticket: MutableMapping[str, list[PenaltyRecord]] = field(default_factory=dict)
    #: (epoch seconds, id) of the last trigger applied: makes re-application a no-op
    last_applied: tuple[float, str] | None = None
    #: recurrence watches and corrective actions, keyed ``rule|category`` (sla.recurrence)
    recurrence: dict[str, Watch] = field(default_factory=dict)


class PenaltyEngine:
    """Applies the config's penalty rules to one department's book."""

    def __init__(self, config: SlaConfig) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._rule_cache: dict[tuple, list[PenaltyRule]] = {}
        self.recurrence = Recurrence(config)

    @staticmethod
    def departments_for(event: CloudEvent) -> list[str]:
        """The books an outcome must reach: its department, and the one it left."""
        departments = [event.data.department]
        previous = event.data.__dict__.get("previous_department")
        if previous and previous != event.data.department:
            departments.append(previous)
        return departments

    @staticmethod
    def is_trigger(event: CloudEvent) -> bool:
        """Whether ``event`` goes to the department stage: the one routing point of
        replay, sharded replay and the stream."""
        return event.type in TRIGGERS and (
            event.type != "authority.exceeded" or event.data.department is not None)

    def apply(self, book: PenaltyBook, event: CloudEvent) -> list[CloudEvent]:
        """Penalties assessed or reversed in ``book`` because of ``event``.

        Idempotent: a trigger at or before the book's last applied one changes
        nothing, except a *late* one (only possible in a wall-clock stream) that
        was never recorded. A newer trigger whose records were already written
        (a crash between two table writes) is recomputed from the book and
        gives the same penalties.
        """
        if not self.is_trigger(event):
            return []
        order = (event.time.timestamp(), event.id)
        fresh = book.last_applied is None or order > book.last_applied
        if not fresh:
            return self._dispatch(book, event, fresh)
        book.last_applied = order
        reviewed = self.recurrence.review(book.recurrence, book.department, event.time) \
            if book.recurrence else []
        return reviewed + self._dispatch(book, event, fresh)

    def _dispatch(self, book: PenaltyBook, event: CloudEvent, fresh: bool) -> list[CloudEvent]:
        if event.type == "sla.breached":
            if event.data.department != book.department:
                return []
            return self._assess(book, event, "breach", event.id, fresh)
        if event.type == "sla.charge_settled":
            if event.data.department != book.department:
                return []
            return self._assess(book, event, "complaint", event.subject, fresh)
        if event.type == "authority.exceeded":
            if event.data.department != book.department:
                return []
            return self._assess(book, event, "authority_exceeded", event.id, fresh)
        if event.type == "sla.fix_declared":
            if fresh and event.data.department == book.department:
                self.recurrence.fix(book.recurrence, event.data.action_id, event.time)
            return []
        reason = event.data.reason
        if event.data.previous_department == book.department and reason != "transfer":
            return self._reverse(book, event, reason == "dispute", fresh)
        if event.data.department == book.department and reason != "transfer":
            out = self._assess(book, event, "complaint", event.subject, fresh)
            if reason == "rule" and fresh and self.config.recurrence:
                out += self._recur(book, event)
            return out
        return []

    def _recur(self, book: PenaltyBook, event: CloudEvent) -> list[CloudEvent]:
        """Count a new complaint for recurrence: the actions it opens, and the ``on:
        recurrence`` fines when it repeats after a declared fix (once per rule, naming the
        first action it recurs after). Only for a fresh trigger: the watches moved on."""
        opened, recurs = self.recurrence.observe(book.recurrence, event)
        if not recurs:
            return opened
        names = {name for name, _ in recurs}
        fields = {"department": book.department, "priority": event.data.priority,
                  "category": event.data.category}
        rules = [r for r in self.config.penalties if r.on == "recurrence"
                 and (r.recurrence is None or r.recurrence in names) and matches(r.match, fields)]
        action_of = {r.name: next(a for n, a in recurs if r.recurrence in (None, n))
                     for r in rules}
        return opened + self._assess(book, event, "recurrence", event.subject, True,
                                     rules, action_of)

    def _rules(self, event: CloudEvent, trigger: str) -> list[PenaltyRule]:
        """The rules ``event`` assesses. Per-complaint rules charged to the department
        are assessed at attribution, those charged to the assignee at settlement."""
        data = event.data.__dict__
        category = data["contact_reason"] if trigger == "authority_exceeded" else data["category"]
        key = (event.type, data["department"], data["priority"], category,
               data.get("policy"), data.get("metric"))
        rules = self._rule_cache.get(key)
        if rules is None:
            fields = dict(zip(("department", "priority", "category", "policy", "metric"),
                              key[1:], strict=True))
            charge = _COMPLAINT_CHARGE.get(event.type)
            rules = self._rule_cache[key] = [
                r for r in self.config.penalties if r.on == trigger
                and (charge is None or r.charge == charge)
                and (r.metric is None or r.metric == fields["metric"])
                and matches(r.match, fields)]
        return rules

    def _assess(self, book: PenaltyBook, event: CloudEvent, trigger: str, seed_of: str,
                fresh: bool, rules: list[PenaltyRule] | None = None,
                action_of: dict[str, str] | None = None) -> list[CloudEvent]:
        """The penalties of the rules ``event`` assesses; their ids derive from
        ``derived_id(seed_of)``, hashed only when a rule applies (about half the time)."""
        out: list[CloudEvent] = []
        rules = self._rules(event, trigger) if rules is None else rules
        if not rules:
            return out
        seed = derived_id(seed_of)
        for rule in rules:
            penalty_id = derived_id(seed, book.department, rule.name, trigger)
            records = book.by_ticket.get(event.subject, [])
            mine = [r for r in records if r.id == penalty_id]
            if mine and not (fresh and self._written_by(mine[0], event)):
                continue  # redelivered trigger, or the ticket came back: never twice
            if mine:  # written before a crash, book not updated: recompute it
                book.by_ticket[event.subject] = [r for r in records if r.id != penalty_id]
            out.append(self._assess_one(book, event, rule, trigger, penalty_id,
                                        (action_of or {}).get(rule.name)))
        return out

    @staticmethod
    def _written_by(record: PenaltyRecord, event: CloudEvent) -> bool:
        return record.time == event.time and not record.reversed

    def _assess_one(self, book: PenaltyBook, event: CloudEvent, rule: PenaltyRule,
                    trigger: str, penalty_id: str, action_id: str | None = None) -> CloudEvent:
        at = event.time
        local = at.astimezone(self.zone)
        period = f"{local.year:04d}-{local.month:02d}"  # strftime("%Y-%m"), faster
        multiplier = self._multiplier(book, rule, at)
        amount = rule.fine * multiplier
        fine = amount
        if rule.cap is not None:
            key = f"{rule.name}|{period}"
            fine = min(amount, max(rule.cap.fine - book.period_totals.get(key, ZERO), ZERO))
            book.period_totals[key] = book.period_totals.get(key, ZERO) + fine
        if rule.repeat is not None:
            book.history.setdefault(rule.name, deque()).append((at, penalty_id))
        assignee = (event.data.agent if trigger == "authority_exceeded"
                    else event.data.assignee)
        records = book.by_ticket.get(event.subject, [])
        book.by_ticket[event.subject] = [*records, PenaltyRecord(
            penalty_id, rule.name, trigger, at, period, fine, rule.points, assignee)]
        data = dict(
            department=book.department, assignee=assignee,
            charged_to="assignee" if rule.charge == "assignee" and assignee else "department",
            rule=rule.name, trigger=trigger,
            breach_id=event.id if trigger == "breach" else None,
            metric=event.data.__dict__.get("metric"), base_fine=rule.fine,
            multiplier=multiplier, capped_amount=amount - fine, fine=fine, points=rule.points,
            currency=self.config.currency, period=period, assessed_at=at, action_id=action_id)
        return trusted_event(PenaltyAssessed, penalty_id, SOURCE, at, event.subject, data)

    @staticmethod
    def _multiplier(book: PenaltyBook, rule: PenaltyRule, at: datetime) -> Decimal:
        if rule.repeat is None:
            return Decimal(1)
        # Elapsed time, not wall time: a zone-aware ``at`` (sequential replay) and a
        # fixed-offset one (parsed from JSON: stream, sharded replay) give one horizon.
        horizon = at.astimezone(UTC) - rule.repeat.within
        recent = book.history.get(rule.name)
        while recent and recent[0][0] < horizon:
            book.reversed_ids.discard(recent.popleft()[1])
        live = recent and any(i not in book.reversed_ids for _, i in recent)
        return rule.repeat.multiplier if live else Decimal(1)

    def _reverse(self, book: PenaltyBook, event: CloudEvent, breaches_too: bool,
                 fresh: bool) -> list[CloudEvent]:
        out: list[CloudEvent] = []
        records = book.by_ticket.get(event.subject, [])
        for record in records:
            if (record.trigger == "breach" and not breaches_too) \
                    or record.trigger == "authority_exceeded":
                continue
            redo = fresh and record.reversed_by == event.id  # crash between writes
            if record.reversed and not redo:
                continue
            record.reversed_by = event.id
            out.append(self._reversal(book, event, record))
        if out:
            book.by_ticket[event.subject] = records  # write back (a table needs the set)
        return out

    def _reversal(self, book: PenaltyBook, event: CloudEvent,
                  record: PenaltyRecord) -> CloudEvent:
        key = f"{record.rule}|{record.period}"
        if key in book.period_totals:
            book.period_totals[key] -= record.fine
        if record.rule in book.history:
            book.reversed_ids.add(record.id)
        dispute = event.data.reason == "dispute"
        data = dict(
            penalty_id=record.id, department=book.department, assignee=record.assignee,
            rule=record.rule, fine=record.fine, points=record.points,
            currency=self.config.currency,
            reason="dispute upheld" if dispute else "ticket reassigned",
            dispute_id=event.data.dispute_id if dispute else None,
            caused_by=event.data.caused_by, reversed_at=event.time)
        return trusted_event(PenaltyReversed, derived_id(record.id, "reversed"), SOURCE,
                             event.time, event.subject, data)
