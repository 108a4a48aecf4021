"""Test helpers for code that talks to Kafka, in the spirit of ``structlog.testing``.

Public so that tests of every package (and downstream users) share one way to get a real,
disposable broker instead of mocking Kafka.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sla_police.broker import EmbeddedBroker, ensure_inbound_topics

__all__ = ["running_broker"]


@contextmanager
def running_broker(partitions: int = 4, *, log_path: Path | None = None) -> Iterator[str]:
    """Run a fresh embedded broker on a free loopback port with every SLA Police topic created.

    Yields the bootstrap string (``"127.0.0.1:PORT"``); the broker and its data are gone after
    the ``with`` block. Use it once per test session where possible: startup is cheap (well under
    a second) but each broker is an empty cluster.
    """
    with EmbeddedBroker(log_path=log_path) as broker:
        ensure_inbound_topics(broker.bootstrap, partitions)
        yield broker.bootstrap
