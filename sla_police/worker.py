"""Compose a worker: the Faust app, the pipeline, the ledger sink, the notifier, the views.

The shell is the only layer that reads the settings: it hands :mod:`streams` a small
:class:`~streams.config.StreamSettings` and the ledger writer (:class:`ledger.Ledger`), so
``streams`` imports neither the shell nor the ledger's SQL. :func:`create_worker_app` is what
``sla-police worker`` and ``sla-police up`` run, and what the integration tests start in a
subprocess.
"""

from __future__ import annotations

import logging

import faust

from sla.config import load_config
from sla_police import __version__
from sla_police.settings import Settings
from streams import metrics
from streams.app import create_app
from streams.config import StreamSettings
from streams.ledger_sink import add_ledger_sink
from streams.notifier import add_notifier
from streams.pipeline import Pipeline, build_pipeline
from streams.web import add_views

__all__ = ["create_worker_app", "run_worker", "stream_settings"]

logger = logging.getLogger("sla_police.worker")


def stream_settings(settings: Settings) -> StreamSettings:
    """What the stream layer needs of ``settings``; the cluster must be known by now."""
    if settings.kafka_bootstrap is None:
        raise ValueError(
            "settings.kafka_bootstrap is not set: start the embedded broker (or point "
            "SLA_KAFKA_BOOTSTRAP at a Kafka cluster) before creating the Faust app"
        )
    return StreamSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        app_id=settings.app_id,
        topic_partitions=settings.topic_partitions,
        data_dir=settings.data_dir,
        table_store=settings.table_store,
        broker_session_timeout=settings.broker_session_timeout,
        broker_rebalance_timeout=settings.broker_rebalance_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        clock=settings.clock,
        timer_interval=settings.timer_interval,
        web_host=settings.web_host,
        web_port=settings.web_port,
        log_level=settings.log_level,
    )


def create_worker_app(settings: Settings, **app_options: object) -> tuple[faust.App, Pipeline]:
    """A ready-to-start app with SLA Police's pipeline, ledger sink, notifier and views."""
    config = load_config(settings.config)
    streaming = stream_settings(settings)
    app = create_app(streaming, **app_options)  # type: ignore[arg-type]
    pipeline = build_pipeline(app, streaming, config)
    if settings.ledger_enabled:
        from ledger import Ledger

        # an unsupported database URL raises LedgerError here: the worker stops at start
        add_ledger_sink(app, pipeline, Ledger(settings.database_url))
    else:
        logger.info("ledger sink disabled (SLA_LEDGER_ENABLED=false)")
    add_notifier(app, pipeline, settings, config)
    metrics.set_worker_info(__version__, settings.app_id)
    if app.conf.web_enabled:
        add_views(app, pipeline)
    return app, pipeline


def run_worker(settings: Settings, **app_options: object) -> None:
    """Run a worker in the foreground until SIGINT/SIGTERM."""
    from sla_police.broker import ensure_inbound_topics

    ensure_inbound_topics(settings.kafka_bootstrap or "", settings.topic_partitions)
    app, _pipeline = create_worker_app(settings, **app_options)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True,
                          redirect_stdouts=False)
    worker.execute_from_commandline()
