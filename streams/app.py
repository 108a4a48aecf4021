"""The Faust app factory: one place that turns :class:`StreamSettings` into a ``faust.App``.

Every worker, test and tool builds its app here, so the choices that make Faust behave on the
embedded Tansu broker (see ``streams/NOTES.md``) are made once:

- short group timeouts (session 6 s, the least Apache Kafka accepts by default, rebalance
  3 s, heartbeat 1 s): Tansu holds a JoinGroup for half the session timeout rounded up to a
  second, so a join takes ~3 s instead of ~30 s with Faust's 60 s default; on the embedded
  broker the shell uses 2 s and 0.5 s (:data:`sla_police.broker.EMBEDDED_GROUP_TIMEOUTS`),
  a join of ~1 s;
- at-least-once processing with ``acks=all`` (Tansu refuses Faust's exactly-once);
- producer batches of up to 256 KB that linger 5 ms: about a tenth more throughput in the
  throughput bench than Faust's 16 KB sent at once, for 5 ms of latency at most;
- the framework patches of :mod:`streams._faust` (``install``; its README is the upgrade
  checklist), after a check that every Faust and aiokafka internal they touch is as expected
  (:class:`FrameworkMismatch` otherwise): exact changelog end offsets for table recovery,
  without which a restarted worker silently loses the newest table updates on Tansu; a
  commit of everything processed before partitions are revoked, which Faust itself skips; a
  seek back to their start of partitions with no committed offset after a rebalance; a
  producer flush that waits for every buffered table write before an offset commit; one
  committed-offset request for all partitions where aiokafka made one per partition (the
  seek after a rebalance, the start positions), and a LeaveGroup on stop also in Tansu's
  first generation (0), which aiokafka skips (the next worker then waited ~8 s);
- ``env={}``: Faust settings normally let environment variables (``BROKER_URL``,
  ``APP_ENV_PREFIX``...) override the arguments given here; an empty environment makes the
  :class:`StreamSettings` object the only source of configuration, as everywhere else in SLA
  Police.
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from streams._faust import FrameworkMismatch, check_internals, install
from streams.config import StreamSettings

__all__ = ["LIBRARY_LOGGERS", "URL_LOGGERS", "FrameworkMismatch", "check_internals", "create_app"]

#: Loggers of the libraries under Faust; quiet (WARNING) unless the settings ask for DEBUG.
LIBRARY_LOGGERS = ("faust", "mode", "aiokafka", "kafka")
#: Loggers that write whole request URLs (httpx: every request at INFO). A group bot's URL
#: carries its credential (WeCom ``key``, DingTalk ``access_token``), so they stay at
#: WARNING whatever the level, DEBUG included.
URL_LOGGERS = ("httpx",)

_COMMIT_INTERVAL = 1.0  # seconds: bounds what a crash makes us process again
_PRODUCER_LINGER = 0.005  # seconds a batch may wait for more records: fewer produce requests
_PRODUCER_BATCH_BYTES = 256 * 1024  # per partition batch (Faust's default 16 KB)
_TABLE_CLEANUP_INTERVAL = 30.0  # seconds: windowed-table expiry sweep (Faust's default)


def create_app(
    settings: StreamSettings,
    *,
    id_suffix: str = "",
    web_enabled: bool = True,
    exact_end_offsets: bool = True,
    **options: Any,
) -> faust.App:
    """Build the SLA Police ``faust.App`` from ``settings``; agents and tables are added later.

    ``settings.kafka_bootstrap`` must name the cluster (start the embedded broker first and pass
    its bootstrap). ``id_suffix`` is appended to ``settings.app_id``, giving tests their own
    consumer group and changelog topics. ``exact_end_offsets=False`` leaves Faust's stock end
    offsets in place (only to demonstrate the Tansu recovery defect). ``options`` are further
    ``faust.App`` settings and win over the ones chosen here (tuning, tests). Raises
    :class:`FrameworkMismatch` when the installed faust-streaming or aiokafka lacks an
    internal the patches need.
    """
    if not settings.kafka_bootstrap:
        raise ValueError(
            "settings.kafka_bootstrap is not set: start the embedded broker (or point "
            "SLA_KAFKA_BOOTSTRAP at a Kafka cluster) before creating the Faust app"
        )
    _quiet_library_loggers(settings.log_level)
    datadir = settings.data_dir / "faust"
    datadir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level itself
    chosen: dict[str, Any] = dict(
        broker=_broker_urls(settings.kafka_bootstrap),
        store=settings.table_store,
        datadir=str(datadir),
        autodiscover=False,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        producer_linger=_PRODUCER_LINGER,
        producer_max_batch_size=_PRODUCER_BATCH_BYTES,
        broker_commit_interval=_COMMIT_INTERVAL,
        broker_session_timeout=settings.broker_session_timeout,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        producer_request_timeout=settings.producer_request_timeout,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        table_cleanup_interval=_TABLE_CLEANUP_INTERVAL,
        web_enabled=web_enabled,
        web_host=settings.web_host,
        web_port=settings.web_port,
    )
    app = faust.App(settings.app_id + id_suffix, env={}, **{**chosen, **options})
    install(app, exact_end_offsets=exact_end_offsets)
    _quiet_patched_classes(app, settings.log_level)
    return app


def _quiet_patched_classes(app: faust.App, level: str) -> None:
    """The fence's consumer and producer log like Faust's own, except the agents' stacks
    of a stalled wait (:class:`_StallNotice`), unless ``level`` is DEBUG."""
    for cls in (app.transport.Consumer, app.transport.Producer):
        patched = cls.logger
        if level == "DEBUG":
            patched.setLevel(logging.NOTSET)
            patched.removeFilter(_STALL)
        else:
            patched.setLevel(logging.INFO)
            patched.addFilter(_STALL)  # once: a filter is added only if absent


def _broker_urls(bootstrap: str) -> str:
    """``host:port[,host:port]`` as Faust's ``kafka://a;kafka://b`` broker list."""
    hosts = [host.strip() for host in bootstrap.split(",") if host.strip()]
    return ";".join(f"kafka://{host}" for host in hosts)


class _StallNotice(logging.Filter):
    """Lets through, of the patched consumer's and producer's loggers, warnings and the
    agents' stacks a stalled wait logs at INFO.

    mode names a service class's logger after its module, so the consumer and producer
    classes the fence builds (``streams._faust``) log under ``streams._faust.<patch>``,
    outside ``faust``: at INFO their every rebalance step would be logged. While a stop or
    a rebalance waits for messages not yet acknowledged, the consumer logs, every ten tries
    (about 11 s), a WARNING naming them and, at INFO, ``Agent tracebacks:`` with every
    agent's stack (file, line and function names; no data): the line that says which agent
    holds them, and where.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or "Agent tracebacks:" in str(record.msg)


_STALL = _StallNotice()


class _BackpressureNotice(logging.Filter):
    """Drops Faust's "producer buffer full" warning: it reports ordinary backpressure
    (table writes outpacing the producer, which then flushes), not a fault."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("producer buffer full")


_BACKPRESSURE = _BackpressureNotice()


def _quiet_library_loggers(level: str) -> None:
    """Keep Faust, mode and the Kafka clients at WARNING unless ``level`` is DEBUG.

    Their INFO output (partition tables, highwater tables, every rebalance step) drowns the
    project's own logs; a logger level survives the root-logger setup done by ``faust.Worker``.
    """
    library_level = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)
    for name in URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    producer_logger = logging.getLogger("faust.transport.producer")
    if level != "DEBUG" and _BACKPRESSURE not in producer_logger.filters:
        producer_logger.addFilter(_BACKPRESSURE)
