"""``sla-police ledger sink``: record the ledger from Kafka in a process of its own.

A stream worker records the ledger itself unless ``SLA_LEDGER_ENABLED=false``. In
production run the SLA workers with that setting and one or more ledger sinks beside them:
the ledger's database writes then no longer share the workers' interpreter (they halved a
worker's rate in the throughput bench, bench/RESULTS.md §1), a slow database never delays
a breach, and the sinks scale on their own. The sink's consumer group is
``<SLA_APP_ID>-ledger``; a new group starts at the topics' beginning, and the ledger skips
what it already holds, so switching an existing deployment over loses and doubles nothing.
"""

from __future__ import annotations

import typer

from sla_police.commands._common import fail

__all__ = ["register"]


def register(ledger_app: typer.Typer) -> None:
    """Add ``sink`` to the ``ledger`` command group."""
    ledger_app.command("sink")(sink_command)


def sink_command(
    web_port: int = typer.Option(None, help="web server port for /metrics and /health "
                                 "[SLA_WEB_PORT, 6066]"),
) -> None:
    """Record the ledger from Kafka (SLA_KAFKA_BOOTSTRAP) until Ctrl-C, in its own consumer
    group <SLA_APP_ID>-ledger. Run the workers with SLA_LEDGER_ENABLED=false beside it."""
    from sla_police.broker import BrokerError
    from sla_police.commands._common import load_config_or_exit
    from sla_police.commands.stream import refuse_unfit_framework, stream_process_settings
    from sla_police.worker import run_ledger_sink

    refuse_unfit_framework()
    settings = stream_process_settings(web_port=web_port)
    load_config_or_exit(settings.config)
    try:
        run_ledger_sink(settings)
    except BrokerError as exc:
        fail(str(exc))
