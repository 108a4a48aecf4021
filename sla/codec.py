"""JSON-ready encoding of engine state, for changelog-backed stream tables.

``decode(encode(x))`` continues exactly like ``x``: the tests check that a
ticket encoded mid-life and decoded again produces the same outcomes.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from models import INBOUND_TYPES, CloudEvent
from sla.clocks import Clock
from sla.penalties import PenaltyBook, PenaltyRecord
from sla.recurrence import Action, Watch
from sla.ticket import TicketState

__all__ = [
    "decode_book",
    "decode_history",
    "decode_records",
    "decode_ticket",
    "encode_book",
    "encode_history",
    "encode_records",
    "encode_ticket",
    "ticket_fields",
]

_CLOCK_TIMES = ("started_at", "running_since", "due_at", "next_warning")
_CLOCK_FIELDS = tuple(Clock.__slots__)
_clock_values = operator.attrgetter(*_CLOCK_FIELDS)


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _encode_clock(clock: Clock) -> dict[str, Any]:
    data = dict(zip(_CLOCK_FIELDS, _clock_values(clock), strict=True))
    for name in _CLOCK_TIMES:
        if (value := data[name]) is not None:
            data[name] = value.isoformat()
    data["warn_at"] = list(clock.warn_at)
    data["pausable"] = sorted(clock.pausable)
    return data


def _decode_clock(data: dict[str, Any]) -> Clock:
    values = dict(data)
    values.update({name: _dt(values[name]) for name in _CLOCK_TIMES})
    values["warn_at"] = tuple(values["warn_at"])
    values["pausable"] = frozenset(values["pausable"])
    return Clock(**values)


def encode_ticket(state: TicketState,
                  event_json: Callable[[CloudEvent], str] | None = None) -> dict[str, Any]:
    """The state as JSON-ready values; pending events as their JSON text (``event_json``,
    if given, returns an event's ``to_json()``, perhaps kept from before)."""
    as_json = event_json or _to_json
    return {
        "ticket_id": state.ticket_id,
        "seen": sorted(state.seen),
        "pending": [as_json(e) for e in state.pending],
        "complaint": state.complaint,
        "department": state.department,
        "assignee": state.assignee,
        "status": state.status,
        "cycle": state.cycle,
        "paused_reason": state.paused_reason,
        "clocks": [_encode_clock(c) for c in state.clocks],
        "stints": state.stints,
        "disputes": {k: [d, _t(t)] for k, (d, t) in state.disputes.items()},
        "last_time": _t(state.last_time),
        "charge": None if state.charge is None else [state.charge[0], _t(state.charge[1])],
        "charged": state.charged,
        "revision": state.revision,
        "requests": state.requests,
        "audits": state.audits,
    }


def ticket_fields(state: TicketState) -> dict[str, Any]:
    """The state's fields by :func:`encode_ticket`'s keys, in its order, not converted: a
    serialiser that writes datetimes as ``isoformat()``, dataclasses (the clocks) field by
    field, tuples as lists and sets as sorted lists writes :func:`encode_ticket`'s JSON
    from it, without a dict per clock or a Python call per time (the store's rows: orjson
    does it all in C). ``"pending"`` holds the events themselves."""
    return {"ticket_id": state.ticket_id, "seen": state.seen, "pending": state.pending,
            "complaint": state.complaint, "department": state.department,
            "assignee": state.assignee, "status": state.status, "cycle": state.cycle,
            "paused_reason": state.paused_reason, "clocks": state.clocks,
            "stints": state.stints, "disputes": state.disputes,
            "last_time": state.last_time, "charge": state.charge, "charged": state.charged,
            "revision": state.revision, "requests": state.requests, "audits": state.audits}


def _to_json(event: CloudEvent) -> str:
    return event.to_json()


def decode_ticket(data: dict[str, Any]) -> TicketState:
    """A ticket from :func:`encode_ticket`; also from rows written before charges were
    settled (no ``charge``): the engine of those days charged at attribution, so the
    holder counts as charged already and nothing is left open."""
    pending = []
    for raw in data["pending"]:
        kind = raw.split('"type":"', 1)[1].split('"', 1)[0]
        pending.append(INBOUND_TYPES[kind].model_validate_json(raw))
    return TicketState(
        ticket_id=data["ticket_id"], seen=set(data["seen"]), pending=pending,
        complaint=data["complaint"], department=data["department"],
        assignee=data["assignee"], status=data["status"], cycle=data["cycle"],
        paused_reason=data["paused_reason"],
        clocks=[_decode_clock(c) for c in data["clocks"]], stints=dict(data["stints"]),
        disputes={k: _dispute(v) for k, v in data["disputes"].items()},
        last_time=_dt(data["last_time"]), **_charge(data),
        revision=data.get("revision", 0),
        requests=data.get("requests", {}), audits=data.get("audits", {}),
    )


def _dispute(value: str | list[Any]) -> tuple[str, datetime | None]:
    """(department, filed at); rows of before filing times were kept hold the department."""
    if isinstance(value, str):
        return value, None
    return value[0], _dt(value[1])


def _charge(data: dict[str, Any]) -> dict[str, Any]:
    if "charged" not in data:
        return {"charge": None, "charged": [data["department"]] if data["department"] else []}
    charge = data["charge"]
    return {"charge": None if charge is None else (charge[0], _dt(charge[1])),
            "charged": list(data["charged"])}


def encode_book(book: PenaltyBook) -> dict[str, Any]:
    """The book's windowed state; ``by_ticket`` is encoded per ticket, apart."""
    return {
        "department": book.department,
        "history": {rule: [[_t(t), i] for t, i in items] for rule, items in book.history.items()},
        "reversed_ids": sorted(book.reversed_ids),
        "period_totals": {k: str(v) for k, v in book.period_totals.items()},
        "last_applied": list(book.last_applied) if book.last_applied else None,
        "recurrence": {key: _encode_watch(w) for key, w in book.recurrence.items()},
    }


def _encode_watch(watch: Watch) -> dict[str, Any]:
    action = watch.action
    return {"recent": [t.isoformat() for t in watch.recent], "action": None if action is None
            else [action.id, action.anchor, _t(action.opened_at), _t(action.due_at),
                  action.baseline_count, action.since_open, _t(action.fixed_at),
                  action.after_fix]}


def _decode_watch(data: dict[str, Any]) -> Watch:
    action = data["action"]
    if action is not None:
        key, anchor, opened, due, baseline, since, fixed, after = action
        action = Action(key, anchor, _dt(opened), _dt(due), baseline, since, _dt(fixed), after)
    return Watch(deque(datetime.fromisoformat(t) for t in data["recent"]), action)


def decode_book(data: dict[str, Any],
                by_ticket: MutableMapping[str, list[PenaltyRecord]] | None = None) -> PenaltyBook:
    return PenaltyBook(
        department=data["department"],
        history={rule: deque((_dt(t), i) for t, i in items)
                 for rule, items in data["history"].items()},
        reversed_ids=set(data["reversed_ids"]),
        period_totals={k: Decimal(v) for k, v in data["period_totals"].items()},
        by_ticket=by_ticket if by_ticket is not None else {},
        last_applied=tuple(data["last_applied"]) if data.get("last_applied") else None,
        # books written before recurrence was tracked have none
        recurrence={k: _decode_watch(v) for k, v in data.get("recurrence", {}).items()},
    )


def encode_history(items: Iterable[tuple[datetime, str]]) -> list[list[str]]:
    """History entries (time, penalty id) of a book, for storing apart from the book."""
    return [[t.isoformat(), i] for t, i in items]


def decode_history(data: Iterable[list[str]]) -> list[tuple[datetime, str]]:
    return [(datetime.fromisoformat(t), i) for t, i in data]


def encode_records(records: list[PenaltyRecord]) -> list[list[Any]]:
    return [[r.id, r.rule, r.trigger, _t(r.time), r.period, str(r.fine), r.points, r.assignee,
             r.reversed_by] for r in records]


def decode_records(data: list[list[Any]]) -> list[PenaltyRecord]:
    return [PenaltyRecord(i, rule, trig, _dt(t), period, Decimal(fine), pts, who, rev)
            for i, rule, trig, t, period, fine, pts, who, rev in data]
