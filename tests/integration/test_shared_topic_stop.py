"""A worker whose two agents read one topic stops on SIGTERM, and loses nothing.

In SLA Police the calls agent and the ledger sink of a worker both read ``calls``. Faust
empties its streams' queues when it stops, then waits until every message a stream took is
acked; a message the ledger had acked while the calls agent, behind, still had it queued was
waited for forever (``streams/_faust/dropped_copies.py``). Here a real worker
(``tests.streams.shared_topic_probe``, every patch of the fence) on the embedded broker: its
``batches`` agent has taken the whole topic, its ``slow`` agent two messages, when it sends
itself SIGTERM. It must stop, commit only what both agents processed, and the next worker
must read the rest again.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from sla_police.broker import EmbeddedBroker, create_topics
from streams.offsets import committed_offsets

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 30
STOP_TIMEOUT = 60.0  # seconds for a probe worker's whole run: a stop that hangs fails here
APP_SUFFIX = f"-shared-{uuid.uuid4().hex[:8]}"
TOPIC = f"shared{APP_SUFFIX}"


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    with EmbeddedBroker() as broker:
        create_topics(broker.bootstrap, [TOPIC], 1)
        asyncio.run(_produce(broker.bootstrap))
        yield broker.bootstrap


async def _produce(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(MESSAGES):
            await producer.send_and_wait(TOPIC, f"call {n}".encode(), key=b"c", partition=0)
    finally:
        await producer.stop()


def _run_probe(bootstrap: str, mode: str, tmp: Path) -> dict:
    out = tmp / f"{mode}.json"
    env = {name: value for name, value in os.environ.items() if not name.startswith("SLA_")}
    argv = [sys.executable, "-m", "tests.streams.shared_topic_probe", mode,
            f"--bootstrap={bootstrap}", f"--app-suffix={APP_SUFFIX}", f"--topic={TOPIC}",
            f"--data-dir={tmp / mode}", f"--out={out}", f"--expect={MESSAGES}",
            f"--max-seconds={STOP_TIMEOUT - 20}"]
    try:
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the {mode} worker did not stop:\n{(exc.stderr or b'')[-3000:]!r}")
    assert out.exists(), f"probe {mode} wrote no report (rc {proc.returncode}):\n{proc.stderr}"
    report = json.loads(out.read_text())
    assert not report.get("gave_up"), f"probe {mode} gave up:\n{proc.stderr[-3000:]}"
    return report


def _committed(bootstrap: str) -> int:
    group = f"sla-police{APP_SUFFIX}"
    return asyncio.run(committed_offsets(bootstrap, group, [(TOPIC, 0)]))[(TOPIC, 0)]


def test_a_stop_with_one_agent_behind_ends_and_the_rest_is_read_again(
        bootstrap: str, tmp_path: Path) -> None:
    stopped = _run_probe(bootstrap, "stop", tmp_path)
    assert stopped["batched"] == MESSAGES  # the batching agent had taken everything
    processed = stopped["slow"]
    assert processed == list(range(len(processed))) and len(processed) < MESSAGES
    assert _committed(bootstrap) == len(processed)  # what both agents processed, no more

    finished = _run_probe(bootstrap, "finish", tmp_path)
    assert finished["slow"] == list(range(len(processed), MESSAGES))
