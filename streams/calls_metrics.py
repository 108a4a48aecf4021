"""The Prometheus metrics of the calls stages (issue 15), in :data:`streams.metrics.REGISTRY`.

``/metrics`` is public, so no label carries a caller, an agent, a call or a block id: labels
are who ended a call and its disposition (fixed sets of the contract), the norm, the rule
(names from the policy), the refusal's kind and the QA selection. Names are a contract with
``deploy/grafana`` and ``docs/operations.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

from streams.metrics import REGISTRY

if TYPE_CHECKING:
    from models import CloudEvent

__all__ = [
    "BLOCKS",
    "BLOCKS_ACTIVE",
    "BLOCK_REFUSALS",
    "CALLS_ENDED",
    "NORM_BREACHES",
    "QA_ITEMS",
    "REVIEWS_DUE",
    "UNBLOCKS",
    "observe_call_ended",
    "observe_call_output",
]

CALLS_ENDED = Counter(
    "sla_calls_ended_total", "Calls ended (call.ended accepted), by who hung up and the "
    "disposition.", ("ended_by", "disposition"), registry=REGISTRY)
NORM_BREACHES = Counter(
    "sla_call_norm_breaches_total", "Agent hang-ups outside the norms (call.norm_breached).",
    ("norm",), registry=REGISTRY)
BLOCKS = Counter(
    "sla_caller_blocks_total", "Callers blocked: kind=auto (a rule, label rule) or four_eyes "
    "(requested and approved, rule='').", ("kind", "rule", "period"), registry=REGISTRY)
UNBLOCKS = Counter(
    "sla_caller_unblocks_total", "Blocks ended: why=expired or lifted.", ("why",),
    registry=REGISTRY)
BLOCKS_ACTIVE = Gauge(
    "sla_caller_blocks_active", "Callers with an active block on the calls partitions this "
    "worker owns (sum over workers).", registry=REGISTRY)
BLOCK_REFUSALS = Counter(
    "sla_block_refusals_total", "Block commands refused (block.refused), by the kind of "
    "refusal.", ("why",), registry=REGISTRY)
REVIEWS_DUE = Counter(
    "sla_block_reviews_due_total", "Permanent blocks that came up for review.",
    registry=REGISTRY)
QA_ITEMS = Counter(
    "sla_qa_items_total", "Calls put in the QA queue: selected_by=sample or norm_breach.",
    ("selected_by",), registry=REGISTRY)


def observe_call_ended(ended_by: str, disposition: str) -> None:
    """Count one ``call.ended`` accepted by the calls stage."""
    CALLS_ENDED.labels(ended_by=ended_by, disposition=disposition).inc()


def observe_call_output(event: CloudEvent) -> None:
    """Count one output of the calls stages; other types are ignored."""
    kind, data = event.type, event.data
    if kind == "call.norm_breached":
        NORM_BREACHES.labels(norm=data.norm).inc()
    elif kind == "caller.blocked":
        BLOCKS.labels(kind="auto" if data.rule else "four_eyes", rule=data.rule or "",
                      period=data.period).inc()
    elif kind == "caller.unblocked":
        UNBLOCKS.labels(why=data.why).inc()
    elif kind == "block.refused":
        BLOCK_REFUSALS.labels(why=data.why).inc()
    elif kind == "block.review_due":
        REVIEWS_DUE.inc()
    elif kind == "qa.item_opened":
        QA_ITEMS.labels(selected_by=data.selected_by).inc()
