"""One log format: JSON lines off a terminal, readable lines on one, library records too."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from sla_police.logs import configure_logging, get_logger


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    libraries = {name: logging.getLogger(name).level for name in ("faust", "mode", "aiokafka",
                                                                   "kafka")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, library_level in libraries.items():
        logging.getLogger(name).setLevel(library_level)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_ours_and_the_libraries_records_are_json_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    get_logger("sla_police.worker").info("worker starting", app_id="sla-police", partitions=4)
    logging.getLogger("aiokafka.consumer").warning("heartbeat failed for %s", "group-1")
    logging.getLogger("faust").debug("below the level: not written")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("sla_police.streams").exception("failed on %s", "complaints[0]@7")
    ours, library, failure = records(stream)
    assert {k: ours[k] for k in ("event", "level", "logger", "app_id", "partitions")} == {
        "event": "worker starting", "level": "info", "logger": "sla_police.worker",
        "app_id": "sla-police", "partitions": 4}
    assert (library["event"], library["level"], library["logger"]) == (
        "heartbeat failed for group-1", "warning", "aiokafka.consumer")
    assert failure["event"] == "failed on complaints[0]@7" and failure["level"] == "error"
    assert "RuntimeError: boom" in failure["exception"]
    assert all(r["timestamp"].endswith("Z") for r in (ours, library, failure))


def test_warnings_are_logged_too() -> None:
    import warnings

    stream = io.StringIO()
    configure_logging("INFO", stream)
    warnings.warn("something is deprecated", DeprecationWarning, stacklevel=1)
    [record] = records(stream)
    assert record["logger"] == "py.warnings" and "something is deprecated" in record["event"]


def test_a_terminal_gets_readable_lines() -> None:
    stream = Terminal()
    configure_logging("WARNING", stream)
    get_logger("sla_police.worker").info("not written")
    logging.getLogger("mode").warning("rebalance took %d s", 3)
    [line] = stream.getvalue().splitlines()
    assert "rebalance took 3 s" in line and "warn" in line and not line.startswith("{")


def test_the_libraries_info_only_with_debug() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    logging.getLogger("kafka.conn").info("connected to 127.0.0.1:9092")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001")
    assert [r["logger"] for r in records(stream)] == ["alembic.runtime.migration"]
    configure_logging("DEBUG", stream)
    logging.getLogger("kafka.conn").info("connected to 127.0.0.1:9092")
    assert records(stream)[-1]["logger"] == "kafka.conn"


def test_a_callers_reference_never_reaches_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    access = logging.getLogger("uvicorn.access")  # how uvicorn logs every request
    # as `sla-police api` leaves them (log_config=None): an in-process uvicorn of another
    # test may have applied uvicorn's own logging config (no propagation) in this process
    for logger in (logging.getLogger("uvicorn"), access):
        for attribute, value in (("propagate", True), ("disabled", False),
                                 ("level", logging.INFO)):
            monkeypatch.setattr(logger, attribute, value)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                "/api/v1/callers/c-7f3e9a/block", "1.1", 200)
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                "/api/v1/blocks?period=day&caller=c-7f3e9a", "1.1", 200)
    logging.getLogger("api").error("ledger query failed on /api/v1/callers/c-7f3e9a/block")
    text = stream.getvalue()
    assert "c-7f3e9a" not in text
    assert text.count("/api/v1/callers/<caller>/block") == 2 and "caller=<caller>" in text
