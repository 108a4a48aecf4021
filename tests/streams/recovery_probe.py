"""A tiny Faust worker for the table-recovery tests: ``python -m tests.streams.recovery_probe``.

One table, ``counts`` (key -> how many times it was counted), fed by one agent. Each input event's
value is a JSON list of keys to count, so one event makes many table updates at once and the
changelog gets multi-record batches (the records the Tansu end-offset defect hides). Modes:

- ``fill``: count ``--expect`` events from the input topic, then stop gracefully;
- ``recover``: start on an empty data directory, wait until table recovery is complete, dump
  the table and stop. The agent does not touch the table in this mode, so the dump shows
  exactly what recovery rebuilt from the changelog.

Either way it writes a JSON report (``--out``): the table, events seen, and timestamps (process
start, first partition assignment, recovery complete) for the timing notes. It stops itself
with SIGTERM (Faust's normal graceful shutdown) and gives up after ``--max-seconds``, or when
its parent dies, so a failing test never leaves a worker behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import faust

__all__ = ["TABLE_NAME", "main"]

TABLE_NAME = "counts"
_STARTED = time.monotonic()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["fill", "recover"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--app-suffix", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--store", default="memory://")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--no-fix", action="store_true", help="keep ListOffsets end offsets")
    parser.add_argument("--linger", type=float, default=0.0, help="producer linger, seconds")
    parser.add_argument("--max-seconds", type=float, default=45.0)
    return parser.parse_args(argv)


def _build(args: argparse.Namespace) -> tuple[faust.App, dict[str, Any]]:
    """The app with its table, agent and watchdog, and the report the worker fills in."""
    from streams.app import create_app
    from streams.config import StreamSettings

    settings = StreamSettings(kafka_bootstrap=args.bootstrap, table_store=args.store,
                              data_dir=args.data_dir, topic_partitions=args.partitions,
                              log_level="WARNING")
    app = create_app(settings, id_suffix=args.app_suffix, web_enabled=False,
                     exact_end_offsets=not args.no_fix, producer_linger=args.linger)
    # str keys and int values travel as JSON in the changelog (Faust's default for them).
    counts = app.Table(TABLE_NAME, default=int, key_type=str, value_type=int)
    report: dict[str, Any] = {"mode": args.mode, "fix": not args.no_fix, "events_seen": 0,
                              "changelog_topic": counts.changelog_topic.get_topic_name(),
                              "created_s": time.monotonic() - _STARTED}
    _add_counter(app, args, counts, report)
    _add_watchdog(app, args, counts, report)
    return app, report


def _add_counter(
    app: faust.App, args: argparse.Namespace, counts: faust.Table, report: dict[str, Any]
) -> None:
    """The agent: in ``fill`` mode, count every key an event lists; finish at ``--expect``."""
    source = app.topic(args.topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source)
    async def count(stream: faust.StreamT) -> None:
        async for event in stream.events():
            report["events_seen"] += 1
            if args.mode == "fill":
                for key in json.loads(event.value):
                    counts[key] += 1
                if report["events_seen"] == args.expect:
                    _finish(args, report, counts)


def _add_watchdog(
    app: faust.App, args: argparse.Namespace, counts: faust.Table, report: dict[str, Any]
) -> None:
    """Record the first assignment; in ``recover`` mode finish once recovery is complete;
    give up after ``--max-seconds`` or when the parent process is gone."""
    from streams.recovery import actives_ready

    @app.on_partitions_assigned.connect
    async def on_assigned(sender: faust.App, assigned: set, **kwargs: Any) -> None:
        report.setdefault("assigned_s", time.monotonic() - _STARTED)

    @app.task
    async def watch() -> None:
        report["app_started_s"] = time.monotonic() - _STARTED
        parent = os.getppid()
        while os.getppid() == parent and time.monotonic() - _STARTED < args.max_seconds:
            if args.mode == "recover" and "assigned_s" in report and actives_ready(app):
                _finish(args, report, counts)
                return
            await asyncio.sleep(0.02)
        report["gave_up"] = True
        _finish(args, report, counts)


def _finish(args: argparse.Namespace, report: dict[str, Any], counts: faust.Table) -> None:
    """Write the report with the table's contents, then stop the worker gracefully."""
    report["ready_s"] = time.monotonic() - _STARTED
    report["table"] = {key: value for key, value in counts.items()}
    args.out.write_text(json.dumps(report))
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> None:
    """Run the probe worker until it has done its mode's job."""
    import faust

    args = _parse_args(argv)
    app, _report = _build(args)
    worker = faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
