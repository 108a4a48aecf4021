"""A Faust worker whose two agents read one topic, for the stop test:
``python -m tests.streams.shared_topic_probe``.

Built like SLA Police's worker (``streams.app.create_app``, every patch of the fence), with
the two readers of ``calls`` in a worker reduced to their shape: ``batches`` takes events in
batches and keeps its last batch in its ``async for`` variable (the ledger sink), ``slow``
takes them one at a time and is behind (the calls agent under load). Modes:

- ``stop``: once ``batches`` has taken all ``--expect`` messages and ``slow`` has processed
  two, the worker sends itself SIGTERM, with ``slow``'s copies of the rest still queued;
- ``finish``: stop once ``slow`` has processed the topic's last offset (``--expect`` - 1).

Its JSON report (``--out``), written once the worker has stopped: the offsets ``slow``
processed, in order, and whether it gave up (``--max-seconds``, or its parent died).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import faust

__all__ = ["main"]

_STARTED = time.monotonic()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["stop", "finish"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--app-suffix", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--slow", type=float, default=0.2, help="seconds per message")
    parser.add_argument("--max-seconds", type=float, default=40.0)
    return parser.parse_args(argv)


def _build(args: argparse.Namespace, report: dict[str, Any]) -> faust.App:
    from streams.app import create_app
    from streams.config import StreamSettings

    settings = StreamSettings(kafka_bootstrap=args.bootstrap, data_dir=args.data_dir,
                              topic_partitions=1, log_level="WARNING")
    app = create_app(settings, id_suffix=args.app_suffix, web_enabled=False)
    source = app.topic(args.topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="batches")
    async def batches(stream: faust.StreamT) -> None:
        async for events in stream.take_events(100, within=0.1):
            report["batched"] += len(events)

    @app.agent(source, name="slow")
    async def slow(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await asyncio.sleep(args.slow)
            report["slow"].append(event.message.offset)

    @app.task
    async def watch() -> None:
        parent = os.getppid()
        while os.getppid() == parent and time.monotonic() - _STARTED < args.max_seconds:
            if _done(args, report):
                break
            await asyncio.sleep(0.02)
        else:
            report["gave_up"] = True
        os.kill(os.getpid(), signal.SIGTERM)

    return app


def _done(args: argparse.Namespace, report: dict[str, Any]) -> bool:
    if args.mode == "stop":
        return report["batched"] >= args.expect and len(report["slow"]) >= 2
    return bool(report["slow"]) and report["slow"][-1] == args.expect - 1


def main(argv: list[str] | None = None) -> None:
    """Run the probe worker until its mode's moment; write the report once it stopped."""
    args = _parse_args(argv)
    report: dict[str, Any] = {"mode": args.mode, "batched": 0, "slow": []}
    worker = faust.Worker(_build(args, report), loglevel="WARNING", quiet=True,
                          redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        args.out.write_text(json.dumps(report))


if __name__ == "__main__":
    main()
