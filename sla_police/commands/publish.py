"""``sla-police publish FILE``: send a JSONL file of inbound events to Kafka."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from sla_police.publisher import PublishReport

__all__ = ["publish", "register"]

_NO_BROKER = (
    "no Kafka to publish to: start one with `sla-police broker` and set "
    "SLA_KAFKA_BOOTSTRAP=127.0.0.1:9092 (or pass --bootstrap host:port)"
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
    app.command("publish")(publish)


def publish(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="JSONL file of inbound CloudEvents, one per line"),
    bootstrap: str | None = typer.Option(None, "--bootstrap",
                                         help="Kafka host:port [default: SLA_KAFKA_BOOTSTRAP]"),
    send_invalid: bool = typer.Option(False, "--send-invalid",
                                      help="send invalid lines too (exercises dead-lettering)"),
    now: str | None = typer.Option(None, "--now", help="processing time for the future-time "
                                   "check, RFC 3339 with offset [default: the wall clock]"),
    rate: float | None = typer.Option(None, "--rate", min=0.001,
                                      help="at most this many events per second"),
    create_topics: bool = typer.Option(True, "--create-topics/--no-create-topics",
                                       help="create the SLA Police topics first"),
) -> None:
    """Validate each line and send it to its inbound topic, keyed by ticket id."""
    import asyncio

    from rich.console import Console

    from sla_police.commands._common import fail
    from sla_police.settings import Settings

    settings = Settings()
    bootstrap = bootstrap or settings.kafka_bootstrap
    if not bootstrap:
        fail(_NO_BROKER)
    from sla_police.commands._common import parse_time_option

    processing_time = parse_time_option("--now", now)
    if create_topics:
        _create_topics(bootstrap, settings.topic_partitions)
    console = Console()
    try:
        report = asyncio.run(_publish_file(file, bootstrap, send_invalid, processing_time,
                                           rate, Console(stderr=True)))
    except Exception as exc:  # aiokafka raises KafkaError subclasses and OSError
        detail = str(exc) if type(exc).__name__ in str(exc) else f"{type(exc).__name__}: {exc}"
        fail(f"publishing to {bootstrap} failed: {detail}", code=1)
    _print_invalid(console, report, send_invalid)
    console.print(_summary(report, file, bootstrap))


def _create_topics(bootstrap: str, partitions: int) -> None:
    from sla_police.broker import BrokerError, ensure_inbound_topics
    from sla_police.commands._common import fail

    try:
        ensure_inbound_topics(bootstrap, partitions)
    except BrokerError as exc:
        fail(str(exc))


def _count_lines(path: Path) -> int:
    """Lines in ``path`` (a last line without newline counts too), read in 1 MiB chunks."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from handle


async def _publish_file(path: Path, bootstrap: str, send_invalid: bool,
                        now: datetime | None, rate: float | None,
                        err: Console) -> PublishReport:
    """Publish with a progress bar on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from sla_police.publisher import publish_lines

    with Progress("publishing", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("publish", total=_count_lines(path))
        return await publish_lines(_lines(path), bootstrap, send_invalid=send_invalid, now=now,
                                   rate=rate, progress=lambda n: progress.advance(task, n))


def _print_invalid(console: Console, report: PublishReport, sent: bool) -> None:
    """The first invalid lines with their reasons, then how many more."""
    if not report.invalid:
        return
    verb = "sent anyway (--send-invalid)" if sent else "not sent"
    console.print(f"[yellow]{report.invalid:,} invalid line(s), {verb}:[/]", highlight=False)
    for sample in report.samples:
        console.print(f"  line {sample.line_number}: {sample.reason}", markup=False,
                      highlight=False, soft_wrap=True)
    if report.invalid > len(report.samples):
        console.print(f"  ... and {report.invalid - len(report.samples):,} more",
                      highlight=False)


def _summary(report: PublishReport, path: Path, bootstrap: str) -> Table:
    from rich.table import Table

    table = Table(title=f"published {path.name} -> {bootstrap}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for topic, count in sorted(report.sent.items()):
        table.add_row(f"sent to {topic}", f"{count:,}")
    table.add_row("invalid sent" if report.invalid_sent else "invalid skipped",
                  f"{report.invalid_sent or report.invalid_skipped:,}")
    table.add_section()
    table.add_row("lines read", f"{report.lines:,}")
    table.add_row("seconds", f"{report.seconds:.2f}")
    table.add_row("events/s", f"{report.events_per_second:,.0f}")
    return table
