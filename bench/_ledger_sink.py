"""A ledger sink in a process of its own beside a benchmarked worker (``--ledger process``).

The worker then runs with ``SLA_LEDGER_ENABLED=false`` and ``sla-police ledger sink``
records the same SQLite ledger from the outbound topics, on the other core. What the sink
costs is printed beside the worker's rate: it has to keep up with the workers, or the
ledger (HR's payroll, the boards) falls behind.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from bench._common import check_alive, cpu_seconds, scrape, total
from models.topics import CALLS
from streams.ledger_sink import CALLS_LEDGER_TOPICS, FEED_TOPICS, LEDGER_TOPICS, ledger_app_id
from streams.testing import WorkerProcess, group_lag

__all__ = ["SinkResult", "sink_env", "start_sink", "wait_sink"]

SINK_TOPICS = (*LEDGER_TOPICS, *FEED_TOPICS, *CALLS_LEDGER_TOPICS, CALLS)


@dataclass(frozen=True)
class SinkResult:
    recorded: float  # values the sink handled (inserted and duplicates)
    behind: float  # seconds it finished after the worker
    cpu: float  # CPU seconds of the sink process

    def show(self, events: int) -> str:
        return (f"      ledger sink (own process): {self.recorded:,.0f} values recorded, "
                f"caught up {self.behind:.1f} s after the worker; "
                f"{self.cpu / events * 1e6:,.0f} CPU us per inbound event")


def sink_env(scratch: Path, clock: str) -> dict[str, str]:
    """The settings shared by the worker and its sink: one ledger file."""
    return {"SLA_DATABASE_URL": f"sqlite:///{scratch / f'ledger-{clock}.db'}"}


def start_sink(stack, bootstrap: str, scratch: Path, app_id: str, clock: str,
               env: dict[str, str]) -> tuple[WorkerProcess, float]:
    """A ready ledger sink of the worker group ``app_id``, and its CPU seconds so far."""
    sink = WorkerProcess(bootstrap, scratch / f"ledger-sink-{clock}", app_id=app_id,
                         store="memory://", extra_env=env, command=("ledger", "sink"))
    sink.start()
    stack.callback(sink.stop)
    sink.wait_ready(timeout=120)
    return sink, cpu_seconds(sink.process.pid)  # type: ignore[union-attr]


def wait_sink(sink: WorkerProcess, cpu_start: float, worker_done: float,
              quiet: float = 2.0) -> SinkResult:
    """Until the sink's group has committed every ledger topic and its count stands still;
    ``worker_done``: when the worker's last output was seen (``time.perf_counter``)."""
    group = ledger_app_id(sink.app_id)
    last, changed = -1.0, time.perf_counter()
    while True:
        check_alive(sink)
        recorded = total(scrape(sink.port), "sla_ledger_records_total")
        now = time.perf_counter()
        if recorded != last:
            last, changed = recorded, now
        elif now - changed >= quiet and not asyncio.run(
                group_lag(sink.bootstrap, group, SINK_TOPICS)):
            cpu = cpu_seconds(sink.process.pid) - cpu_start  # type: ignore[union-attr]
            return SinkResult(recorded, max(0.0, changed - worker_done), cpu)
        time.sleep(0.5)
