"""Compose a worker: the Faust app, the pipeline, the ledger sink, the notifier, the views;
or a ledger sink alone (:func:`create_ledger_app`, ``sla-police ledger sink``).

The shell is the only layer that reads the settings: it hands :mod:`streams` a small
:class:`~streams.config.StreamSettings` and the ledger writer (:class:`ledger.Ledger`), so
``streams`` imports neither the shell nor the ledger's SQL. :func:`create_worker_app` is what
``sla-police worker`` and ``sla-police up`` run, and what the integration tests start in a
subprocess.
"""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import faust

from sla.config import load_config
from sla_police import __version__
from sla_police.logs import configure_logging, get_logger
from sla_police.settings import Settings
from streams import metrics
from streams.app import create_app
from streams.config import StreamSettings
from streams.ledger_sink import add_ledger_sink, ledger_app_id
from streams.local_tables import claim_local_tables
from streams.notifier import add_notifier
from streams.pipeline import Pipeline, build_pipeline
from streams.topics import define_topics
from streams.web import Access, Authorizer, add_sink_views, add_views

__all__ = [
    "create_ledger_app",
    "create_worker_app",
    "ensure_worker_topics",
    "operator_authorizer",
    "run_faust",
    "run_ledger_sink",
    "run_worker",
    "stream_settings",
]

logger = get_logger("sla_police.worker")


def stream_settings(settings: Settings) -> StreamSettings:
    """What the stream layer needs of ``settings``; the cluster must be known by now."""
    if settings.kafka_bootstrap is None:
        raise ValueError(
            "settings.kafka_bootstrap is not set: start the embedded broker (or point "
            "SLA_KAFKA_BOOTSTRAP at a Kafka cluster) before creating the Faust app"
        )
    names = [field.name for field in dataclasses.fields(StreamSettings)]  # same as ours
    return StreamSettings(**{name: getattr(settings, name) for name in names})


def create_worker_app(settings: Settings, **app_options: object) -> tuple[faust.App, Pipeline]:
    """A ready-to-start app with SLA Police's pipeline, ledger sink, notifier and views."""
    config = load_config(settings.config)
    streaming = stream_settings(settings)
    app = create_app(streaming, **app_options)  # type: ignore[arg-type]
    pipeline = build_pipeline(app, streaming, config)
    if settings.ledger_enabled:
        from ledger import Ledger

        # an unsupported database URL raises LedgerError here: the worker stops at start
        add_ledger_sink(app, pipeline.topics.outbound,
                        Ledger(settings.database_url, timezone=config.timezone))
    else:
        logger.info("ledger sink not in this worker (run `sla-police ledger sink`)",
                    setting="SLA_LEDGER_ENABLED=false")
    add_notifier(app, pipeline, settings, config)
    metrics.set_worker_info(__version__, settings.app_id)
    if app.conf.web_enabled:
        add_views(app, pipeline, operator_authorizer(settings.principals))
    return app, pipeline


def create_ledger_app(settings: Settings, **app_options: object) -> faust.App:
    """An app that only records the ledger (``sla-police ledger sink``), in its own consumer
    group (:func:`streams.ledger_sink.ledger_app_id`), serving ``/metrics`` and ``/health``.

    Why a process of its own: the ledger's writes (SQLAlchemy, the database driver) cost
    about as much interpreter time as the whole SLA pipeline; in the worker they share its
    one interpreter and halve the rate at which it reads events (bench/RESULTS.md §1).
    Run the SLA workers with ``SLA_LEDGER_ENABLED=false`` beside it."""
    from ledger import Ledger

    config = load_config(settings.config)
    streaming = stream_settings(settings)
    own = dataclasses.replace(streaming, app_id=ledger_app_id(settings.app_id))
    app = create_app(own, **app_options)  # type: ignore[arg-type]
    topics = define_topics(app, streaming)  # the SLA workers' outbound topics
    add_ledger_sink(app, topics.outbound, Ledger(settings.database_url, timezone=config.timezone))
    metrics.set_worker_info(__version__, own.app_id)
    if app.conf.web_enabled:
        add_sink_views(app, role="ledger")
    return app


def run_ledger_sink(settings: Settings, **app_options: object) -> None:
    """Run a ledger sink in the foreground until SIGINT/SIGTERM (:func:`create_ledger_app`)."""
    from sla_police.broker import create_topics, project_topics

    configure_logging(settings.log_level)
    create_topics(settings.kafka_bootstrap or "", project_topics(), settings.topic_partitions)
    app = create_ledger_app(settings, **app_options)
    gc.freeze()
    logger.info("ledger sink starting", app_id=app.conf.id, version=__version__)
    run_faust(app, settings.log_level)


def operator_authorizer(principals: Path) -> Authorizer:
    """The check guarding a worker's ``/tickets/{id}/``: a token of the API's principals
    file (``SLA_PRINCIPALS``, re-read when it changes) whose role is admin or
    contact_center. Without the file no token is valid (401)."""
    from api.principals import PrincipalError, PrincipalRegistry, Role

    registry = PrincipalRegistry(principals)
    operators = (Role.ADMIN, Role.CONTACT_CENTER)

    def authorize(token: str) -> Access:
        try:
            principal = registry.authenticate(token)
        except PrincipalError as exc:
            logger.error("principals file unusable", path=str(principals), error=str(exc))
            return Access.UNAVAILABLE
        if principal is None:
            return Access.UNKNOWN
        return Access.ALLOWED if principal.role in operators else Access.FORBIDDEN

    return authorize


#: The cyclic collector's thresholds in a worker (Python's default is 700, 10, 10). A message
#: allocates hundreds of container objects (parsed events, outputs, ticket state), nearly all
#: acyclic and freed by reference counting, yet every 700 allocations start a collection,
#: every tenth of those a second-generation one, and every tenth of those (the objects
#: promoted since the last one being a quarter of the old ones) a full walk of everything the
#: worker holds since start-up (the ticket cache, Faust's buffers). Measured in the stream
#: throughput bench: about 0.9 s of the worker's 11 s of CPU for 20,168 messages, about 0.4 s
#: of it in 10 full walks that found nothing. Starting one every 10,000 allocations lets most
#: objects die young first and walks the old ones a tenth as often; cycles (rare: exceptions
#: with their tracebacks) are still found, within 10,000 allocations.
WORKER_GC_THRESHOLDS = (10_000, 10, 10)


def run_worker(settings: Settings, **app_options: object) -> None:
    """Run a worker in the foreground until SIGINT/SIGTERM, logging to stderr
    (:mod:`sla_police.logs`)."""
    configure_logging(settings.log_level)
    ensure_worker_topics(settings)
    app, _pipeline = create_worker_app(settings, **app_options)
    # Start-up objects (modules, classes, the app) live as long as the process: keep them out
    # of the cyclic collector's walks. Faust's RocksDB store runs gc.collect() for each table
    # on every rebalance (seven at start, ~0.1 s each on this machine, now ~0).
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    logger.info("worker starting", app_id=settings.app_id, version=__version__,
                clock=settings.clock, partitions=settings.topic_partitions)
    run_faust(app, settings.log_level)


def ensure_worker_topics(settings: Settings) -> None:
    """Create the project's topics and this app's internal input topics (wake-ups, penalty
    triggers, calls wake-ups, QA), all with ``settings.topic_partitions`` partitions.

    The internal ones are co-partitioned with the inbound topics the agents read them
    with; left to Faust, the clock topics were created on first subscription with the
    broker's default partition count (4 on Tansu), and a worker of 8 partitions crashed at
    its first wake-up of partition 4 ("Unrecognized partition"). A topic that exists with
    another count is refused with the names (:func:`sla_police.broker.create_topics`).
    """
    from sla_police.broker import create_topics, project_topics
    from streams.calls_pipeline import calls_internal_names
    from streams.topics import internal_names

    own = (*internal_names(settings.app_id), *calls_internal_names(settings.app_id))
    create_topics(settings.kafka_bootstrap or "", (*project_topics(), *own),
                  settings.topic_partitions)


def run_faust(app: faust.App, level: str) -> None:
    """Run ``app`` in a Faust worker that keeps the logging set up by
    :func:`~sla_police.logs.configure_logging` (Faust would install its own handlers), on
    local tables it claims first and releases only after a clean stop (after any other
    stop the next worker keeps the tables written behind their changelogs and discards
    the rest: :mod:`streams.local_tables`)."""
    worker = faust.Worker(app, loglevel=level, quiet=True, redirect_stdouts=False,
                          override_logging=False)
    worker.spinner = None  # its escape codes would end up in log files
    tables = claim_local_tables(app)
    try:
        worker.execute_from_commandline()
    except SystemExit as exit:
        if tables is not None:
            tables.release_if_clean(app, exit.code)
        raise
