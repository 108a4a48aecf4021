"""The API's command publishers: without Kafka, or with Kafka unreachable, a command is
refused with :class:`api.PublishError` (the API answers 503), and the next one tries again."""

from __future__ import annotations

import socket

import pytest

from api import PublishError
from sla.testing import disputed
from sla_police.command_bus import KafkaCommandBus, NoCommandBus, command_topic

EVENT = disputed("T-1", "2026-11-20T10:00:00+08:00", "logistics")


async def test_without_kafka_commands_are_refused() -> None:
    with pytest.raises(PublishError, match="SLA_KAFKA_BOOTSTRAP is not set"):
        await NoCommandBus().publish(EVENT)


async def test_an_unreachable_broker_is_a_publish_error_each_time() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bus = KafkaCommandBus(f"127.0.0.1:{port}")
    for _ in range(2):
        with pytest.raises(PublishError, match=f"127.0.0.1:{port}"):
            await bus.publish(EVENT)
    await bus.close()


def test_commands_go_to_their_inbound_topic_and_a_flag_to_the_authority_topic() -> None:
    assert [command_topic(t) for t in ("dispute.ruled", "audit.completed",
                                       "complaint.received", "authority.flagged")] == [
        "ticket-events", "ticket-events", "complaints", "authority"]
