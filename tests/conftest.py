"""Shared pytest fixtures. Keep each fixture small and documented; add yours below."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sla_police.testing import running_broker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist (``make test``: ``-n 2 --dist loadgroup``), every test of the live
    tier runs in one worker, one after the other as without xdist: they start brokers,
    workers and Prometheus and must not compete with each other; the other tests share the
    second worker (and the first once the live tier is done)."""
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(pytest.mark.xdist_group("live"))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of one embedded broker shared by the whole test session.

    All SLA Police topics exist (4 partitions each). The broker is shared: use unique topic
    names or consumer groups per test, and never assume a topic is empty.
    """
    with running_broker(partitions=4) as bootstrap:
        yield bootstrap
