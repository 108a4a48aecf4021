"""Shared pytest fixtures. Keep each fixture small and documented; add yours below."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sla_police.testing import running_broker


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of one embedded broker shared by the whole test session.

    All SLA Police topics exist (4 partitions each). The broker is shared: use unique topic
    names or consumer groups per test, and never assume a topic is empty.
    """
    with running_broker(partitions=4) as bootstrap:
        yield bootstrap
