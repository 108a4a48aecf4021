"""Preconditions of the exact end offsets: Faust's aiokafka consumer builds its thread with
``_new_consumer_thread``, and the thread's ``_highwaters`` gives the ListOffsets answer the
hook corrects. The correction itself against a real broker is in
``tests/integration/test_table_recovery.py`` (which also shows the defect without it)."""

from __future__ import annotations

import pytest
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

import streams._faust.end_offsets
from streams._faust.end_offsets import ExactEndOffsetsConsumerThread

CHANGELOG = TP("sla-police-tickets-changelog", 0)


def test_the_consumer_builds_the_exact_end_offsets_thread(make_app) -> None:
    thread = make_app().consumer._thread
    assert isinstance(thread, ExactEndOffsetsConsumerThread)
    assert thread.consumer.in_transaction is False  # at least once: ListOffsets path
    kwargs = thread.probe_kwargs()
    assert kwargs["bootstrap_servers"] == ["127.0.0.1:9"]
    assert kwargs["client_id"].endswith("-end-offsets")


async def test_highwaters_are_corrected_after_faust_lists_them(
        make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    thread = make_app().consumer._thread
    asked: list = []

    async def listed(self, partitions):  # Faust's: aiokafka ``end_offsets`` (ListOffsets)
        asked.append(partitions)
        return {CHANGELOG: 1}

    async def corrected(listed, **probe_kwargs):
        assert probe_kwargs == thread.probe_kwargs()
        return {tp: end + 9 for tp, end in listed.items()}

    monkeypatch.setattr(AIOKafkaConsumerThread, "_highwaters", listed)
    monkeypatch.setattr(streams._faust.end_offsets, "exact_end_offsets", corrected)
    assert await thread._highwaters([CHANGELOG]) == {CHANGELOG: 10}
    assert asked == [[CHANGELOG]]
