"""Shared pytest fixtures. Keep each fixture small and documented; add yours below."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sla_police.testing import running_broker


@pytest.hookimpl(tryfirst=True)  # before xdist's, which names each test's group from it
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist (``make test``: ``-n 2 --dist loadgroup``), two groups: the live
    tier (``integration``: brokers, workers, Prometheus, which must not compete with each
    other) and the rest. Each group runs in one worker in collection order, as a plain
    ``pytest`` run orders them, so which test runs after which never depends on xdist's
    scheduling (a test that leaves state behind cannot pass or fail by the luck of it)."""
    for item in items:
        live = item.get_closest_marker("integration") is not None
        item.add_marker(pytest.mark.xdist_group("live" if live else "pure"))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of one embedded broker shared by the whole test session.

    All SLA Police topics exist (4 partitions each). The broker is shared: use unique topic
    names or consumer groups per test, and never assume a topic is empty.
    """
    with running_broker(partitions=4) as bootstrap:
        yield bootstrap
