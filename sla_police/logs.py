"""One log format for a whole process: ours, Faust's and the Kafka clients' records.

:func:`configure_logging` sends every record through structlog: JSON lines (``timestamp``,
``level``, ``logger``, ``event`` and any bound values) when the stream is not a terminal
(containers, log files, the tests' ``worker.log``), readable coloured lines on one. The
libraries log through the standard :mod:`logging` module; structlog's
:class:`~structlog.stdlib.ProcessorFormatter` renders their records like ours, so a log
collector parses one format. The shell calls it once, before the worker starts; lower
layers keep using :func:`logging.getLogger` and know nothing of it.

What is logged is ours to keep clean: event ids, ticket ids, topics and offsets, never a
secret (the webhook secret, database passwords: URLs are logged with the password hidden)
and never a payload (a complaint carries a ``customer_ref``). A caller's pseudonym is the
customer's too: in any record, an API path ``/callers/<ref>`` and a ``caller=<ref>`` query
are written with the reference replaced (:class:`CallerRedaction`; uvicorn's access log
names every path the IVR asks about).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog

__all__ = ["CallerRedaction", "configure_logging", "get_logger", "redact_callers"]

_CALLER_PATH = re.compile(r"(/callers/)[^/?#\s\"]+")
_CALLER_QUERY = re.compile(r"([?&]caller=)[^&#\s\"]+")
REDACTED = "<caller>"


def redact_callers(text: str) -> str:
    """``text`` with every ``/callers/<ref>`` path segment and ``caller=<ref>`` query value
    replaced by ``<caller>``."""
    if "caller" not in text:
        return text
    return _CALLER_QUERY.sub(rf"\g<1>{REDACTED}", _CALLER_PATH.sub(rf"\g<1>{REDACTED}", text))


class CallerRedaction(logging.Filter):
    """Rewrites a record's message and string arguments with :func:`redact_callers`, on the
    handler, so every logger's records pass through it (uvicorn's access log included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_callers(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_callers(a) if isinstance(a, str) else a
                                for a in record.args)
        return True

#: Processors for every record, ours and the libraries'.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Log records of ``level`` and above to ``stream`` (stderr), in one format: JSON lines
    unless ``stream`` is a terminal. Replaces any handler already on the root logger."""
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(CallerRedaction())
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED, processors=_renderers(_is_terminal(stream))))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    _quiet_libraries(level)
    logging.captureWarnings(True)  # warnings.warn goes through logging too, not raw stderr
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *_SHARED,
                    structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    """A structlog logger named ``name``: ``log.info("event", key=value)``."""
    return structlog.stdlib.get_logger(name)


def _quiet_libraries(level: str) -> None:
    """Faust's and the Kafka clients' INFO (every connection, every rebalance step) only
    with DEBUG, httpx's request lines (full URLs) never; :func:`streams.app.create_app`
    keeps them so for apps built without us."""
    from streams.app import LIBRARY_LOGGERS, URL_LOGGERS

    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name in URL_LOGGERS:  # a webhook URL may carry its credential: never logged
        logging.getLogger(name).setLevel(logging.WARNING)


def _renderers(pretty: bool) -> list[Any]:
    meta = structlog.stdlib.ProcessorFormatter.remove_processors_meta
    if pretty:
        return [meta, structlog.dev.ConsoleRenderer()]
    return [meta, structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
