"""The worker's logging of Faust: quiet at INFO, except where a stalled stop says why."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from sla_police.logs import configure_logging
from sla_police.settings import Settings
from streams.app import LIBRARY_LOGGERS, create_app


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = (*LIBRARY_LOGGERS, "faust.transport.producer",
             *(n for n in logging.root.manager.loggerDict if n.startswith("streams._faust")))
    kept = {name: (logging.getLogger(name).level, logging.getLogger(name).filters[:])
            for name in names}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (library_level, filters) in kept.items():
        logging.getLogger(name).setLevel(library_level)
        logging.getLogger(name).filters[:] = filters
    logging.captureWarnings(False)
    structlog.reset_defaults()


def _logged(level: str, tmp_path: Path) -> list[str]:
    """What the consumer's own log lines (Faust's way of logging) leave in the log."""
    stream = io.StringIO()
    configure_logging(level, stream)
    settings = Settings(kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path, log_level=level,
                        table_store="memory://")
    consumer = create_app(settings, web_enabled=False).consumer
    consumer.log.info("Subscribed to topic(s): %r", {"complaints"})
    consumer.log.warning("wait_empty: Waiting for tasks %r", [(1, "calls 2@3")])
    consumer.log.info("Agent tracebacks:\n%s", "sla-ledger: streams/ledger_sink.py:299")
    return [json.loads(line)["event"] for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
def test_a_stalled_wait_logs_which_agent_holds_the_messages(
        level: str, tmp_path: Path) -> None:
    logged = _logged(level, tmp_path)
    assert len(logged) == 2, logged
    assert "wait_empty: Waiting for tasks" in logged[0]
    assert "Agent tracebacks:\nsla-ledger: streams/ledger_sink.py:299" in logged[1]


def test_debug_logs_the_consumer_whole(tmp_path: Path) -> None:
    logged = _logged("DEBUG", tmp_path)
    assert any("Subscribed to topic(s)" in line for line in logged)
    assert any("Agent tracebacks" in line for line in logged)
