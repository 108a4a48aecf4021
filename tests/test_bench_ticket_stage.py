"""The ticket stage bench runs at a tiny size: its fakes take what the stage hands them
(the bench broke once when the emitter's signature grew), and two fresh passes over the
same backlog publish the same outputs and rows, which its sha256 lines rely on to show
that a change kept the bytes (no timing is asserted: figures are the bench's job)."""

from __future__ import annotations

import asyncio

from bench.bench_stream_throughput import make_backlog
from bench.bench_ticket_stage import Pass, PenaltyPass, messages_of


def test_two_passes_over_one_backlog_publish_the_same_bytes() -> None:
    messages = messages_of(make_backlog(300))
    first, second = Pass(batch=100), Pass(batch=100)

    asyncio.run(first.run(messages))
    asyncio.run(second.run(messages))

    assert first.digests() == second.digests()
    assert len(first.emitter.published) > 300 and first.records > 0


def test_the_department_stage_reads_what_the_ticket_stage_sent() -> None:
    tickets = Pass(batch=100)
    asyncio.run(tickets.run(messages_of(make_backlog(300))))
    departments = PenaltyPass(batch=100)

    asyncio.run(departments.run(tickets.emitter.messages()))

    assert departments.records > 0 and departments.stage.emitter.published  # type: ignore[attr-defined]
