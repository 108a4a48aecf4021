"""A real worker logs JSON lines to a file (not a terminal), library records included, and
never a payload: a complaint put on a ledger topic is skipped without its customer_ref."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from models.examples import example
from models.topics import PENALTIES
from streams.testing import WorkerProcess

pytestmark = pytest.mark.integration
SKIPPED = "ledger: skipped a value that is not an outbound event"


def wait_for_line(worker: WorkerProcess, text: str, timeout: float = 60.0) -> None:
    log = worker.data_dir / "worker.log"
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {text!r} in worker.log:\n{worker.log()}")
        time.sleep(0.3)


def test_worker_log_is_json_lines_without_customer_data(bootstrap: str, tmp_path: Path) -> None:
    from kafka import KafkaProducer

    complaint = example("complaint.received")
    worker = WorkerProcess(bootstrap, tmp_path / "w", extra_env={"SLA_LOG_LEVEL": "INFO"})
    worker.start()
    try:
        worker.wait_ready(partitions=4)
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        producer.send(PENALTIES, value=json.dumps(complaint).encode())
        producer.flush()
        producer.close()
        wait_for_line(worker, SKIPPED)
    finally:
        worker.stop()
    text = (worker.data_dir / "worker.log").read_text()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all({"event", "level", "timestamp", "logger"} <= r.keys() for r in records)
    loggers = {r["logger"] for r in records}
    assert "sla_police.worker" in loggers  # ours, through structlog
    assert any(name.startswith("alembic") for name in loggers)  # a library's, through logging
    [skipped] = [r for r in records if r["event"].startswith(SKIPPED)]
    assert skipped["level"] == "error"
    assert complaint["data"]["customer_ref"] not in text
