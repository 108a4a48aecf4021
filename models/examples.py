"""One valid example of every event type, as plain JSON-ready dicts.

Used by the contract tests, the README and anyone writing a producer: each
example validates against its model and its generated JSON Schema.
"""

from __future__ import annotations

from typing import Any

from models.schema_ids import dataschema_for

__all__ = ["EXAMPLES", "example"]

_TIME = "2026-11-20T10:15:00+08:00"


def _envelope(event_type: str, event_id: str, data: dict[str, Any] | None,
              source: str = "crm/contact-center", subject: str = "T-20261120-0001",
              time: str = _TIME) -> dict[str, Any]:
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": event_type,
        "time": time,
        "subject": subject,
    }
    if data is not None:
        event["data"] = data
    return event


_CLOCK = {
    "department": "logistics",
    "policy": "standard",
    "metric": "resolve",
    "cycle": 1,
    "calendar": "office",
    "started_at": "2026-11-20T10:15:00+08:00",
    "due_at": "2026-11-24T10:15:00+08:00",
    "elapsed_seconds": 57600,
    "target": "2d",
    "target_seconds": 57600,
    "assignee": "emp-logistics-017",
    "priority": "P3",
    "category": "delivery.late",
}
_OUT = "sla-police"

EXAMPLES: dict[str, dict[str, Any]] = {
    "complaint.received": _envelope("complaint.received", "crm-1", {
        "customer_ref": "cust-8f3a2c", "channel": "phone", "category": "delivery.late",
        "priority": "P3", "product": "parcel-standard", "region": "华东",
        "summary": "Parcel promised Tuesday still not delivered", "assignee": "agent-012",
    }),
    "ticket.assigned": _envelope("ticket.assigned", "crm-2",
                                 {"department": "logistics", "assignee": "emp-logistics-017"}),
    "ticket.acknowledged": _envelope("ticket.acknowledged", "crm-3",
                                     {"actor": "emp-logistics-017"}),
    "ticket.paused": _envelope("ticket.paused", "crm-4",
                               {"reason": "awaiting_customer", "note": "asked for tracking no."}),
    "ticket.resumed": _envelope("ticket.resumed", "crm-5", {}),
    "ticket.resolved": _envelope("ticket.resolved", "crm-6", {"actor": "emp-logistics-017"}),
    "ticket.reopened": _envelope("ticket.reopened", "crm-7",
                                 {"note": "customer says parcel still missing"}),
    "ticket.closed": _envelope("ticket.closed", "crm-8", {}),
    "ticket.cancelled": _envelope("ticket.cancelled", "crm-9",
                                  {"reason": "customer withdrew the complaint"}),
    "ticket.transferred": _envelope("ticket.transferred", "crm-10", {
        "to_department": "billing", "reason": "actually a double charge", "actor": "agent-012",
    }),
    "attribution.disputed": _envelope("attribution.disputed", "crm-11", {
        "department": "logistics", "reason": "courier delivered on time; the store held it",
    }),
    "dispute.ruled": _envelope("dispute.ruled", "crm-12", {
        "dispute_id": "crm-11", "outcome": "upheld", "to_department": "stores",
        "actor": "cc-quality-lead", "reason": "store records show the parcel never left",
    }),
    "csat.recorded": _envelope("csat.recorded", "crm-13", {"score": 2}),
    "volume.reported": _envelope("volume.reported", "oms-2026-11-20-logistics", {
        "department": "logistics", "unit": "parcels", "count": 182450, "day": "2026-11-20",
    }, source="oms/daily-volumes", subject="logistics", time="2026-11-21T01:00:00+08:00"),
    "sla.attributed": _envelope("sla.attributed", "9d1c6d1e-attr", {
        "department": "logistics", "reason": "rule", "rule": "attribution[0]",
        "category": "delivery.late", "priority": "P3",
        "attributed_at": _TIME, "caused_by": "crm-1", "customer_ref": "cust-8f3a2c",
    }, source=_OUT),
    "sla.warning": _envelope("sla.warning", "2f0e-warn", {
        **_CLOCK, "elapsed_seconds": 46080, "threshold": 0.8,
        "warned_at": "2026-11-23T16:51:00+08:00",
    }, source=_OUT, time="2026-11-23T16:51:00+08:00"),
    "sla.breached": _envelope("sla.breached", "2f0e-breach", {
        **_CLOCK, "breached_at": "2026-11-24T10:15:00+08:00",
    }, source=_OUT, time="2026-11-24T10:15:00+08:00"),
    "sla.met": _envelope("sla.met", "2f0e-met", {
        **_CLOCK, "metric": "acknowledge", "due_at": "2026-11-20T13:45:00+08:00",
        "elapsed_seconds": 1800, "target": "2h", "target_seconds": 7200,
        "completed_at": "2026-11-20T10:45:00+08:00",
    }, source=_OUT, time="2026-11-20T10:45:00+08:00"),
    "sla.cancelled": _envelope("sla.cancelled", "2f0e-cancel", {
        **_CLOCK, "elapsed_seconds": 3600, "cancelled_at": "2026-11-20T11:15:00+08:00",
        "reason": "transferred",
    }, source=_OUT, time="2026-11-20T11:15:00+08:00"),
    "sla.charge_settled": _envelope("sla.charge_settled", "3a7d-settled", {
        "department": "logistics", "assignee": "emp-logistics-017", "settled_by": "assignment",
        "category": "delivery.late", "priority": "P3", "attributed_at": _TIME,
        "settled_at": "2026-11-20T10:40:00+08:00", "caused_by": "crm-2",
    }, source=_OUT, time="2026-11-20T10:40:00+08:00"),
    "sla.clocks_changed": _envelope("sla.clocks_changed", "5c9f-clocks", {
        "department": "logistics", "assignee": "emp-logistics-017", "status": "open",
        "disputed": False, "priority": "P3", "category": "delivery.late", "revision": 3,
        "changed_at": "2026-11-20T11:00:00+08:00", "caused_by": "crm-3",
        "clocks": [{
            "department": "logistics", "policy": "standard", "metric": "resolve",
            "cycle": 1, "calendar": "office", "running": True, "started_at": _TIME,
            "elapsed_seconds": 2100, "target_seconds": 57600, "target": "2d",
            "warn_at": [0.5, 0.8], "due_at": "2026-11-24T10:15:00+08:00",
            "warns_at": "2026-11-21T17:30:00+08:00", "warned": False, "breached": False,
        }],
    }, source=_OUT, time="2026-11-20T11:00:00+08:00"),
    "sla.dispute_filed": _envelope("sla.dispute_filed", "4b8e-filed", {
        "dispute_id": "crm-11", "department": "logistics", "holder": "logistics",
        "filed_by": "emp-logistics-003", "reason": "the parcel was lost by the store",
        "filed_at": "2026-11-21T09:00:00+08:00",
    }, source=_OUT, time="2026-11-21T09:00:00+08:00"),
    "sla.dispute_ruled": _envelope("sla.dispute_ruled", "4b8e-ruled", {
        "dispute_id": "crm-11", "department": "logistics", "outcome": "upheld",
        "to_department": "stores", "ruled_by": "cc-lead-02",
        "reason": "store records show the parcel never left", "filed_at":
        "2026-11-21T09:00:00+08:00", "ruled_at": "2026-11-25T09:30:00+08:00",
        "caused_by": "crm-12",
    }, source=_OUT, time="2026-11-25T09:30:00+08:00"),
    "sla.csat_recorded": _envelope("sla.csat_recorded", "6d3f-csat", {
        "department": "logistics", "assignee": "emp-logistics-017", "score": 2,
        "category": "delivery.late", "priority": "P3",
        "recorded_at": "2026-11-26T18:20:00+08:00", "caused_by": "crm-13",
    }, source=_OUT, time="2026-11-26T18:20:00+08:00"),
    "penalty.assessed": _envelope("penalty.assessed", "7c1a-pen", {
        "department": "logistics", "assignee": "emp-logistics-017", "rule": "late-resolution",
        "trigger": "breach", "breach_id": "2f0e-breach", "metric": "resolve",
        "base_fine": "500", "multiplier": "2", "capped_amount": "0", "fine": "1000",
        "points": 2, "currency": "CNY", "period": "2026-11",
        "assessed_at": "2026-11-24T10:15:00+08:00",
    }, source=_OUT, time="2026-11-24T10:15:00+08:00"),
    "penalty.reversed": _envelope("penalty.reversed", "7c1a-rev", {
        "penalty_id": "7c1a-pen", "department": "logistics", "rule": "late-resolution",
        "fine": "1000", "points": 2, "currency": "CNY", "reason": "dispute upheld",
        "dispute_id": "crm-11", "reversed_at": "2026-11-25T09:30:00+08:00",
    }, source=_OUT, time="2026-11-25T09:30:00+08:00"),
    "notification.requested": _envelope("notification.requested", "5e2b-note", {
        "department": "logistics", "severity": "breach",
        "title": "SLA breached: T-20261120-0001 resolve",
        "body": "Ticket T-20261120-0001 missed its 2d resolve target (policy standard) at "
                "2026-11-24T10:15:00+08:00.",
        "ref_id": "2f0e-breach", "ref_type": "sla.breached",
    }, source=_OUT, time="2026-11-24T10:15:00+08:00"),
    "event.rejected": _envelope("event.rejected", "0b9f-dlq", {
        "reason": "data.priority: Input should be 'P1', 'P2', 'P3' or 'P4'",
        "raw": '{"type": "complaint.received", "data": {"priority": "P9"}}',
        "topic": "complaints", "partition": 2, "offset": 1841, "key": "T-20261120-0099",
        "rejected_at": "2026-11-20T10:16:02+08:00",
    }, source=_OUT, subject="T-20261120-0099", time="2026-11-20T10:16:02+08:00"),
    "corrective_action.fixed": _envelope("corrective_action.fixed", "api-7f3c", {
        "action_id": "a41c-action", "department": "logistics",
        "what_changed": "a second courier on the Pudong route from 4 November",
        "changed_at": "2026-11-04T09:00:00+08:00", "actor": "logistics-head",
    }, source="sla-police/api", subject="T-20261102-0042", time="2026-11-04T16:00:00+08:00"),
    "sla.fix_declared": _envelope("sla.fix_declared", "a41c-fix", {
        "action_id": "a41c-action", "department": "logistics",
        "what_changed": "a second courier on the Pudong route from 4 November",
        "changed_at": "2026-11-04T09:00:00+08:00", "declared_by": "logistics-head",
        "declared_at": "2026-11-04T16:00:00+08:00", "caused_by": "api-7f3c",
    }, source=_OUT, subject="T-20261102-0042", time="2026-11-04T16:00:00+08:00"),
    "corrective_action.opened": _envelope("corrective_action.opened", "a41c-opened", {
        "action_id": "a41c-action", "rule": "repeat-incident", "department": "logistics",
        "category": "delivery.late", "anchor_ticket": "T-20261102-0042",
        "opened_at": "2026-11-02T10:15:00+08:00", "due_at": "2026-11-09T10:15:00+08:00",
        "due": "5d", "baseline_count": 5, "window": "7d", "window_seconds": 604800,
        "caused_by": "9d1c-attr",
    }, source=_OUT, subject="T-20261102-0042", time="2026-11-02T10:15:00+08:00"),
    "corrective_action.reviewed": _envelope("corrective_action.reviewed", "a41c-reviewed", {
        "action_id": "a41c-action", "rule": "repeat-incident", "department": "logistics",
        "category": "delivery.late", "anchor_ticket": "T-20261102-0042",
        "opened_at": "2026-11-02T10:15:00+08:00", "fixed_at": "2026-11-04T16:00:00+08:00",
        "reviewed_at": "2026-11-18T16:00:00+08:00", "baseline_count": 9,
        "baseline_seconds": 798300, "baseline_per_day": 0.9741, "review_count": 2,
        "review_seconds": 1209600, "review_per_day": 0.1429, "worked_below": 0.5,
        "worked": True,
    }, source=_OUT, subject="T-20261102-0042", time="2026-11-18T16:00:00+08:00"),
    "concession.granted": _envelope("concession.granted", "crm-20", {
        "agent": "agent-012", "amount": "300.00", "currency": "CNY", "kind": "credit",
        "contact_reason": "delivery.late", "approved_by": "sup-004", "request_id": "crm-18",
    }, time="2026-11-20T10:40:00+08:00"),
    "concession.requested": _envelope("concession.requested", "crm-18", {
        "agent": "agent-012", "amount": "300.00", "currency": "CNY", "kind": "credit",
        "note": "third late delivery this month",
    }, time="2026-11-20T10:25:00+08:00"),
    "concession.decided": _envelope("concession.decided", "crm-19", {
        "request_id": "crm-18", "decision": "approved", "decided_by": "sup-004",
        "level": "supervisor",
    }, time="2026-11-20T10:38:00+08:00"),
    "audit.completed": _envelope("audit.completed", "api-audit-1", {
        "audit_id": "8e2d-audit", "verdict": "compliant", "auditor": "qa-007",
        "note": "approval on file, amount within the supervisor's limit",
    }, source="sla-police/api", time="2026-11-22T15:00:00+08:00"),
    "agent.updated": _envelope("agent.updated", "hr-roster-412", {
        "agent": "agent-012", "level": "agent", "team": "pilot_east",
    }, source="hr/roster", subject="agent-012", time="2026-11-01T08:00:00+08:00"),
    "authority.exceeded": _envelope("authority.exceeded", "8e2d-exceeded", {
        "grant_id": "crm-21", "agent": "agent-031", "level": "agent", "team": "east",
        "contact_reason": "delivery.late", "kind": "refund", "amount": "400.00",
        "currency": "CNY", "limit": "100", "approved_by": "lead-002",
        "approver_level": "team_lead", "approver_limit": "250",
        "why": "approver_limit_too_low", "granted_at": "2026-11-20T11:05:00+08:00",
        "department": "triage", "priority": "P3",
    }, source=_OUT, time="2026-11-20T11:05:00+08:00"),
    "concession.recorded": _envelope("concession.recorded", "8e2d-recorded", {
        "grant_id": "crm-20", "agent": "agent-012", "level": "agent", "team": "pilot_east",
        "contact_reason": "delivery.late", "kind": "credit", "amount": "300.00",
        "currency": "CNY", "limit": "100", "pilot": None, "needed_approval": True,
        "approved_by": "sup-004", "request_id": "crm-18", "within_authority": True,
        "audited": True, "granted_at": "2026-11-20T10:40:00+08:00",
    }, source=_OUT, time="2026-11-20T10:40:00+08:00"),
    "approval.recorded": _envelope("approval.recorded", "8e2d-approval", {
        "request_id": "crm-18", "agent": "agent-012", "level": "agent", "team": "pilot_east",
        "contact_reason": "delivery.late", "kind": "credit", "amount": "300.00",
        "currency": "CNY", "limit": "100", "decision": "approved", "decided_by": "sup-004",
        "decider_level": "supervisor", "requested_at": "2026-11-20T10:25:00+08:00",
        "decided_at": "2026-11-20T10:38:00+08:00", "wait_seconds": 780,
        "calendar": "always",
    }, source=_OUT, time="2026-11-20T10:38:00+08:00"),
    "audit.item_closed": _envelope("audit.item_closed", "8e2d-closed", {
        "audit_id": "8e2d-audit", "grant_id": "crm-20", "agent": "agent-012",
        "contact_reason": "delivery.late", "amount": "300.00", "currency": "CNY",
        "verdict": "compliant", "auditor": "qa-007",
        "note": "approval on file, amount within the supervisor's limit",
        "opened_at": "2026-11-20T10:40:00+08:00", "closed_at": "2026-11-22T15:00:00+08:00",
    }, source=_OUT, time="2026-11-22T15:00:00+08:00"),
    "audit.item_opened": _envelope("audit.item_opened", "8e2d-audit", {
        "audit_id": "8e2d-audit", "grant_id": "crm-20", "agent": "agent-012",
        "level": "agent", "team": "pilot_east", "contact_reason": "delivery.late",
        "kind": "credit", "amount": "300.00", "currency": "CNY", "selected_by": "threshold",
        "threshold": "250", "sample_rate": 0.05, "granted_at": "2026-11-20T10:40:00+08:00",
    }, source=_OUT, time="2026-11-20T10:40:00+08:00"),
    "authority.flagged": _envelope("authority.flagged", "8e2d-flag", {
        "flag_id": "8e2d-flag", "agent": "agent-045", "level": "agent", "team": "east",
        "contact_reason": "delivery.late", "period": "2026-10", "metrics": ["grant_rate"],
        "contacts": 120, "grants": 54, "amount": "4320.00", "currency": "CNY",
        "grant_rate": 0.45, "amount_per_grant": "80.00", "peers": 14,
        "peer_median_rate": 0.12, "peer_mad_rate": 0.03, "peer_median_amount": "75.00",
        "peer_mad_amount": "10.00", "rate_score": 7.42, "amount_score": 0.34,
        "min_score": 3.5,
    }, source=_OUT, subject="agent-045", time="2026-11-01T00:00:00+08:00"),
    **{t: _envelope(t, i, d, source=src, subject="caller-7f3e9a", time=at) for t, i, d, src, at in (
        ("call.ended", "acd-88121", {
            "call_id": "acd-88121", "caller_ref": "caller-7f3e9a", "agent": "agent-012",
            "team": "east", "started_at": "2026-11-20T10:09:30+08:00", "duration_seconds": 330,
            "ended_by": "agent", "disposition": "abusive", "warned": True,
            "ticket_id": "T-20261120-0001", "csat": 4,
        }, "acd/call-center", _TIME),
        ("qa.reviewed", "api-qa-31", {
            "qa_id": "5a1e-qa", "inspector": "qa-007", "verdict": "compliant",
            "note": "warning given twice, recording on file",
        }, "sla-police/api", "2026-11-24T15:00:00+08:00"),
        ("block.requested", "api-blk-7", {
            "caller_ref": "caller-7f3e9a", "period": "week", "evidence": ["acd-88121"],
            "reason": "third abusive call this week after warnings", "requested_by": "lead-004",
        }, "sla-police/api", "2026-11-20T10:30:00+08:00"),
        ("block.decided", "api-blk-8", {
            "request_id": "api-blk-7", "decision": "approved", "decided_by": "lead-009",
            "role": "contact_center_lead",
        }, "sla-police/api", "2026-11-20T11:00:00+08:00"),
        ("block.lifted", "api-blk-9", {
            "block_id": "b17c-block", "lifted_by": "lead-009", "role": "contact_center_lead",
            "reason": "the caller's complaint was escalated and settled",
        }, "sla-police/api", "2026-11-22T09:00:00+08:00"),
        ("caller.blocked", "b17c-blocked", {
            "block_id": "b17c-block", "caller": "caller-7f3e9a", "period": "week",
            "blocked_at": "2026-11-20T11:00:00+08:00", "until": "2026-11-27T11:00:00+08:00",
            "reason": "third abusive call this week after warnings", "by": "lead-004+lead-009",
            "requested_by": "lead-004", "approved_by": "lead-009", "evidence": ["acd-88121"],
        }, _OUT, "2026-11-20T11:00:00+08:00"),
        ("caller.unblocked", "b17c-unblocked", {
            "block_id": "b17c-block", "caller": "caller-7f3e9a", "why": "lifted",
            "at": "2026-11-22T09:00:00+08:00", "lifted_by": "lead-009",
            "reason": "the caller's complaint was escalated and settled",
        }, _OUT, "2026-11-22T09:00:00+08:00"),
        ("qa.item_opened", "5a1e-qa", {
            "qa_id": "5a1e-qa", "call_id": "acd-88121", "caller": "caller-7f3e9a",
            "agent": "agent-012", "team": "east", "week": "2026-W47", "selected_by": "sample",
            "disposition": "abusive", "warned": True, "duration_seconds": 330,
            "started_at": "2026-11-20T10:09:30+08:00", "ended_at": _TIME,
        }, _OUT, "2026-11-23T00:00:00+08:00"),
        ("call.norm_breached", "5a1e-norm", {
            "call_id": "acd-88122", "caller": "caller-7f3e9a", "agent": "agent-031",
            "team": "east", "disposition": "other", "warned": False,
            "norm": "agent_may_not_end", "ended_at": _TIME,
        }, _OUT, _TIME),
        ("block.review_due", "c3d1-review", {
            "block_id": "c3d1-block", "caller": "caller-7f3e9a",
            "blocked_at": "2026-10-21T11:00:00+08:00", "review": 1,
            "review_at": "2026-11-20T11:00:00+08:00",
        }, _OUT, "2026-11-20T11:00:00+08:00"),
        ("block.refused", "9e4b-refused", {
            "command_id": "api-blk-8", "command": "block.decided", "caller": "caller-7f3e9a",
            "why": "self_approval", "reason": "lead-004 requested this block and cannot "
            "approve it: a second person must", "by": "lead-004",
            "refused_at": "2026-11-20T11:00:00+08:00",
        }, _OUT, "2026-11-20T11:00:00+08:00"),
    )},
}


# Penalty events name their schema and its version in the envelope's "dataschema".
for _type in ("penalty.assessed", "penalty.reversed"):
    _event = EXAMPLES[_type]
    EXAMPLES[_type] = {**{k: v for k, v in _event.items() if k != "data"},
                       "dataschema": dataschema_for(_type), "data": _event["data"]}


def example(event_type: str) -> dict[str, Any]:
    """A fresh deep copy of the example of ``event_type``."""
    import copy

    return copy.deepcopy(EXAMPLES[event_type])
