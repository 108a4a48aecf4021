"""Every Prometheus metric SLA Police exposes, defined once, and the helpers that update them.

Metric names and labels are a contract: the Grafana dashboards (``deploy/grafana``) and the
alert and recording rules (``deploy/prometheus/rules``) query them by name, and
``docs/operations.md`` documents them. Rename nothing here without changing those too.

The metrics live in a dedicated :data:`REGISTRY`, not the process-wide default one, so a test
or a second app in the same process never collides with them and :func:`render` exposes
exactly SLA Police's series. The helpers (:func:`observe_outcome`, :func:`observe_rejection`,
...) hold the label logic, so the stream agents stay thin:

* call :func:`observe_inbound` for every inbound event accepted, :func:`observe_duplicate` for
  one already seen;
* call :func:`observe_outcome` for every outbound event published. For ``event.rejected`` it
  counts the dead letter *and* the rejection by kind (via :func:`observe_rejection`): do not
  call :func:`observe_rejection` again for the same input;
* call :func:`observe_breach_delay` when an ``sla.breached`` is emitted by the live timer.

:func:`observe_outcome` also feeds the boards' histograms: working time at ``sla.met`` and
``sla.breached`` (:data:`CLOCK_WORKING_TIME`, via :func:`observe_working_time`) and the
scores of ``sla.csat_recorded`` (:data:`CSAT_SCORE`). ``sla_business_volume_month``
(:data:`BUSINESS_VOLUME`) is set by the ledger sink from what the ledger holds
(:func:`set_business_volumes`).

Agent authority (the ``authority`` topic's outputs) is counted by contact-reason **top level**
(``delivery`` for ``delivery.late``) and fixed sets only: /metrics is public, so no agent,
approver, auditor, ticket or customer id is ever a label (:func:`observe_authority`).

``sla_open_clocks`` (:data:`OPEN_CLOCKS`) is written only by
:class:`streams.open_clocks.OpenClockCounts`, which the ticket stage keeps per partition.

Label values come from the SLA config (departments, rules, metrics) or from fixed sets, so the
number of series stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from models import CloudEvent

__all__ = [
    "APPROVALS",
    "APPROVAL_WAIT",
    "ATTRIBUTIONS",
    "AUDIT_ITEMS",
    "AUDIT_VERDICTS",
    "BLOCK_REFUSALS",
    "BREACH_EMIT_DELAY",
    "BUSINESS_VOLUME",
    "CALLER_BLOCKS",
    "CALLER_BLOCKS_ACTIVE",
    "CALLER_UNBLOCKS",
    "CALLS_ENDED",
    "CALL_NORM_BREACHES",
    "CLOCK_WORKING_TIME",
    "CONCESSIONS",
    "CONCESSION_AMOUNT",
    "CSAT_SCORE",
    "DEADLINE_INDEX_SIZE",
    "DEAD_LETTERS",
    "EVENTS_DUPLICATE",
    "EVENTS_IN",
    "EVENTS_LATE",
    "EVENTS_REJECTED",
    "EVENT_PROCESSING",
    "INPUT_REREAD",
    "LEDGER_RECORDS",
    "NOTIFICATIONS",
    "OPEN_CLOCKS",
    "OUTCOMES",
    "PENALTIES",
    "PENALTIES_REVERSED",
    "PENALTY_FINES",
    "PENALTY_FINES_REVERSED",
    "PENALTY_POINTS",
    "PENALTY_POINTS_REVERSED",
    "QA_ITEMS",
    "QA_VERDICTS",
    "REGISTRY",
    "REJECTION_KINDS",
    "REVIEWS_DUE",
    "TIMER_TICK",
    "WEBHOOK_DELIVERIES",
    "WORKER_INFO",
    "classify_rejection",
    "observe_authority",
    "observe_breach_delay",
    "observe_call_ended",
    "observe_call_output",
    "observe_duplicate",
    "observe_inbound",
    "observe_input_reread",
    "observe_late",
    "observe_ledger_record",
    "observe_outcome",
    "observe_qa_verdict",
    "observe_rejection",
    "observe_webhook_delivery",
    "observe_working_time",
    "render",
    "set_business_volumes",
    "set_worker_info",
]

#: The registry every SLA Police metric is registered in; the worker's /metrics serves it.
REGISTRY = CollectorRegistry(auto_describe=True)

#: Breaches are promised within a second of their due time: fine buckets below 1 s.
_DELAY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
    return Counter(name, doc, labels, registry=REGISTRY)


def _gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    return Gauge(name, doc, labels, registry=REGISTRY)


_CHILDREN: dict[tuple[object, tuple[str, ...]], Any] = {}


def _child(metric: Any, *values: str) -> Any:
    """``metric.labels(*values)`` (values in the order of its label names), kept: the
    client validates the names and takes a lock on every ``labels`` call, a few µs on
    each inbound event and output. Only for metrics never cleared (a cleared metric's
    kept child would count unseen)."""
    key = (metric, values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child


# -- inbound ------------------------------------------------------------------------------
EVENTS_IN = _counter("sla_events_in_total", "Inbound events accepted.", ("topic", "type"))
EVENTS_REJECTED = _counter(
    "sla_events_rejected_total", "Inputs refused and dead-lettered, by kind of reason.",
    ("topic", "reason"))
EVENTS_DUPLICATE = _counter(
    "sla_events_duplicate_total", "Inbound events ignored because their id was seen.", ("topic",))
INPUT_REREAD = _counter(
    "sla_input_reread_total", "Times a worker sought back over input offsets the stream "
    "framework skipped after a rebalance (each gap is read again once).", ("topic",))
EVENTS_LATE = _counter(
    "sla_events_late_total", "Inbound events older than what their ticket had already applied "
    "(published after a deadline they concern was decided): where the live stream can differ "
    "from a replay of the same log.", ("topic",))
DEAD_LETTERS = _counter(
    "sla_dead_letters_total", "event.rejected published, by the topic the input came from.",
    ("topic",))

# -- domain outcomes ----------------------------------------------------------------------
ATTRIBUTIONS = _counter(
    "sla_attributions_total", "Tickets attributed to a department.", ("department", "reason"))
OUTCOMES = _counter(
    "sla_outcomes_total", "SLA clock outcomes: warning, breached, met, cancelled.",
    ("type", "department", "metric"))
OPEN_CLOCKS = _gauge(
    "sla_open_clocks", "SLA clocks open (running, paused, or breached and not yet handled) on "
    "the partitions this worker owns.", ("department", "metric"))
PENALTIES = _counter("sla_penalties_total", "Penalties assessed.", ("department", "rule"))
PENALTY_FINES = _counter(
    "sla_penalty_fines_total", "Fines assessed (amount, in currency).", ("department", "currency"))
PENALTY_POINTS = _counter(
    "sla_penalty_points_total", "Demerit points assessed.", ("department",))
PENALTIES_REVERSED = _counter(
    "sla_penalties_reversed_total", "Penalties reversed (e.g. dispute upheld).",
    ("department", "rule"))
PENALTY_FINES_REVERSED = _counter(
    "sla_penalty_fines_reversed_total", "Fines reversed (amount, in currency).",
    ("department", "currency"))
PENALTY_POINTS_REVERSED = _counter(
    "sla_penalty_points_reversed_total", "Demerit points reversed.", ("department",))
NOTIFICATIONS = _counter(
    "sla_notifications_total", "Notifications requested.", ("department", "severity"))

# -- pipeline -----------------------------------------------------------------------------
BREACH_EMIT_DELAY = Histogram(
    "sla_breach_emit_delay_seconds", "Wall-clock time an sla.breached was emitted minus its due "
    "time.", buckets=_DELAY_BUCKETS, registry=REGISTRY)
EVENT_PROCESSING = Histogram(
    "sla_event_processing_seconds", "Time to process one inbound event.",
    buckets=_FAST_BUCKETS, registry=REGISTRY)
TIMER_TICK = Histogram(
    "sla_timer_tick_seconds", "Duration of one deadline timer tick.",
    buckets=_FAST_BUCKETS, registry=REGISTRY)
DEADLINE_INDEX_SIZE = _gauge("sla_deadline_index_size", "Entries in the deadline index.")
WORKER_INFO = _gauge("sla_worker_info", "Always 1; labels say what runs.", ("version", "app_id"))
LEDGER_RECORDS = _counter(
    "sla_ledger_records_total", "Ledger writes by event type: inserted or duplicate.",
    ("type", "result"))
WEBHOOK_DELIVERIES = _counter(
    "sla_webhook_deliveries_total", "Webhook deliveries by result.", ("department", "result"))


# -- boards: distributions and the scorecard's inputs -------------------------------------
#: Working-time SLAs run from minutes to days: 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h,
#: 8 h (a working day), 16 h, 1 d, 2 d, 4 d of working seconds.
WORKING_TIME_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0,
                        57600.0, 86400.0, 172800.0, 345600.0)
#: CSAT scores are whole numbers 1..5: one bucket per score.
CSAT_BUCKETS = (1.0, 2.0, 3.0, 4.0, 5.0)
CLOCK_WORKING_TIME = Histogram(
    "sla_clock_working_seconds", "Working seconds an SLA clock took: elapsed at sla.met "
    "(outcome=met); the target at sla.breached (outcome=breached, a lower bound).",
    ("department", "metric", "priority", "outcome"), buckets=WORKING_TIME_BUCKETS,
    registry=REGISTRY)
CSAT_SCORE = Histogram(
    "sla_csat_score", "Customer satisfaction scores (1-5) recorded, by the department holding "
    "the ticket.", ("department",), buckets=CSAT_BUCKETS, registry=REGISTRY)
BUSINESS_VOLUME = _gauge(
    "sla_business_volume_month", "Business volume the ledger holds for the current month so "
    "far (volume.reported), per department in the unit it reported last.", ("department", "unit"))


# -- agent authority: contact reason top level and fixed sets, never a person -------------
CONCESSIONS = _counter(
    "sla_concessions_total", "Concessions granted (concession.recorded), by contact reason "
    "top level, kind and authority (within, or exceeded: authority.exceeded raised).",
    ("reason", "kind", "authority"))
CONCESSION_AMOUNT = _counter(
    "sla_concession_amount_total", "Amount granted in concessions, in currency.",
    ("reason", "kind", "currency"))
APPROVALS = _counter(
    "sla_approvals_total", "Requests for leave to grant, decided (approval.recorded).",
    ("reason", "decision"))
APPROVAL_WAIT = Histogram(
    "sla_approval_wait_working_seconds", "Working seconds from concession.requested to its "
    "decision, on the authority calendar.", ("decision",), buckets=WORKING_TIME_BUCKETS,
    registry=REGISTRY)
AUDIT_ITEMS = _counter(
    "sla_audit_items_total", "Audit items opened, by how the grant was selected (threshold: "
    "at or above the audit threshold; sample: drawn below it).", ("selected_by",))
AUDIT_VERDICTS = _counter(
    "sla_audit_verdicts_total", "Audit items closed, by verdict.", ("verdict",))


def render(names: Collection[str] = ()) -> tuple[bytes, str]:
    """The exposition text of :data:`REGISTRY` and its HTTP content type.

    ``names``: only the samples of these names (``/metrics?name[]=...``, as
    prometheus_client's own handler filters). Only their metrics are collected, so a
    tool that polls a few counters often (the benches) costs the worker little; a
    whole exposition walks every series.
    """
    registry = REGISTRY.restricted_registry(names) if names else REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


# -- helpers: inbound ---------------------------------------------------------------------
def observe_inbound(topic: str, event_type: str) -> None:
    """Count one inbound event accepted from ``topic``."""
    _child(EVENTS_IN, topic, event_type).inc()


def observe_input_reread(topic: str) -> None:
    """Count one seek back over skipped input offsets of ``topic``."""
    INPUT_REREAD.labels(topic=topic).inc()


def observe_late(topic: str) -> None:
    """Count one inbound event applied late (its time is before its ticket's latest)."""
    EVENTS_LATE.labels(topic=topic).inc()


def observe_duplicate(topic: str) -> None:
    """Count one inbound event ignored as already seen."""
    EVENTS_DUPLICATE.labels(topic=topic).inc()


#: Short kinds of rejection reason, the values of ``sla_events_rejected_total{reason}``.
REJECTION_KINDS = (
    "invalid_json", "not_an_object", "missing_field", "unknown_type", "outbound_type",
    "bad_time", "bad_value", "wrong_key", "unknown_department", "semantic",
)

#: (kind, pattern on the first message of the reason), first match wins. The texts are the
#: ones :func:`models.parse.parse_event` and :class:`sla.engine.SlaEngine` write.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        ("invalid_json", r"^(invalid JSON|empty message|unreadable payload)"),
        ("unknown_department", r"^unknown department\b"),
        ("outbound_type", r"is published by SLA Police"),
        ("unknown_type", r"^unknown event type\b"),
        ("missing_field", r"^missing field\b"),
        ("not_an_object", r"^payload: expected a JSON object"),
        ("wrong_key", r"^(the )?(message |record |kafka )?key\b"),
        ("bad_time", r"^time: |no UTC offset|^[\w.\[\]]*_at: "),
        ("bad_value", r"^[\w.\[\]-]+: "),
    )
)


def classify_rejection(reason: str) -> str:
    """The short kind (one of :data:`REJECTION_KINDS`) of a human-readable rejection reason.

    Reasons may list several problems joined by ``"; "``; the first one decides. A reason
    that names no field (``"the ticket already has a complaint"``) is ``semantic``.
    """
    text = reason.strip()
    for kind, pattern in _RULES[:3]:  # whole-text rules: their messages contain "; "
        if pattern.search(text):
            return kind
    first = text.split("; ", 1)[0]
    for kind, pattern in _RULES[3:]:
        if pattern.search(first):
            return kind
    return "semantic"


def observe_rejection(topic: str, reason: str) -> str:
    """Count one refused input from ``topic`` by the kind of ``reason``; returns the kind.

    :func:`observe_outcome` calls this for every ``event.rejected``; call it directly only
    for a refusal that is not published as ``event.rejected``.
    """
    kind = classify_rejection(reason)
    EVENTS_REJECTED.labels(topic=topic, reason=kind).inc()
    return kind


# -- helpers: outbound --------------------------------------------------------------------
_CLOCK_TYPES = {"sla.warning": "warning", "sla.breached": "breached", "sla.met": "met",
                "sla.cancelled": "cancelled"}


def observe_outcome(event: CloudEvent) -> None:
    """Update the counters for one outbound CloudEvent (see :mod:`models.outbound`).

    Unknown types are ignored, so a new event type never crashes the pipeline; it only goes
    uncounted until it is added here.
    """
    kind, data = event.type, event.data
    if kind in _CLOCK_TYPES:
        _child(OUTCOMES, _CLOCK_TYPES[kind], data.department, data.metric).inc()
        observe_working_time(event)
    elif kind == "sla.csat_recorded":
        _child(CSAT_SCORE, data.department).observe(data.score)
    elif kind == "sla.attributed":
        _child(ATTRIBUTIONS, data.department, data.reason).inc()
    elif kind == "penalty.assessed":
        PENALTIES.labels(department=data.department, rule=data.rule).inc()
        PENALTY_FINES.labels(department=data.department, currency=data.currency).inc(
            float(data.fine))
        PENALTY_POINTS.labels(department=data.department).inc(data.points)
    elif kind == "penalty.reversed":
        PENALTIES_REVERSED.labels(department=data.department, rule=data.rule).inc()
        PENALTY_FINES_REVERSED.labels(department=data.department, currency=data.currency).inc(
            float(data.fine))
        PENALTY_POINTS_REVERSED.labels(department=data.department).inc(data.points)
    elif kind == "notification.requested":
        _child(NOTIFICATIONS, data.department, data.severity).inc()
    elif kind == "event.rejected":
        DEAD_LETTERS.labels(topic=data.topic).inc()
        observe_rejection(data.topic, data.reason)
    elif kind in _AUTHORITY_TYPES:
        observe_authority(event)


_AUTHORITY_TYPES = frozenset({"concession.recorded", "approval.recorded", "audit.item_opened",
                              "audit.item_closed"})


def observe_authority(event: CloudEvent) -> None:
    """Count one authority outcome (:data:`CONCESSIONS` ... :data:`AUDIT_VERDICTS`); the
    contact reason is cut to its top level and no person is named."""
    kind, data = event.type, event.data
    if kind == "concession.recorded":
        reason = data.contact_reason.split(".", 1)[0] or "none"
        authority = "within" if data.within_authority else "exceeded"
        CONCESSIONS.labels(reason=reason, kind=data.kind, authority=authority).inc()
        CONCESSION_AMOUNT.labels(reason=reason, kind=data.kind, currency=data.currency).inc(
            float(data.amount))
    elif kind == "approval.recorded":
        reason = data.contact_reason.split(".", 1)[0] or "none"
        APPROVALS.labels(reason=reason, decision=data.decision).inc()
        APPROVAL_WAIT.labels(decision=data.decision).observe(data.wait_seconds)
    elif kind == "audit.item_opened":
        AUDIT_ITEMS.labels(selected_by=data.selected_by).inc()
    elif kind == "audit.item_closed":
        AUDIT_VERDICTS.labels(verdict=data.verdict).inc()


def observe_breach_delay(event: CloudEvent, emitted_at: datetime | None = None) -> float | None:
    """Observe how late an ``sla.breached`` was emitted (``emitted_at`` defaults to now).

    Returns the delay in seconds, or None for any other event type. A negative delay (emitted
    before due, clock skew) is observed as 0 so it lands in the first bucket.
    """
    if event.type != "sla.breached":
        return None
    now = emitted_at or datetime.now(UTC)
    delay = max((now - event.data.due_at).total_seconds(), 0.0)
    BREACH_EMIT_DELAY.observe(delay)
    return delay


def set_worker_info(version: str, app_id: str) -> None:
    """Expose ``sla_worker_info{version,app_id} 1`` for this worker."""
    WORKER_INFO.labels(version=version, app_id=app_id).set(1)


def observe_ledger_record(event_type: str, inserted: bool) -> None:
    """Count one ledger write: a new row, or a duplicate the ledger already held."""
    LEDGER_RECORDS.labels(type=event_type, result="inserted" if inserted else "duplicate").inc()


def observe_webhook_delivery(department: str, result: str) -> None:
    """Count one webhook delivery attempt by result (e.g. delivered, failed, gave_up)."""
    WEBHOOK_DELIVERIES.labels(department=department, result=result).inc()


def observe_working_time(event: CloudEvent) -> float | None:
    """Observe an ended clock's working seconds in :data:`CLOCK_WORKING_TIME`; returns them.

    ``sla.met``: the working seconds elapsed (exact). ``sla.breached``: the target, since the
    clock is still running when it breaches; the time it will finally take is at least that
    (a lower bound, ``outcome="breached"``). Other types: nothing, None. A clock without a
    priority counts under ``priority="none"``.
    """
    if event.type == "sla.met":
        outcome, seconds = "met", event.data.elapsed_seconds
    elif event.type == "sla.breached":
        outcome, seconds = "breached", event.data.target_seconds
    else:
        return None
    data = event.data
    _child(CLOCK_WORKING_TIME, data.department, data.metric, data.priority or "none",
           outcome).observe(seconds)
    return float(seconds)


def set_business_volumes(volumes: Mapping[str, tuple[str, int]]) -> None:
    """Expose ``volumes`` (department -> (unit, count) of the current month) as
    :data:`BUSINESS_VOLUME`, replacing every series set before (a department that changed
    unit, or has no report in a new month, loses its old series)."""
    BUSINESS_VOLUME.clear()
    for department, (unit, count) in volumes.items():
        BUSINESS_VOLUME.labels(department=department, unit=unit).set(count)


# -- calls (issue 15): no caller, agent, call or block id in any label: /metrics is public --
CALLS_ENDED = _counter("sla_calls_ended_total", "Calls ended (call.ended accepted), by who "
                       "hung up and the disposition.", ("ended_by", "disposition"))
CALL_NORM_BREACHES = _counter("sla_call_norm_breaches_total", "Agent hang-ups outside the "
                              "norms (call.norm_breached).", ("norm",))
CALLER_BLOCKS = _counter("sla_caller_blocks_total", "Callers blocked: kind=auto (by the rule "
                         "named) or four_eyes (rule empty).", ("kind", "rule", "period"))
CALLER_UNBLOCKS = _counter("sla_caller_unblocks_total", "Blocks ended: expired or lifted.",
                           ("why",))
CALLER_BLOCKS_ACTIVE = _gauge("sla_caller_blocks_active", "Callers with an active block on "
                              "the calls partitions this worker owns (sum over workers).")
BLOCK_REFUSALS = _counter("sla_block_refusals_total", "Block commands refused "
                          "(block.refused), by the kind of refusal.", ("why",))
REVIEWS_DUE = _counter("sla_block_reviews_due_total", "Permanent blocks up for review.")
QA_ITEMS = _counter("sla_qa_items_total", "Calls put in the QA queue, by selection.",
                    ("selected_by",))
QA_VERDICTS = _counter("sla_qa_verdicts_total", "QA verdicts (qa.reviewed accepted).",
                       ("verdict",))


def observe_call_ended(ended_by: str, disposition: str) -> None:
    """Count one ``call.ended`` accepted by the calls stage."""
    CALLS_ENDED.labels(ended_by=ended_by, disposition=disposition).inc()


def observe_qa_verdict(verdict: str) -> None:
    """Count one ``qa.reviewed`` accepted by the calls stage."""
    QA_VERDICTS.labels(verdict=verdict).inc()


def observe_call_output(event: CloudEvent) -> None:
    """Count one output of the calls stages; other types are ignored."""
    kind, data = event.type, event.data
    if kind == "call.norm_breached":
        CALL_NORM_BREACHES.labels(norm=data.norm).inc()
    elif kind == "caller.blocked":
        CALLER_BLOCKS.labels(kind="auto" if data.rule else "four_eyes", rule=data.rule or "",
                             period=data.period).inc()
    elif kind == "caller.unblocked":
        CALLER_UNBLOCKS.labels(why=data.why).inc()
    elif kind == "block.refused":
        BLOCK_REFUSALS.labels(why=data.why).inc()
    elif kind == "block.review_due":
        REVIEWS_DUE.inc()
    elif kind == "qa.item_opened":
        QA_ITEMS.labels(selected_by=data.selected_by).inc()
