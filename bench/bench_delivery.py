"""What handing a fetched message to its stream costs: Faust's stock path against the
fence's eager delivery (``streams/_faust/eager_delivery.py``), in one run.

Faust's fetcher delivers each message with ``consumer.wait_first(callback(message),
consumer.suspend_flow.wait())``. This bench makes that call on the consumer of a real
SLA Police app (built by :func:`streams.app.create_app`, never started: no broker), with a
delivery that puts the message on an ``asyncio.Queue`` as Faust's channel does, in two
cases:

- **room**: the queue has room, as for most messages (88 % of the worker's, 97 % of the
  ledger sink's in the stream throughput bench);
- **full**: the queue is full and a reader takes one message at a time, so every delivery
  waits for room (a reader slower than the fetcher).

``stock`` is mode's own ``Service.wait_first`` on the same consumer (what Faust runs
without the patch), ``eager`` the consumer's ``wait_first`` (the patch). Prints CPU µs per
message (``time.process_time``, best of ``--repeat`` alternated passes) and the ratio.

    .venv/bin/python -m bench.bench_delivery [--messages N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mode import Service

from bench._common import load_average
from sla_police.settings import Settings
from streams.app import create_app

__all__ = ["main", "measure", "stock_and_eager"]

Waiter = Callable[..., Awaitable[Any]]


async def measure(consumer: Any, wait_first: Waiter, messages: int, *,
                  full: bool) -> tuple[float, list[int]]:
    """CPU seconds per message of ``messages`` deliveries through ``wait_first``, and the
    messages as the queue's reader got them."""
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1 if full else 0)
    received: list[int] = []
    reader = asyncio.ensure_future(_read(queue, messages, received)) if full else None

    async def deliver(message: int) -> None:
        await queue.put(message)

    started = time.process_time()
    for message in range(messages):
        await wait_first(deliver(message), consumer.suspend_flow.wait())
    if reader is not None:
        await reader
    spent = (time.process_time() - started) / messages
    while not queue.empty():
        received.append(queue.get_nowait())
    return spent, received


async def _read(queue: asyncio.Queue[int], messages: int, received: list[int]) -> None:
    """A reader slower than the fetcher: one message at a time."""
    for _ in range(messages):
        received.append(await queue.get())


def stock_and_eager(consumer: Any) -> dict[str, Waiter]:
    """The two paths on ``consumer``: mode's own ``wait_first``, and the consumer's."""

    def stock(*coros: Any) -> Awaitable[Any]:
        return Service.wait_first(consumer, *coros)

    return {"stock": stock, "eager": consumer.wait_first}


async def _run(messages: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as scratch:
        settings = Settings(kafka_bootstrap="127.0.0.1:9", data_dir=Path(scratch),
                            table_store="memory://", topic_partitions=4)
        consumer = create_app(settings, web_enabled=False).consumer
        paths = stock_and_eager(consumer)
        for case, full in (("room", False), ("full", True)):
            best = {name: float("inf") for name in paths}
            for _ in range(repeat):
                for name, wait_first in paths.items():
                    spent, _ = await measure(consumer, wait_first, messages, full=full)
                    best[name] = min(best[name], spent)
            print(f"  queue {case:<4}  stock {best['stock'] * 1e6:7.1f} µs/message   "
                  f"eager {best['eager'] * 1e6:7.1f} µs/message   "
                  f"eager/stock {best['eager'] / best['stock']:.3f}  [{load_average()}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000, help="deliveries per pass")
    parser.add_argument("--repeat", type=int, default=3, help="alternated passes per path")
    args = parser.parse_args()
    if args.messages < 1 or args.repeat < 1:
        parser.error("--messages and --repeat must be at least 1")
    print(f"delivery of a fetched message to its stream, {args.messages:,} messages, "
          f"best of {args.repeat}")
    asyncio.run(_run(args.messages, args.repeat))


if __name__ == "__main__":
    main()
