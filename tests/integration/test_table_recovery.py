"""Faust table recovery on the embedded Tansu broker: the end-offset defect, and its fix.

Tansu's ListOffsets(LATEST) answers "base offset of the newest batch + 1", so Faust's recovery
stops before the newest changelog records (see :mod:`streams.recovery`). These tests run real
workers (``tests.streams.recovery_probe`` in subprocesses) against a real broker, no mocks:

- the raw defect, and :func:`exact_end_offsets` giving the true "last offset + 1";
- a worker fills a table through its changelog; fresh workers (new process, empty data
  directory, so all state comes from the changelog) recover it. With the stock end offsets the
  table is behind the changelog (the defect, asserted); with the fix it equals the last value
  per key read straight from the changelog, with the memory and the RocksDB store.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from sla_police.broker import EmbeddedBroker, create_topics
from streams.recovery import exact_end_offsets

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 4
EVENTS = 800  # each counts KEYS_PER_EVENT keys: 6,400 changelog records
KEYS_PER_EVENT = 8
KEYS_PER_PARTITION = 10
WORKER_TIMEOUT = 60.0
LINGER = 0.05  # seconds
APP_SUFFIX = f"-recovery-{uuid.uuid4().hex[:8]}"  # the probe workers' app id and group
INPUT_TOPIC = f"recovery{APP_SUFFIX}-in"


@dataclass(frozen=True)
class Changelog:
    """What the fill worker left in its table's changelog, read straight from the topic."""

    topic: str
    listed: dict[TopicPartition, int]  # ListOffsets(LATEST)
    true_end: dict[TopicPartition, int]  # last offset + 1, by reading every record
    last_values: dict[str, int]  # last value per key: what a recovered table must hold


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    """A broker of our own: these tests need an empty, known changelog."""
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


def keys_of(event: int) -> list[str]:
    """The keys event ``event`` counts; each key lives on one partition only, so its
    changelog records all land in one changelog partition, in order."""
    partition = event % PARTITIONS
    return [f"p{partition}-k{(event * KEYS_PER_EVENT + j) % KEYS_PER_PARTITION}"
            for j in range(KEYS_PER_EVENT)]


def run_probe(bootstrap: str, mode: str, tmp: Path, *options: str) -> dict:
    """Run one probe worker to completion; its JSON report."""
    out = tmp / f"{mode}-{uuid.uuid4().hex[:6]}.json"
    env = {name: value for name, value in os.environ.items() if not name.startswith("SLA_")}
    argv = [sys.executable, "-m", "tests.streams.recovery_probe", mode,
            f"--bootstrap={bootstrap}", f"--app-suffix={APP_SUFFIX}", f"--topic={INPUT_TOPIC}",
            f"--data-dir={tmp / uuid.uuid4().hex[:6]}", f"--out={out}",
            f"--partitions={PARTITIONS}", f"--max-seconds={WORKER_TIMEOUT - 15}", *options]
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=WORKER_TIMEOUT)
    assert out.exists(), f"probe {mode} wrote no report (rc {proc.returncode}):\n{proc.stderr}"
    report = json.loads(out.read_text())
    assert not report.get("gave_up"), f"probe {mode} timed out:\n{proc.stderr[-3000:]}"
    return report


async def produce_input(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(topic, json.dumps(keys_of(i)).encode(),
                                    partition=i % PARTITIONS) for i in range(EVENTS)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def read_changelog(bootstrap: str, topic: str) -> Changelog:
    """Every record of ``topic``; the true end is where reading stops finding records."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        listed = await consumer.end_offsets(tps)
        last_values: dict[str, int] = {}
        while batch := await consumer.getmany(timeout_ms=1000):
            for record in (r for records in batch.values() for r in records):
                last_values[json.loads(record.key)] = json.loads(record.value)
        true_end = {tp: await consumer.position(tp) for tp in tps}
    finally:
        await consumer.stop()
    return Changelog(topic, listed, true_end, last_values)


@pytest.fixture(scope="module")
def changelog(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Changelog:
    """Fill the ``counts`` table with a worker, stop it, and read what its changelog holds."""
    tmp = tmp_path_factory.mktemp("recovery")
    create_topics(bootstrap, [INPUT_TOPIC], PARTITIONS)
    asyncio.run(produce_input(bootstrap, INPUT_TOPIC))
    # A producer linger makes changelog batches big (as under load), so the newest batch of
    # each partition holds many records: the ones stock recovery on Tansu would drop.
    report = run_probe(bootstrap, "fill", tmp, f"--expect={EVENTS}", f"--linger={LINGER}")
    expected = dict(Counter(key for event in range(EVENTS) for key in keys_of(event)))
    assert report["table"] == expected
    result = asyncio.run(read_changelog(bootstrap, report["changelog_topic"]))
    assert result.last_values == expected
    assert sum(result.true_end.values()) == EVENTS * KEYS_PER_EVENT
    return result


async def test_list_offsets_under_reports_and_exact_end_offsets_correct_it(
    bootstrap: str,
) -> None:
    topic = f"end-offsets-{uuid.uuid4().hex[:8]}"
    create_topics(bootstrap, [topic], 3)
    batch, single, empty = (TopicPartition(topic, p) for p in range(3))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=50)
    await producer.start()
    try:  # ten records in one batch on partition 0, one record on partition 1
        sent = [await producer.send(topic, b"v%d" % i, partition=0) for i in range(10)]
        await asyncio.gather(*sent)
        await producer.send_and_wait(topic, b"one", partition=1)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        listed = await consumer.end_offsets([batch, single, empty])
    finally:
        await consumer.stop()
    assert listed == {batch: 1, single: 1, empty: 0}  # the defect: 1, not 10
    exact = await exact_end_offsets(listed, bootstrap_servers=bootstrap)
    assert exact == {batch: 10, single: 1, empty: 0}
    # Never below what ListOffsets said, even if that is past the real end.
    inflated = await exact_end_offsets({single: 5}, bootstrap_servers=bootstrap, timeout=2)
    assert inflated == {single: 5}


def test_faust_changelog_end_offsets_are_corrected(bootstrap: str, changelog: Changelog) -> None:
    exact = asyncio.run(exact_end_offsets(changelog.listed, bootstrap_servers=bootstrap))
    assert exact == changelog.true_end


def test_recovery_without_the_fix_misses_the_newest_records(
    bootstrap: str, changelog: Changelog, tmp_path: Path
) -> None:
    """Documents the defect: stock Faust recovery on Tansu leaves the table behind."""
    short = {tp for tp, end in changelog.listed.items() if end < changelog.true_end[tp]}
    assert short, "precondition: some changelog partition ends with a multi-record batch"
    report = run_probe(bootstrap, "recover", tmp_path, "--no-fix")
    assert report["events_seen"] == 0
    behind = {key: (value, report["table"].get(key))
              for key, value in changelog.last_values.items()
              if report["table"].get(key) != value}
    assert behind, "stock end offsets recovered everything: has the broker been fixed?"
    assert {key.split("-")[0] for key in behind} <= {f"p{tp.partition}" for tp in short}


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
def test_recovery_with_the_fix_is_exact(
    bootstrap: str, changelog: Changelog, tmp_path: Path, store: str
) -> None:
    report = run_probe(bootstrap, "recover", tmp_path, f"--store={store}")
    assert report["events_seen"] == 0
    assert report["table"] == changelog.last_values
