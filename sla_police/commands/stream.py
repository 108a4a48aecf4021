"""``sla-police worker`` and ``sla-police up``: the live system."""

from __future__ import annotations

import typer

from sla_police.commands._common import fail

__all__ = ["refuse_unfit_framework", "register", "stream_process_settings"]


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("up")(up)


def refuse_unfit_framework() -> None:
    """Exit with one line if faust/aiokafka lack an internal the Faust patches need."""
    from streams.app import FrameworkMismatch, check_internals

    try:
        check_internals()
    except FrameworkMismatch as exc:
        fail(str(exc))


def _settings(**overrides: object):
    from pydantic import ValidationError

    from sla_police.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")


def stream_process_settings(**overrides: object):
    """Settings of a process that joins a Kafka cluster (a worker, a ledger sink): exits
    with one line when they are invalid or name no cluster."""
    settings = _settings(**overrides)
    if settings.kafka_bootstrap is None:
        fail("SLA_KAFKA_BOOTSTRAP is not set: point it at Kafka, or use `sla-police up`, "
             "which starts the embedded broker too")
    return settings


def worker(
    web_port: int = typer.Option(None, help="web server port [SLA_WEB_PORT, 6066]"),
    clock: str = typer.Option(None, help="wall (production) or stream [SLA_CLOCK]"),
) -> None:
    """Run a stream worker against SLA_KAFKA_BOOTSTRAP (a Kafka cluster) until Ctrl-C.

    Start as many as you like: they share the partitions of the consumer group
    SLA_APP_ID. Each serves /metrics, /health and /tickets/{id}/ on its web port
    (ticket state needs an admin or contact_center token of SLA_PRINCIPALS).

    Each keeps its tables in its own SLA_DATA_DIR, written only once Kafka has them:
    a restart, even after a crash, reads from Kafka only what they lack.
    """
    from sla_police.broker import BrokerError
    from sla_police.commands._common import load_config_or_exit
    from sla_police.worker import run_worker
    from streams.local_tables import TablesInUse

    refuse_unfit_framework()
    settings = _settings(web_port=web_port, clock=clock)
    if settings.kafka_bootstrap is None:
        fail("SLA_KAFKA_BOOTSTRAP is not set: point it at Kafka, or use `sla-police up`, "
             "which starts the embedded broker too")
    load_config_or_exit(settings.config)
    try:
        run_worker(settings)
    # an unreachable cluster, a topic with another partition count, another worker on the
    # same SLA_DATA_DIR: one line, no traceback
    except (BrokerError, TablesInUse) as exc:
        fail(str(exc))


def up(
    demo: bool = typer.Option(False, "--demo", help="also play simulated traffic, "
                              "a working day in a few minutes"),
    speed: float = typer.Option(240.0, help="with --demo: simulated seconds per real second"),
    web_port: int = typer.Option(None, help="web server port [SLA_WEB_PORT, 6066]"),
    api_port: int = typer.Option(None, "--api-port", min=1, max=65535,
                                 help="API port [SLA_API_PORT, 8080]"),
    api: bool = typer.Option(True, "--api/--no-api",
                             help="start the HTTP API (sla-police api) beside the worker"),
) -> None:
    """Run everything in one process tree: the embedded broker (unless SLA_KAFKA_BOOTSTRAP
    is set), a worker and its web server, and the HTTP API on the same ledger. With --demo,
    demo principals too, their tokens printed once. Ctrl-C stops them all."""
    from sla_police.commands._up import ApiChoice, run_up
    from streams.local_tables import TablesInUse

    refuse_unfit_framework()
    settings = _settings(web_port=web_port, clock="stream" if demo else None)
    try:
        run_up(settings, demo=demo, speed=speed, api=ApiChoice(enabled=api, port=api_port))
    except TablesInUse as exc:  # another worker runs on the same SLA_DATA_DIR
        fail(str(exc))
