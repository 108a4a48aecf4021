"""``sla-police demo``: the system on its own, with nothing to set up.

Starts the embedded broker (unless SLA_KAFKA_BOOTSTRAP points at one), simulates
a contact-center day, publishes it to the inbound topics, replays it through the
SLA engine and tells the user where to look.
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    days: int = typer.Option(1, min=1, max=31, help="simulated days of traffic"),
    seed: int = typer.Option(1, help="simulation seed (same seed, same traffic)"),
    calls_per_day: int = typer.Option(6000, min=10, help="contacts per day"),
    keep: bool = typer.Option(False, "--keep", help="keep the broker running until Ctrl-C"),
) -> None:
    """Show SLA Police working: broker, a simulated day on Kafka, SLA outcomes."""
    from sla_police.commands._common import wide_console
    from sla_police.settings import Settings

    console = wide_console()
    settings = Settings()
    workdir = settings.data_dir / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    log = _simulate(console, workdir, days, seed, calls_per_day)
    if settings.kafka_bootstrap:
        _publish(console, settings.kafka_bootstrap, settings.topic_partitions, log)
    else:
        _with_embedded_broker(console, settings, log, keep)
    _replay(console, settings, log, workdir)


def _simulate(console, workdir: Path, days: int, seed: int, calls_per_day: int) -> Path:
    from sla_police.simulator import SimulationOptions, write_simulation

    log = workdir / "events.jsonl"
    options = SimulationOptions(days=days, seed=seed, calls_per_day=calls_per_day)
    with console.status(f"simulating {days} day(s) of contact-center traffic"):
        summary = write_simulation(options, log)
    console.print(f"[bold]1. simulated[/] {summary.tickets:,} tickets, {summary.lines:,} events "
                  f"-> {log}")
    return log


def _with_embedded_broker(console, settings, log: Path, keep: bool) -> None:
    from sla_police.broker import BrokerError, EmbeddedBroker

    broker = EmbeddedBroker(log_path=settings.data_dir / "demo" / "broker.log")
    try:
        bootstrap = broker.start()
    except BrokerError as exc:
        from sla_police.commands._common import fail

        fail(str(exc))
    try:
        console.print(f"[bold]2. started[/] the embedded Kafka broker (Tansu) at {bootstrap}")
        _publish(console, bootstrap, settings.topic_partitions, log)
        if keep:
            console.print(f"   broker stays up at {bootstrap}: try "
                          f"`SLA_KAFKA_BOOTSTRAP={bootstrap} sla-police publish {log}`; "
                          "Ctrl-C stops it")
            broker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()


def _publish(console, bootstrap: str, partitions: int, log: Path) -> None:
    import asyncio

    from rich.progress import Progress

    from sla_police.broker import ensure_inbound_topics
    from sla_police.publisher import publish_lines

    ensure_inbound_topics(bootstrap, partitions)
    lines = log.read_bytes().splitlines()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("publishing", total=len(lines))
        report = asyncio.run(publish_lines(lines, bootstrap,
                                           progress=lambda n: progress.advance(task, n)))
    sent = ", ".join(f"{count:,} to {topic}" for topic, count in sorted(report.sent.items()))
    console.print(f"[bold]3. published[/] {sent} in {report.seconds:.1f} s "
                  f"({report.events_per_second:,.0f}/s); {report.invalid:,} invalid lines "
                  "held back (see `sla-police publish --help` for --send-invalid)")


def _replay(console, settings, log: Path, workdir: Path) -> None:
    from sla.parallel import replay_sharded
    from sla_police.commands._common import load_config_or_exit
    from sla_police.commands._tables import summary_table

    config = load_config_or_exit(settings.config)
    with console.status("running the SLA engine over the day"):
        result = replay_sharded(log.read_bytes().splitlines(), config)
    out = workdir / "outcomes.jsonl"
    out.write_text("".join(line + "\n" for line in result.lines), encoding="utf-8")
    console.print(f"[bold]4. SLA engine[/] turned them into {len(result.lines):,} outbound "
                  f"events (attributions, warnings, breaches, penalties, notifications)")
    console.print(summary_table(result.figures, config.currency, title="SLA board"))
    console.print("\n[bold]Where to look[/]\n"
                  f"  events published:   {log}\n"
                  f"  outbound events:    {out}\n"
                  f"  policy:             {settings.config}  (check: sla-police check-config)\n"
                  f"  try a policy change: sla-police whatif {log} -c {settings.config} "
                  "-a my-policy.yaml")
