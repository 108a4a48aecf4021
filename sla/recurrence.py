"""Recurrence and corrective actions, in the department stage.

A ``recurrence`` rule watches each (department, category) it matches. Every complaint the
attribution rules give to the department (``sla.attributed`` with reason ``rule``) is
counted; when ``threshold`` of them fall within the trailing ``within`` (calendar time)
and no action of the rule is open for that category, a corrective action opens
(``corrective_action.opened``), due ``due`` later in working time on the department's
calendar. While it is open, complaints are only counted (the baseline grows).

The department declares its fix (``sla.fix_declared``, from the API through the ticket
stage). From then on each complaint of that category is a *recurrence*: ``on:
recurrence`` penalty rules fine it (:class:`sla.penalties.PenaltyEngine`). At the
department's first trigger at or after ``fixed_at + review_after`` the action is reviewed
(``corrective_action.reviewed``, timed at the review window's end): the rate of
complaints in the review window against the rate before the fix, from the start of the
window that opened the action until the fix. It worked when the review rate is below
``worked_below`` times the baseline rate. The action is then closed and the watch starts
afresh.

Everything happens at event time, in the (time, id) order of the department's triggers,
so replay and the stream agree. The state is bounded: a watch keeps fewer than
``threshold`` complaint times, an action only counters.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from models import CloudEvent, NotificationRequested, derived_id
from models._envelope import trusted_event
from models.actions import CorrectiveActionOpened, CorrectiveActionReviewed
from sla.calendar import BusinessCalendar, build_calendars
from sla.matching import matches
from sla.specs import RecurrenceRule, SlaConfig, written_duration

__all__ = ["ACTION_TYPES", "Action", "Recurrence", "Watch", "action_notifications"]

SOURCE = "sla-police"
#: What the department stage emits about corrective actions (and notifies the department of).
ACTION_TYPES = frozenset({"corrective_action.opened", "corrective_action.reviewed"})


@dataclass(slots=True)
class Action:
    """An open corrective action: counters only, whatever the traffic."""

    id: str
    anchor: str  # the ticket whose complaint reached the threshold
    opened_at: datetime
    due_at: datetime
    baseline_count: int  # complaints in the window when it opened
    since_open: int = 0  # complaints after it opened, before the fix
    fixed_at: datetime | None = None
    after_fix: int = 0  # complaints from the fix to the review


@dataclass(slots=True)
class Watch:
    """One recurrence rule's watch of one category of a department."""

    recent: deque[datetime] = field(default_factory=deque)  # no action open: < threshold
    action: Action | None = None


def _key(rule: str, category: str) -> str:
    return f"{rule}|{category}"


class Recurrence:
    """Applies the config's recurrence rules to a department book's ``recurrence`` watches
    (``dict[str, Watch]`` keyed ``rule|category``)."""

    def __init__(self, config: SlaConfig) -> None:
        self.config = config
        self.rules = {rule.name: rule for rule in config.recurrence}
        self._calendars: dict[str, BusinessCalendar] | None = None
        self._match_cache: dict[tuple[str, str], list[RecurrenceRule]] = {}

    def matching(self, department: str, category: str) -> list[RecurrenceRule]:
        """The rules that watch ``category`` of ``department``."""
        key = (department, category)
        rules = self._match_cache.get(key)
        if rules is None:
            fields = {"department": department, "category": category}
            rules = self._match_cache[key] = [
                r for r in self.config.recurrence if matches(r.match, fields)]
        return rules

    def review(self, watches: dict[str, Watch], department: str,
               at: datetime) -> list[CloudEvent]:
        """Review every fixed action whose review window ended by ``at``; close them."""
        out = []
        for key in sorted(watches):
            watch = watches[key]
            action = watch.action
            rule = self.rules.get(key.split("|", 1)[0])
            if action is None or action.fixed_at is None or rule is None:
                continue
            if action.fixed_at + rule.review_after <= at:
                out.append(self._reviewed(rule, department, key.split("|", 1)[1], action))
                watches[key] = Watch()
        return out

    def fix(self, watches: dict[str, Watch], action_id: str, at: datetime) -> bool:
        """Record a declared fix of ``action_id`` at ``at``; False when no such action is
        open (unknown, already fixed or reviewed): the declaration changes nothing."""
        for watch in watches.values():
            action = watch.action
            if action is not None and action.id == action_id and action.fixed_at is None:
                action.fixed_at = at
                return True
        return False

    def observe(self, watches: dict[str, Watch], event: CloudEvent
                ) -> tuple[list[CloudEvent], list[tuple[str, str]]]:
        """Count a complaint (an ``sla.attributed`` by rule): the actions it opens, and
        (recurrence rule, action id) of each fixed action it is a recurrence of."""
        data, at = event.data, event.time
        opened: list[CloudEvent] = []
        recurs: list[tuple[str, str]] = []
        for rule in self.matching(data.department, data.category):
            key = _key(rule.name, data.category)
            watch = watches.get(key)
            if watch is None:
                watch = watches[key] = Watch()
            action = watch.action
            if action is not None and action.fixed_at is not None:
                action.after_fix += 1
                recurs.append((rule.name, action.id))
            elif action is not None:
                action.since_open += 1
            elif self._reaches(rule, watch, at):
                watch.action = self._open(rule, event, len(watch.recent))
                watch.recent.clear()
                opened.append(self._opened(rule, event, watch.action))
        return opened, recurs

    @staticmethod
    def _reaches(rule: RecurrenceRule, watch: Watch, at: datetime) -> bool:
        """Add the complaint at ``at``; whether the window now holds ``threshold``."""
        horizon = at.astimezone(UTC) - rule.within  # elapsed time (see penalties._multiplier)
        recent = watch.recent
        while recent and recent[0] < horizon:
            recent.popleft()
        recent.append(at)
        return len(recent) >= rule.threshold

    def _open(self, rule: RecurrenceRule, event: CloudEvent, count: int) -> Action:
        if self._calendars is None:
            self._calendars = build_calendars(self.config.calendars)
        department = event.data.department
        calendar = self._calendars[self.config.departments[department].calendar]
        action_id = derived_id("corrective_action", rule.name, department,
                               event.data.category, event.id)
        return Action(action_id, event.subject, event.time,
                      calendar.add_duration(event.time, rule.due), count)

    def _opened(self, rule: RecurrenceRule, event: CloudEvent, action: Action) -> CloudEvent:
        data = dict(
            action_id=action.id, rule=rule.name, department=event.data.department,
            category=event.data.category, anchor_ticket=action.anchor,
            opened_at=action.opened_at, due_at=action.due_at, due=str(rule.due),
            baseline_count=action.baseline_count, window=_written(rule.within),
            window_seconds=int(rule.within.total_seconds()), caused_by=event.id)
        return trusted_event(CorrectiveActionOpened, derived_id(action.id, "opened"), SOURCE,
                             event.time, action.anchor, data)

    def _reviewed(self, rule: RecurrenceRule, department: str, category: str,
                  action: Action) -> CloudEvent:
        assert action.fixed_at is not None
        ends = action.fixed_at + rule.review_after
        before = action.baseline_count + action.since_open
        before_s = int((action.fixed_at - action.opened_at + rule.within).total_seconds())
        after_s = int(rule.review_after.total_seconds())
        worked = (action.after_fix * before_s
                  < Fraction(str(rule.worked_below)) * before * after_s)
        data = dict(
            action_id=action.id, rule=rule.name, department=department, category=category,
            anchor_ticket=action.anchor, opened_at=action.opened_at, fixed_at=action.fixed_at,
            reviewed_at=ends, baseline_count=before, baseline_seconds=before_s,
            baseline_per_day=_per_day(before, before_s), review_count=action.after_fix,
            review_seconds=after_s, review_per_day=_per_day(action.after_fix, after_s),
            worked_below=rule.worked_below, worked=worked)
        return trusted_event(CorrectiveActionReviewed, derived_id(action.id, "reviewed"),
                             SOURCE, ends, action.anchor, data)


def _per_day(count: int, seconds: int) -> float:
    return round(count * 86400 / seconds, 4)


def _written(period: timedelta) -> str:
    """A calendar period in the policy's notation (``7d``, ``36h``)."""
    return written_duration(period.seconds, period.days)


def _text(event: CloudEvent) -> tuple[str, str, str]:
    """(severity, title, body) of the notification about an action event."""
    d = event.data
    if event.type == "corrective_action.opened":
        return ("warning", f"Corrective action opened: {d.category}",
                f"{d.baseline_count} complaints of {d.category} within {d.window} (rule "
                f"{d.rule}, latest {d.anchor_ticket}): declare what you change by "
                f"{d.due_at.isoformat()} (action {d.action_id}).")
    verdict = "worked" if d.worked else "did not work"
    return ("info", f"Corrective action {verdict}: {d.category}",
            f"Since your fix of {d.fixed_at.isoformat()}: {d.review_count} complaints of "
            f"{d.category} ({d.review_per_day}/day) against {d.baseline_count} before it "
            f"({d.baseline_per_day}/day); it {verdict} (action {d.action_id}).")


def action_notifications(event: CloudEvent) -> list[CloudEvent]:
    """The department's ``notification.requested`` about an opened or reviewed action."""
    severity, title, body = _text(event)
    data = {"department": event.data.department, "severity": severity, "title": title,
            "body": body, "ref_id": event.id, "ref_type": event.type}
    return [trusted_event(NotificationRequested, derived_id(event.id, "notify"), event.source,
                          event.time, event.subject, data)]
