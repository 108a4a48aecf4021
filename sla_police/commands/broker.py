"""`sla-police broker`: run the embedded Kafka broker (Tansu) in the foreground.

For development and demos without a Kafka cluster: it starts the broker, creates every
SLA Police topic with one partition count, prints the address to export, and stops the broker
on Ctrl-C or SIGTERM. Storage is memory only, so stopping it loses all events.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]

#: Exit codes: 0 stopped on request, 1 the broker died on its own, 2 it could not be set up.
EXIT_BROKER_DIED = 1
EXIT_BROKER_ERROR = 2


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""

    @app.command("broker")
    def broker(
        port: int = typer.Option(
            9092, "--port", min=0, max=65535, help="Port to listen on; 0 picks a free one."
        ),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        partitions: int | None = typer.Option(
            None, "--partitions", min=1, max=256,
            help="Partitions of each topic. Default: SLA_TOPIC_PARTITIONS (4).",
        ),
        log: Path | None = typer.Option(
            None, "--log", dir_okay=False, help="Write the broker's log here. Default: a temp file."
        ),
    ) -> None:
        """Run the embedded Kafka broker (memory only) with the SLA Police topics, until Ctrl-C."""
        raise typer.Exit(run_broker(port or None, host, partitions, log))


def run_broker(port: int | None, host: str, partitions: int | None, log: Path | None) -> int:
    """Run the broker until interrupted; return the process exit code."""
    import signal

    from rich.console import Console
    from rich.markup import escape

    from sla_police.broker import BrokerError, EmbeddedBroker, ensure_inbound_topics

    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    if partitions is None:
        from sla_police.settings import load_settings

        partitions = load_settings().topic_partitions
    broker = EmbeddedBroker(port=port, host=host, log_path=log)
    # Explicit for SIGINT too: a shell starting us in the background leaves SIGINT ignored.
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _interrupt) for sig in stop_signals}
    try:
        bootstrap = broker.start()
        ensure_inbound_topics(bootstrap, partitions)
        _announce(out, bootstrap, partitions, broker.log_path)
        code = broker.wait()
        err.print(f"[red]The broker exited on its own (code {code}).[/] Last log lines:")
        err.print(broker.log_tail(), markup=False)
        return EXIT_BROKER_DIED
    except BrokerError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        return EXIT_BROKER_ERROR
    except KeyboardInterrupt:
        out.print("Stopping the broker (its data is discarded).")
        return 0
    finally:
        broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: object) -> None:
    """Turn SIGINT and SIGTERM into one clean shutdown path."""
    raise KeyboardInterrupt


def _announce(out: Console, bootstrap: str, partitions: int, log_path: Path | None) -> None:
    """Tell the user where the broker is and how to point the other commands at it."""
    from rich.markup import escape

    from sla_police.broker import EMBEDDED_GROUP_TIMEOUTS, project_topics

    out.print(f"[bold green]Kafka broker (Tansu, memory storage) ready at {escape(bootstrap)}[/]")
    out.print(f"Topics ({partitions} partitions each): {', '.join(project_topics())}")
    out.print(f"Broker log: {escape(str(log_path))}")
    out.print("Point the other commands at it (in another shell):")
    out.print(f"  [bold]export SLA_KAFKA_BOOTSTRAP={escape(bootstrap)}[/]", soft_wrap=True)
    timeouts = " ".join(f"SLA_{name.upper()}={value}"
                        for name, value in EMBEDDED_GROUP_TIMEOUTS.items())
    out.print(f"  [bold]export {timeouts}[/]  (workers join this broker in 1 s instead of 3)",
              soft_wrap=True)
    out.print("Ctrl-C stops the broker and discards all its data.")
