"""A broker outage longer than the producer's request timeout: nothing is lost.

The worker works through a backlog when the broker stops answering (the broker process is
paused with SIGSTOP, so connections stay open and requests go unanswered, as with a hung
broker or a network partition). Its outputs and table writes wait for acknowledgements
past ``SLA_PRODUCER_REQUEST_TIMEOUT`` and fail. The worker must not commit the inputs of
those records: it stops with an error, the reason in its log, and its restart resumes from
the last commit, on the tables it kept: written behind their changelogs, they never hold
what the broker did not acknowledge (``streams.table_writes``, ``streams.local_tables``). The
outputs then equal replay's, none missing. Without
``streams._faust.undelivered`` the worker runs on and commits, so this test fails (it never
exits); with the smaller log of ``small_log(seed=21)``, 873 outputs were never published.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sla_police.broker import EmbeddedBroker, ensure_inbound_topics
from streams.testing import WorkerProcess, publish_log, settled_outputs
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import (
    actual_outputs,
    assert_same_as_replay,
    expected_outputs,
    small_log,
)

pytestmark = pytest.mark.integration

REQUEST_TIMEOUT = 2.0  # seconds; the outage lasts four times as long
OUTAGE = 8.0


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as running:
        ensure_inbound_topics(running.bootstrap, PARTITIONS)
        yield running


def test_an_outage_past_the_request_timeout_stops_the_worker_and_loses_nothing(
        broker: EmbeddedBroker, tmp_path: Path) -> None:
    lines = small_log(seed=21, calls_per_day=480)  # about 3,500 lines: seconds of work
    expected, until = expected_outputs(lines)
    asyncio.run(publish_log(broker.bootstrap, lines, until, partitions=PARTITIONS))
    first = WorkerProcess(broker.bootstrap, tmp_path / "w", store="rocksdb://", extra_env={
        "SLA_PRODUCER_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT), "SLA_LOG_LEVEL": "INFO"})
    first.start()
    try:
        processed = _pause_broker_once_working(broker, first, len(lines))
        # the rest of the backlog is fetched already: its outputs are made during the outage
        assert processed <= len(lines) // 2, "too much of the backlog done before the outage"
        assert first.process is not None
        assert first.process.wait(timeout=90) == 1  # stopped with an error, not hung
        log = (tmp_path / "w" / "worker.log").read_text(encoding="utf-8")
        assert "a record was not delivered to Kafka" in log and "UndeliveredRecords" in log
        second = WorkerProcess(broker.bootstrap, tmp_path / "w", store="rocksdb://",
                               port=first.port, extra_env={"SLA_LOG_LEVEL": "INFO"}).start()
        try:
            second.wait_ready(timeout=90, partitions=PARTITIONS)
            found = settled_outputs(broker.bootstrap, second.app_id)
        finally:
            second.stop()
    finally:
        os.kill(broker.pid, signal.SIGCONT)  # harmless if it runs already
        first.stop()
    log = (tmp_path / "w" / "worker.log").read_text(encoding="utf-8")
    # the first worker stopped with records undelivered: its tables, written behind their
    # changelogs, were kept; the second stopped cleanly and left them to the next one
    assert log.count("local tables kept after an unclean stop") == 1
    assert "local tables discarded" not in log
    assert (tmp_path / "w" / "faust" / "v1" / "tables.state").read_text().startswith("clean")
    try:
        assert_same_as_replay(actual_outputs(found), expected)
    except AssertionError as failure:  # what both workers said when they took partitions
        ready = [line for line in (tmp_path / "w" / "worker.log").read_text(
            encoding="utf-8").splitlines() if " ready: " in line]
        raise AssertionError(f"{failure}\nrecoveries:\n" + "\n".join(ready)) from None


def _pause_broker_once_working(broker: EmbeddedBroker, worker: WorkerProcess,
                               backlog: int) -> float:
    """SIGSTOP the broker as soon as the worker says it applied events (it answers between
    two batches), SIGCONT it ``OUTAGE`` seconds later; the worker's count at the stop."""
    deadline = time.monotonic() + 120
    while not (processed := worker.events_in(answer_within=0.5) or 0):
        assert time.monotonic() < deadline, "the worker applied no event in 120 s"
        assert worker.process is not None and worker.process.poll() is None, "worker died"
        time.sleep(0.02)
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        time.sleep(OUTAGE)
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    return min(processed, backlog)
