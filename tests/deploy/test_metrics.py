"""streams.metrics: the metric contract and the helpers that keep the stream agents thin.

Events come from models/examples.py and from the real parser and engine, so a changed
rejection text or event field shows up here. The registry is shared by the whole process:
every assertion is on the change a call makes, never on an absolute value.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from models import CloudEvent, Rejection, parse_event
from models.examples import example
from models.parse import ALL_TYPES
from sla.config import load_config
from sla.replay import replay
from streams import metrics
from streams.metrics import REGISTRY
from streams.open_clocks import OpenClockCounts
from tests.deploy.conftest import ROOT

CONFIG = ROOT / "deploy" / "config" / "sla-police.yaml"

#: name (as exposed, without _total) -> (type, label names). The dashboards, alert rules and
#: docs/operations.md rely on exactly these.
CONTRACT: dict[str, tuple[str, set[str]]] = {
    "sla_events_in": ("counter", {"topic", "type"}),
    "sla_events_rejected": ("counter", {"topic", "reason"}),
    "sla_events_duplicate": ("counter", {"topic"}),
    "sla_events_late": ("counter", {"topic"}),
    "sla_input_reread": ("counter", {"topic"}),
    "sla_attributions": ("counter", {"department", "reason"}),
    "sla_outcomes": ("counter", {"type", "department", "metric"}),
    "sla_open_clocks": ("gauge", {"department", "metric"}),
    "sla_penalties": ("counter", {"department", "rule"}),
    "sla_penalty_fines": ("counter", {"department", "currency"}),
    "sla_penalty_points": ("counter", {"department"}),
    "sla_penalties_reversed": ("counter", {"department", "rule"}),
    "sla_penalty_fines_reversed": ("counter", {"department", "currency"}),
    "sla_penalty_points_reversed": ("counter", {"department"}),
    "sla_notifications": ("counter", {"department", "severity"}),
    "sla_breach_emit_delay_seconds": ("histogram", set()),
    "sla_event_processing_seconds": ("histogram", set()),
    "sla_timer_tick_seconds": ("histogram", set()),
    "sla_deadline_index_size": ("gauge", set()),
    "sla_worker_info": ("gauge", {"version", "app_id"}),
    "sla_dead_letters": ("counter", {"topic"}),
    "sla_ledger_records": ("counter", {"type", "result"}),
    "sla_webhook_deliveries": ("counter", {"department", "result"}),
    "sla_clock_working_seconds": ("histogram", {"department", "metric", "priority", "outcome"}),
    "sla_csat_score": ("histogram", {"department"}),
    "sla_business_volume_month": ("gauge", {"department", "unit"}),
    "sla_concessions": ("counter", {"reason", "kind", "authority"}),
    "sla_concession_amount": ("counter", {"reason", "kind", "currency"}),
    "sla_approvals": ("counter", {"reason", "decision"}),
    "sla_approval_wait_working_seconds": ("histogram", {"decision"}),
    "sla_audit_items": ("counter", {"selected_by"}),
    "sla_audit_verdicts": ("counter", {"verdict"}),
    "sla_calls_ended": ("counter", {"ended_by", "disposition"}),
    "sla_call_norm_breaches": ("counter", {"norm"}),
    "sla_caller_blocks": ("counter", {"kind", "rule", "period"}),
    "sla_caller_unblocks": ("counter", {"why"}),
    "sla_caller_blocks_active": ("gauge", set()),
    "sla_block_refusals": ("counter", {"why"}),
    "sla_block_reviews_due": ("counter", set()),
    "sla_qa_items": ("counter", {"selected_by"}),
    "sla_qa_verdicts": ("counter", {"verdict"}),
}
#: The calls outputs whose examples feed the calls counters.
CALLS_OUTPUTS = ("call.norm_breached", "caller.blocked", "caller.unblocked", "block.refused",
                 "block.review_due", "qa.item_opened")


def value(name: str, **labels: str) -> float:
    """Current value of one sample of the SLA Police registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def outbound(event_type: str) -> CloudEvent:
    """The example event of ``event_type``, parsed into its model."""
    return ALL_TYPES[event_type].model_validate(example(event_type))


# -- the contract -------------------------------------------------------------------------
def test_every_contract_metric_is_registered_with_its_type_and_labels() -> None:
    metrics.set_worker_info("0.0.0-test", "contract")
    for event_type in ("sla.met", "penalty.assessed", "penalty.reversed",
                       "notification.requested", "event.rejected", "sla.attributed",
                       "sla.csat_recorded", "concession.recorded", "approval.recorded",
                       "audit.item_opened", "audit.item_closed"):
        metrics.observe_outcome(outbound(event_type))
    metrics.observe_inbound("complaints", "complaint.received")
    metrics.observe_duplicate("complaints")
    metrics.observe_late("ticket-events")
    metrics.observe_input_reread("complaints")
    OpenClockCounts().update(0, [], [("logistics", "resolve")])
    metrics.observe_ledger_record("sla.met", inserted=True)
    metrics.observe_webhook_delivery("logistics", "delivered")
    metrics.set_business_volumes({"logistics": ("parcels", 182450)})
    for event_type in CALLS_OUTPUTS:
        metrics.observe_call_output(outbound(event_type))
    metrics.observe_call_ended("agent", "nuisance")
    metrics.observe_qa_verdict("compliant")
    text = metrics.render()[0].decode()
    families = {f.name: f for f in text_string_to_metric_families(text)
                if not f.name.endswith("_created")}  # creation times, one per labelled series
    for name, (kind, labels) in CONTRACT.items():
        assert name in families, f"{name} is not exposed"
        family = families[name]
        assert family.type == kind, name
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        assert samples, f"{name} has no sample"
        for sample in samples:
            assert set(sample.labels) - {"le"} == labels, (name, sample.labels)
    assert set(families) == set(CONTRACT), "a metric was added: update CONTRACT and the docs"


def test_the_registry_is_dedicated_and_render_gives_the_exposition_format() -> None:
    assert REGISTRY is not prometheus_client.REGISTRY
    metrics.observe_inbound("complaints", "complaint.received")
    assert prometheus_client.REGISTRY.get_sample_value(
        "sla_events_in_total", {"topic": "complaints", "type": "complaint.received"}) is None
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain; version=")  # the Prometheus text format
    assert b'sla_events_in_total{topic="complaints",type="complaint.received"}' in body


def test_render_with_names_gives_only_those_samples() -> None:
    metrics.observe_inbound("complaints", "complaint.received")
    metrics.observe_late("complaints")
    body = metrics.render(["sla_events_in_total"])[0].decode()
    names = {sample.name for family in text_string_to_metric_families(body)
             for sample in family.samples}
    assert names == {"sla_events_in_total"}
    assert "sla_events_late_total" in metrics.render()[0].decode()


# -- observe_outcome ----------------------------------------------------------------------
@pytest.mark.parametrize(("event_type", "kind", "metric"), [
    ("sla.warning", "warning", "resolve"), ("sla.breached", "breached", "resolve"),
    ("sla.met", "met", "acknowledge"), ("sla.cancelled", "cancelled", "resolve"),
])
def test_clock_outcomes_count_by_type_department_and_metric(event_type, kind, metric) -> None:
    labels = {"type": kind, "department": "logistics", "metric": metric}
    before = value("sla_outcomes_total", **labels)
    metrics.observe_outcome(outbound(event_type))
    assert value("sla_outcomes_total", **labels) == before + 1


def test_attribution_counts_by_department_and_reason() -> None:
    before = value("sla_attributions_total", department="logistics", reason="rule")
    metrics.observe_outcome(outbound("sla.attributed"))
    assert value("sla_attributions_total", department="logistics", reason="rule") == before + 1


def test_penalty_counts_the_penalty_its_fine_and_its_points() -> None:
    dept, rule = {"department": "logistics"}, {"department": "logistics", "rule": "late-resolution"}
    fines = {**dept, "currency": "CNY"}
    before = (value("sla_penalties_total", **rule), value("sla_penalty_fines_total", **fines),
              value("sla_penalty_points_total", **dept),
              value("sla_penalty_fines_reversed_total", **fines))
    metrics.observe_outcome(outbound("penalty.assessed"))  # fine "1000", 2 points
    assert value("sla_penalties_total", **rule) == before[0] + 1
    assert value("sla_penalty_fines_total", **fines) == before[1] + 1000.0
    assert value("sla_penalty_points_total", **dept) == before[2] + 2
    assert value("sla_penalty_fines_reversed_total", **fines) == before[3]


def test_reversal_counts_in_the_reversed_counters_only() -> None:
    dept, rule = {"department": "logistics"}, {"department": "logistics", "rule": "late-resolution"}
    fines = {**dept, "currency": "CNY"}
    before = (value("sla_penalties_reversed_total", **rule),
              value("sla_penalty_fines_reversed_total", **fines),
              value("sla_penalty_points_reversed_total", **dept),
              value("sla_penalty_fines_total", **fines))
    metrics.observe_outcome(outbound("penalty.reversed"))
    assert value("sla_penalties_reversed_total", **rule) == before[0] + 1
    assert value("sla_penalty_fines_reversed_total", **fines) == before[1] + 1000.0
    assert value("sla_penalty_points_reversed_total", **dept) == before[2] + 2
    assert value("sla_penalty_fines_total", **fines) == before[3]


def test_fractional_fines_are_counted_exactly_enough() -> None:
    raw = example("penalty.assessed")
    raw["data"] |= {"department": "billing", "fine": "12.34"}
    event = ALL_TYPES["penalty.assessed"].model_validate(raw)
    before = value("sla_penalty_fines_total", department="billing", currency="CNY")
    metrics.observe_outcome(event)
    after = value("sla_penalty_fines_total", department="billing", currency="CNY")
    assert after - before == pytest.approx(12.34)


def test_notification_counts_by_department_and_severity() -> None:
    before = value("sla_notifications_total", department="logistics", severity="breach")
    metrics.observe_outcome(outbound("notification.requested"))
    assert value("sla_notifications_total", department="logistics", severity="breach") == \
        before + 1


def test_dead_letter_counts_once_by_topic_and_once_by_reason_kind() -> None:
    dl = ("sla_dead_letters_total", {"topic": "complaints"})
    rej = ("sla_events_rejected_total", {"topic": "complaints", "reason": "bad_value"})
    before = value(dl[0], **dl[1]), value(rej[0], **rej[1])
    metrics.observe_outcome(outbound("event.rejected"))  # data.priority: Input should be ...
    assert (value(dl[0], **dl[1]), value(rej[0], **rej[1])) == (before[0] + 1, before[1] + 1)


def _outbound_samples() -> dict[tuple, float]:
    """Every sample of the counters observe_outcome may touch."""
    touched = (metrics.ATTRIBUTIONS, metrics.OUTCOMES, metrics.PENALTIES, metrics.PENALTY_FINES,
               metrics.PENALTY_POINTS, metrics.PENALTIES_REVERSED,
               metrics.PENALTY_FINES_REVERSED, metrics.PENALTY_POINTS_REVERSED,
               metrics.NOTIFICATIONS, metrics.DEAD_LETTERS, metrics.EVENTS_REJECTED)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for counter in touched for family in counter.collect() for s in family.samples
            if not s.name.endswith("_created")}


def test_inbound_events_are_never_counted_as_outcomes() -> None:
    before = _outbound_samples()
    metrics.observe_outcome(outbound("complaint.received"))
    assert _outbound_samples() == before


# -- rejection kinds ----------------------------------------------------------------------
def _assigned(**fields: object) -> str:
    import json

    return json.dumps({**example("ticket.assigned"), **fields})


def _without(field: str) -> str:
    import json

    return json.dumps({k: v for k, v in example("ticket.assigned").items() if k != field})


PARSER_CASES = [
    (b"", "invalid_json"),
    (b'{"type": "ticket.assigned", "id": ', "invalid_json"),
    (b"[1, 2]", "not_an_object"),
    (b'"just text"', "not_an_object"),
    (_without("id"), "missing_field"),
    (_without("type"), "missing_field"),
    (_assigned(type="ticket.escalated"), "unknown_type"),
    (_assigned(type="sla.breached"), "outbound_type"),
    (_assigned(time="2026-11-20T10:15:00"), "bad_time"),
    (_assigned(time="1999-11-20T10:15:00+08:00"), "bad_time"),
    (_assigned(time="2027-11-20T10:15:00+08:00"), "bad_time"),  # > 1 day after `now`
    (_assigned(subject=" T 1"), "bad_value"),
    (_assigned(data=5), "bad_value"),
    (_assigned(data={"department": "Not A Slug"}), "bad_value"),
    (_assigned(specversion="0.3"), "bad_value"),
]


@pytest.mark.parametrize(("raw", "kind"), PARSER_CASES)
def test_parser_reasons_are_classified(raw: str | bytes, kind: str) -> None:
    rejection = parse_event(raw, now=datetime(2026, 11, 20, tzinfo=UTC))
    assert isinstance(rejection, Rejection), raw
    assert metrics.classify_rejection(rejection.reason) == kind, rejection.reason


def _engine_reasons() -> list[str]:
    """Reasons the real SLA engine gives for semantically impossible events."""
    complaint = ALL_TYPES["complaint.received"].model_validate(example("complaint.received"))
    again = complaint.model_copy(update={"id": "crm-1-again"})
    later = complaint.time + timedelta(minutes=5)
    transfer = example("ticket.transferred") | {"time": later.isoformat()}
    transfer["data"] = transfer["data"] | {"to_department": "marketing"}
    ruled = example("dispute.ruled") | {"time": (later + timedelta(minutes=1)).isoformat()}
    events = [complaint, again, ALL_TYPES["ticket.transferred"].model_validate(transfer),
              ALL_TYPES["dispute.ruled"].model_validate(ruled)]
    result = replay(events, load_config(CONFIG))
    return [e.data.reason for e in result.outputs if e.type == "event.rejected"]


def test_engine_reasons_are_classified() -> None:
    kinds = {reason: metrics.classify_rejection(reason) for reason in _engine_reasons()}
    assert sorted(kinds.values()) == ["semantic", "semantic", "unknown_department"], kinds


@pytest.mark.parametrize("reason", [
    "key 'T-2' does not match the event subject 'T-1'",
    "message key 'T-2' does not match subject 'T-1'",
])
def test_key_mismatch_reasons_are_wrong_key(reason: str) -> None:
    assert metrics.classify_rejection(reason) == "wrong_key"


def test_every_kind_is_reachable_and_nothing_else_is_returned() -> None:
    reasons = [r.reason for raw, _ in PARSER_CASES
               if isinstance(r := parse_event(raw, now=datetime(2026, 11, 20, tzinfo=UTC)),
                             Rejection)]
    reasons += _engine_reasons() + ["message key 'x' does not match subject 'y'"]
    assert {metrics.classify_rejection(r) for r in reasons} == set(metrics.REJECTION_KINDS)
    for odd in ("", "   ", "; ;", "Ω", "missing", "time", "key", "x: y; missing field 'a'"):
        assert metrics.classify_rejection(odd) in metrics.REJECTION_KINDS


def test_observe_rejection_counts_by_topic_and_kind() -> None:
    labels = {"topic": "ticket-events", "reason": "unknown_type"}
    before = value("sla_events_rejected_total", **labels)
    assert metrics.observe_rejection("ticket-events", "unknown event type 'x'; expected") == \
        "unknown_type"
    assert value("sla_events_rejected_total", **labels) == before + 1


# -- the other helpers --------------------------------------------------------------------
def test_breach_delay_is_emit_time_minus_due_time() -> None:
    breach = outbound("sla.breached")
    before = (value("sla_breach_emit_delay_seconds_count"),
              value("sla_breach_emit_delay_seconds_sum"),
              value("sla_breach_emit_delay_seconds_bucket", le="0.25"))
    delay = metrics.observe_breach_delay(breach, breach.data.due_at + timedelta(seconds=0.2))
    assert delay == pytest.approx(0.2)
    assert value("sla_breach_emit_delay_seconds_count") == before[0] + 1
    assert value("sla_breach_emit_delay_seconds_sum") == pytest.approx(before[1] + 0.2)
    assert value("sla_breach_emit_delay_seconds_bucket", le="0.25") == before[2] + 1


def test_breach_delay_ignores_other_events_and_clamps_early_emits() -> None:
    assert metrics.observe_breach_delay(outbound("sla.warning")) is None
    breach = outbound("sla.breached")
    assert metrics.observe_breach_delay(breach, breach.data.due_at - timedelta(seconds=3)) == 0
    data = breach.data.model_copy(update={"due_at": datetime.now(UTC) - timedelta(seconds=2)})
    late = breach.model_copy(update={"data": data})
    assert 2 <= metrics.observe_breach_delay(late) < 60  # default emit time: the wall clock


def test_calls_outputs_count_by_fixed_labels_and_never_by_person_or_caller() -> None:
    blocked = outbound("caller.blocked")
    kind = "auto" if blocked.data.rule else "four_eyes"
    labels = {"kind": kind, "rule": blocked.data.rule or "", "period": blocked.data.period}
    before = value("sla_caller_blocks_total", **labels)
    metrics.observe_call_output(blocked)
    metrics.observe_call_output(outbound("sla.met"))  # not a calls output: ignored
    assert value("sla_caller_blocks_total", **labels) == before + 1
    for event_type in CALLS_OUTPUTS:
        metrics.observe_call_output(outbound(event_type))
    text = metrics.render()[0].decode()
    for event_type in CALLS_OUTPUTS:  # ids and people of the examples never become labels
        data = example(event_type)["data"]
        for field in ("caller", "agent", "call_id", "block_id", "by", "qa_id"):
            if data.get(field):
                assert f'"{data[field]}"' not in text, (event_type, field)


def test_worker_info_ledger_and_webhook_helpers() -> None:
    metrics.set_worker_info("9.9.9", "sla-police-test")
    assert value("sla_worker_info", version="9.9.9", app_id="sla-police-test") == 1
    ins = value("sla_ledger_records_total", type="sla.breached", result="inserted")
    dup = value("sla_ledger_records_total", type="sla.breached", result="duplicate")
    metrics.observe_ledger_record("sla.breached", inserted=True)
    metrics.observe_ledger_record("sla.breached", inserted=False)
    assert value("sla_ledger_records_total", type="sla.breached", result="inserted") == ins + 1
    assert value("sla_ledger_records_total", type="sla.breached", result="duplicate") == dup + 1
    before = value("sla_webhook_deliveries_total", department="it", result="failed")
    metrics.observe_webhook_delivery("it", "failed")
    assert value("sla_webhook_deliveries_total", department="it", result="failed") == before + 1


def test_every_metric_is_documented_in_the_operations_guide() -> None:
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name, (kind, _) in CONTRACT.items():
        exposed = f"{name}_total" if kind == "counter" else name
        assert f"`{exposed}`" in docs, f"{exposed} is missing from docs/operations.md"
    for kind in metrics.REJECTION_KINDS:
        assert f"| `{kind}` |" in docs, f"rejection kind {kind} is not documented"


def _authority_outputs() -> list[CloudEvent]:
    """A simulated morning's authority outputs, replayed with the shipped policy."""
    from sla.replay import replay_lines
    from sla_police.simulator import SimulationOptions, simulate

    options = SimulationOptions(days=1, seed=3, calls_per_day=1500)
    return [e for e in replay_lines(simulate(options), load_config(CONFIG)).outputs
            if e.type in ("concession.recorded", "approval.recorded", "audit.item_opened",
                          "audit.item_closed")]


def test_authority_outcomes_count_grants_amounts_approvals_waits_audits_and_verdicts() -> None:
    outputs = _authority_outputs()
    grants = [e.data for e in outputs if e.type == "concession.recorded"]
    approvals = [e.data for e in outputs if e.type == "approval.recorded"]
    assert grants and approvals
    within = _total("sla_concessions_total", authority="within")
    delivery = _total("sla_concessions_total", reason="delivery")
    names = ("sla_concessions_total", "sla_concession_amount_total", "sla_approvals_total",
             "sla_approval_wait_working_seconds_count", "sla_approval_wait_working_seconds_sum",
             "sla_audit_items_total", "sla_audit_verdicts_total")
    before = {name: _total(name) for name in names}
    for event in outputs:
        metrics.observe_outcome(event)
    change = {name: _total(name) - before[name] for name in names}
    assert change["sla_concessions_total"] == len(grants)
    assert change["sla_concession_amount_total"] == pytest.approx(
        float(sum(g.amount for g in grants)))
    assert change["sla_approvals_total"] == len(approvals)
    assert change["sla_approval_wait_working_seconds_count"] == len(approvals)
    assert change["sla_approval_wait_working_seconds_sum"] == sum(a.wait_seconds
                                                                  for a in approvals)
    assert change["sla_audit_items_total"] == sum(e.type == "audit.item_opened"
                                                  for e in outputs)
    assert change["sla_audit_verdicts_total"] == sum(e.type == "audit.item_closed"
                                                     for e in outputs)
    assert _total("sla_concessions_total", authority="within") - within == sum(
        g.within_authority for g in grants)
    assert _total("sla_concessions_total", reason="delivery") - delivery == sum(
        g.contact_reason.startswith("delivery.") for g in grants)


def test_no_authority_label_names_a_person_a_ticket_or_a_full_contact_reason() -> None:
    for event in _authority_outputs():
        metrics.observe_outcome(event)
    authority = {name for name in CONTRACT if name.startswith(("sla_concession", "sla_appro",
                                                               "sla_audit"))}
    for family in text_string_to_metric_families(metrics.render()[0].decode()):
        if family.name in authority:
            for sample in family.samples:
                for label, text in sample.labels.items():
                    marks = ("agent-", "lead-", "sup-", "audit-", "T-", "cust-", ".")
                    assert label == "le" or not any(m in text for m in marks), (
                        family.name, label, text)


def _total(name: str, **match: str) -> float:
    """Sum of the series of one sample name whose labels include ``match``."""
    return sum(sample.value for family in text_string_to_metric_families(
        metrics.render()[0].decode()) for sample in family.samples if sample.name == name
        and match.items() <= sample.labels.items())
