"""Build and run a worker: the app, the pipeline, the web views.

``create_worker_app`` is what ``sla-police worker`` and ``sla-police up`` run,
and what the integration tests start in a subprocess.
"""

from __future__ import annotations

import faust

from sla.config import load_config
from sla_police.settings import Settings
from streams.app import create_app
from streams.pipeline import Pipeline, build_pipeline
from streams.web import add_views

__all__ = ["create_worker_app", "run_worker"]


def create_worker_app(settings: Settings, **app_options: object) -> tuple[faust.App, Pipeline]:
    """A ready-to-start app with SLA Police's pipeline and views."""
    config = load_config(settings.config)
    app = create_app(settings, **app_options)  # type: ignore[arg-type]
    pipeline = build_pipeline(app, settings, config)
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
