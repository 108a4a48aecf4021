"""Fixtures of the stream integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sla_police.broker import EmbeddedBroker, ensure_inbound_topics

PARTITIONS = 4


@pytest.fixture
def bootstrap() -> Iterator[str]:
    """A fresh embedded broker per test (outbound topics start empty), topics created."""
    with EmbeddedBroker() as broker:
        ensure_inbound_topics(broker.bootstrap, PARTITIONS)
        yield broker.bootstrap
