"""Stream throughput on one worker: SLA Police next to an empty Faust agent and raw aiokafka.

One embedded broker, one backlog: N simulated inbound events (valid and unique, from a
simulated day), published with stream-clock ticks (one per partition and topic every 1,000
events) before anything reads them. Then, one after the other, each reader consumes that same
backlog from the start in its own consumer group:

- raw aiokafka: consume every message and produce it to another topic (in this process);
- empty Faust agent: the same passthrough as a Faust app (``streams.app.create_app``, memory
  store) in a subprocess, counting in the agent;
- write floor: a Faust app that validates each message and writes the least an SLA Police
  worker must write per event (a ticket row, the outputs and internal messages the worker
  writes here), with no domain code: its ratio to the empty agent is the ceiling of issue
  16's target 2 on this stack (``bench._faust_readers``; ``--no-floor`` skips it);
- SLA Police: a real ``sla-police worker`` subprocess (memory store) per clock mode, timed
  by its own counters on /metrics (those alone, ``name[]=``, polled every 0.2 s: a whole
  scrape costs the worker 4 to 12 % of its CPU at that pace): done when
  ``sla_events_in_total`` reached N and the output counters stopped growing (the penalty
  stage runs behind).

Each rate is taken from the first message consumed to the last, so worker start-up and the
group join are excluded (start-up is printed separately); so is the CPU time per message
(/proc, from the first poll that saw a message; in-process for aiokafka).

The stream clock runs the whole pipeline the way a replay does: attributions, warnings,
breaches and penalties are emitted. The wall clock is production mode: the simulated events
are weeks old, so every clock is already overdue when read and each ticket emits its whole
breach history at once (about 3 outputs per event instead of 0.8).

``wall-now`` is the wall clock at steady state, events arriving in time: on a broker of
their own, once the worker is ready, the same events are published at once without ticks,
their times moved to the last moments (the simulated day compressed into 1 s per 1,000
events, ending 2 s before publishing), so the worker reads them as fast as it can, as it
reads a burst of live traffic; the aiokafka and Faust readers then read them too, for the
ratio. Deadlines (the shipped policy's minutes and hours) lie ahead when an event is read,
so nothing fires. (Times in the future would be held by the worker until the wall clock
reaches them, and its rate would be the events' pace, not its capacity.)

``--partitions N`` creates the topics with N partitions (the worker, the Faust app and the
ticks follow): how the worker's rate grows with partitions (issue 16, target 5).

    .venv/bin/python -m bench.bench_stream_throughput [--events N] [--partitions N]
        [--clocks stream,wall,wall-now]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path

from bench._common import (
    PARTITIONS,
    Histogram,
    bench_session,
    check_alive,
    cpu_seconds,
    group_lag,
    machine_summary,
    moved_to_now,
    scrape,
    topic_sizes,
    total,
)
from bench._faust_readers import FLOOR, FLOOR_TOPICS, SINK, Run, faust_child, faust_reader
from bench._ledger_sink import sink_env, start_sink, wait_sink
from models import Rejection, parse_event
from models.topics import COMPLAINTS, TICKET_EVENTS
from sla_police.broker import create_topics
from streams.topics import internal_names

__all__ = ["Run", "main"]

TICK_EVERY = 1000  # events between stream-clock ticks (a tick: 2 topics x 4 partitions)
POLL = 0.2  # seconds between /metrics polls (of the few counters they read)
QUIET = 2.0  # seconds without new outputs after the last event: the worker is done
OUTPUT_COUNTERS = ("sla_outcomes_total", "sla_attributions_total", "sla_penalties_total",
                   "sla_penalties_reversed_total", "sla_notifications_total",
                   "sla_dead_letters_total")


# -- the backlog --------------------------------------------------------------------------
def make_backlog(events: int) -> list[bytes]:
    """The first ``events`` valid, distinct lines of a simulated day (arrival order)."""
    from sla_police.simulator import SimulationOptions, simulate

    options = SimulationOptions(days=1, seed=7, calls_per_day=max(100, round(events / 5.6)))
    seen: set[bytes] = set()
    lines = []
    for text in simulate(options):
        line = text.rstrip("\n").encode()
        if line not in seen and not isinstance(parse_event(line, accept="inbound"), Rejection):
            seen.add(line)
            lines.append(line)
    return lines[:events]


def publish_backlog(bootstrap: str, lines: list[bytes], partitions: int) -> None:
    """Publish the events with stream-clock ticks; the last tick is at the latest event."""
    from streams.testing import publish_log

    until = max(parse_event(line, accept="inbound").time for line in lines)  # type: ignore
    asyncio.run(publish_log(bootstrap, lines, until, partitions=partitions,
                            tick_every=TICK_EVERY))


# -- (c) raw aiokafka ---------------------------------------------------------------------
async def aiokafka_passthrough(bootstrap: str, idle: float = 3.0) -> Run:
    """Consume both inbound topics from the start (``getmany`` batches) and produce each
    message to SINK, awaiting each ``send`` (it returns once the message is queued)."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(COMPLAINTS, TICKET_EVENTS, bootstrap_servers=bootstrap,
                                group_id="bench-aiokafka-passthrough",
                                auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await consumer.start()
    await producer.start()
    count, first, last, cpu0 = 0, 0.0, 0.0, time.process_time()
    try:
        while batch := await consumer.getmany(timeout_ms=int(idle * 1000) if count else 30_000):
            first = first or time.perf_counter()
            for message in (m for messages in batch.values() for m in messages):
                await producer.send(SINK, key=message.key, value=message.value)
                count += 1
            last = time.perf_counter()
        flushing = time.perf_counter()  # after the idle wait, which is not counted
        await producer.flush()
        last += time.perf_counter() - flushing
        cpu = time.process_time() - cpu0
    finally:
        await producer.stop()
        await consumer.stop()
    return Run("raw aiokafka consume+produce", count, last - first, cpu, " (in-process)")


# -- (a) the SLA Police worker ------------------------------------------------------------
def pipeline(stack, bootstrap: str, scratch: Path, clock: str, events: int,
             messages: int, partitions: int = PARTITIONS,
             publish: Callable[[], None] | None = None, ledger: str = "process") -> Run:
    """Start a worker on the backlog; time it from its first event accepted until done
    (``clock`` wall-now: a wall-clock worker). With ``publish``, the events are published
    by it once the worker is ready (every partition assigned). ``ledger``: ``process``, a
    ledger sink of its own records the ledger (the worker with ``SLA_LEDGER_ENABLED=false``);
    ``worker``, the worker records it itself."""
    from streams.calls_pipeline import calls_internal_names
    from streams.testing import WorkerProcess

    app_id = f"bench-pipeline-{clock}-{ledger}"
    # the worker's own topics, made here with the partitions asked for (the worker makes
    # them too since sla_police.worker.ensure_worker_topics; kept for older workers)
    create_topics(bootstrap, [*internal_names(app_id), *calls_internal_names(app_id)],
                  partitions)
    env = {"SLA_TOPIC_PARTITIONS": str(partitions), **sink_env(scratch, f"{clock}-{ledger}")}
    sink = start_sink(stack, bootstrap, scratch, app_id, clock, env) if ledger == "process" \
        else None
    worker = WorkerProcess(bootstrap, scratch / f"pipeline-{clock}-{ledger}",
                           clock=clock.removesuffix("-now"), app_id=app_id,
                           store="memory://",
                           extra_env={**env, "SLA_LEDGER_ENABLED": str(sink is None).lower()})
    sizes = asyncio.run(topic_sizes(bootstrap))
    started = time.perf_counter()
    worker.start()
    stack.callback(worker.stop)
    if publish is not None:
        worker.wait_ready(timeout=120, partitions=partitions)
        publish()
    inputs = [COMPLAINTS, TICKET_EVENTS, *internal_names(worker.app_id)]
    (t_first, c_first, cpu_first), t_done, samples = _poll(worker, events, started, inputs)
    cpu = cpu_seconds(worker.process.pid) - cpu_first  # type: ignore[union-attr]
    worker.stop()
    if c_first >= events:  # a batch of it all between two polls: nothing left to time
        raise RuntimeError(f"the worker had taken all {events:,} events at its first poll: "
                           f"too few to time, use more --events")
    scale = events / (events - c_first)  # the rate after the first poll, for all events
    seconds = (t_done - t_first) * scale
    written = _written(sizes, asyncio.run(topic_sizes(bootstrap)), worker.app_id)
    where = _where_time_goes(samples, seconds, events, written)
    if sink is not None:
        where += "\n" + wait_sink(*sink, worker_done=t_done).show(events)
    label = "worker" if sink else "worker+ledger"
    return Run(f"SLA Police {label}, {clock} clock", messages, seconds, cpu * scale,
               f" (start-up {t_first - started:.1f} s)\n{where}")


def _poll(worker, events: int, started: float, inputs: list[str]):
    """Poll /metrics until ``events`` were accepted, the outputs stopped growing and the
    worker's group has committed every message of ``inputs`` (the penalty stage lags the
    ticket stage, and may buffer triggers for seconds without an output): ((time, count,
    CPU) at the first poll that saw any event, time of the last change, last samples)."""
    first, done, last_outputs, quiet_since = None, 0.0, -1.0, 0.0
    polled = ("sla_events_in_total", *OUTPUT_COUNTERS)  # a whole scrape costs the worker
    while time.perf_counter() < started + events / 100 + 120:
        check_alive(worker)
        samples = scrape(worker.port, names=polled)
        seen, now = total(samples, "sla_events_in_total"), time.perf_counter()
        if seen and first is None:
            first = (now, seen, cpu_seconds(worker.process.pid))
        outputs = sum(total(samples, name) for name in OUTPUT_COUNTERS)
        if seen < events or outputs != last_outputs:
            done, last_outputs, quiet_since = now, outputs, now
        elif now - quiet_since >= QUIET and not asyncio.run(
                group_lag(worker.bootstrap, worker.app_id, inputs)):
            return first, done, scrape(worker.port)
        time.sleep(POLL)
    raise TimeoutError(f"worker accepted {seen:,.0f} of {events:,} events:\n{worker.log()}")


def _written(before: dict[str, int], after: dict[str, int], app_id: str) -> dict[str, int]:
    """Messages the worker wrote, grouped: changelogs, outputs, internal (triggers, wakes);
    each changelog also on its own (``changelog <table>``)."""
    groups = {"changelog": 0, "internal": 0, "outputs": 0}
    for topic, size in sorted(after.items()):
        grew = size - before.get(topic, 0)
        if topic in (COMPLAINTS, TICKET_EVENTS, SINK) or not grew:
            continue
        kind = ("changelog" if topic.endswith("-changelog") else
                "internal" if topic.startswith(app_id) else "outputs")
        groups[kind] += grew
        if kind == "changelog":
            table = topic.removeprefix(f"{app_id}-").removesuffix("-changelog")
            groups[f"changelog {table}"] = grew
    return groups


def _where_time_goes(samples, seconds: float, events: int, written: dict[str, int]) -> str:
    handler = Histogram.from_samples(samples, "sla_event_processing_seconds")
    ticks = Histogram.from_samples(samples, "sla_timer_tick_seconds")
    share = handler.sum / seconds if seconds else float("nan")
    kafka = ", ".join(f"{n / events:.2f} {kind}" for kind, n in written.items()
                      if not kind.startswith("changelog "))
    tables = ", ".join(f"{n / events:.2f} {kind.removeprefix('changelog ')}"
                       for kind, n in written.items() if kind.startswith("changelog "))
    return (f"      inbound handler (parse, engine, table write, sends): mean "
            f"{handler.sum / max(handler.count, 1) * 1e6:,.0f} us/event = {share:.0%} of the "
            f"wall time; deadline firing {ticks.sum:.1f} s in {ticks.count:,.0f} fires\n"
            f"      Kafka messages written per inbound event: {kafka} (changelogs: {tables})\n"
            f"      events emitted by the worker's own counters: "
            f"{_emitted(samples) / events:.2f} per inbound event")


def _emitted(samples) -> float:
    """Outbound events the worker counted (its metrics; dead letters included)."""
    return sum(total(samples, name) for name in OUTPUT_COUNTERS)


# -- main ---------------------------------------------------------------------------------
def main() -> None:
    """Publish the backlog once, then time the three readers one after the other."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="inbound events (20,000)")
    parser.add_argument("--partitions", type=int, default=PARTITIONS,
                        help=f"partitions of every topic ({PARTITIONS})")
    parser.add_argument("--clocks", default="stream,wall",
                        help="clock modes of the SLA Police worker, comma-separated: "
                             "stream, wall (weeks-old events), wall-now (steady state)")
    parser.add_argument("--ledger", default="process",
                        help="who records the ledger, comma-separated for one run each: "
                             "process (a ledger sink of its own, the worker with "
                             "SLA_LEDGER_ENABLED=false; default), worker (the worker itself)")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the write floor reader (Faust, parse and the least writes)")
    parser.add_argument("--faust-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.faust_child:
        bootstrap, data_dir, port, partitions, mode = args.faust_child
        faust_child(bootstrap, data_dir, int(port), int(partitions), mode)
        return
    print(f"stream throughput benchmark on {machine_summary()}")
    lines = make_backlog(args.events)
    clocks = args.clocks.split(",")
    ledgers = args.ledger.split(",")
    if unknown := set(ledgers) - {"process", "worker"}:
        parser.error(f"--ledger: unknown {', '.join(sorted(unknown))} (process, worker)")
    backlog = [clock for clock in clocks if clock in ("stream", "wall")]
    if backlog:
        session(lines, backlog, args.partitions, steady=False, ledgers=ledgers,
                floor=not args.no_floor)
    for ledger in ledgers if "wall-now" in clocks else []:  # a broker each: events published once
        session(lines, ["wall-now"], args.partitions, steady=True, ledgers=[ledger],
                floor=not args.no_floor)


def session(lines: list[bytes], clocks: list[str], partitions: int, *, steady: bool,
            ledgers: list[str], floor: bool = True) -> None:
    """One broker, one backlog, read by aiokafka, the empty Faust agent, the write floor
    (unless not ``floor``), then the worker per clock mode (steady: the worker first, the
    events published once it is ready); the ratios of this session's rates."""
    with bench_session("throughput", partitions) as (stack, bootstrap, scratch):
        # made first: else the first send waits for each
        create_topics(bootstrap, [SINK, *FLOOR_TOPICS], partitions)

        def publish_now() -> None:
            from streams.testing import publish_lines

            span = len(lines) / 1000
            start = datetime.now(UTC) - timedelta(seconds=span + 2)
            asyncio.run(publish_lines(bootstrap, moved_to_now(lines, start, span),
                                      linger_ms=5))
            print(f"  steady state: event times moved to {start:%H:%M:%S} .. "
                  f"+{span:.0f} s UTC, published at once without ticks once the worker "
                  f"was ready")

        runs = [pipeline(stack, bootstrap, scratch, "wall-now", len(lines), len(lines),
                         partitions, publish_now, ledger)
                for ledger in ledgers] if steady else []
        if not steady:
            publish_backlog(bootstrap, lines, partitions)
        raw = asyncio.run(aiokafka_passthrough(bootstrap))
        print(f"  backlog: {len(lines):,} events + {raw.messages - len(lines):,} clock ticks "
              f"= {raw.messages:,} messages on {partitions} partitions")
        raw.show()
        faust = faust_reader(stack, bootstrap, scratch, raw.messages, partitions,
                             "passthrough")
        faust.show()
        least = faust_reader(stack, bootstrap, scratch, raw.messages, partitions,
                             "floor") if floor else None
        runs += [pipeline(stack, bootstrap, scratch, clock, len(lines), raw.messages,
                          partitions, ledger=ledger)
                 for clock in clocks if not steady for ledger in ledgers]
        for (clock, _), ours in zip(product(clocks, ledgers), runs, strict=True):
            ours.show()
            by_cpu = faust.cpu_per_message / ours.cpu_per_message
            print(f"  ratio pipeline({clock})/faust: {ours.rate / faust.rate:.2f}; by CPU per "
                  f"message (steadier on a shared machine): {by_cpu:.2f}")
        if least is not None:
            least.show()
            print(f"  ratio floor/faust: {least.rate / faust.rate:.2f}; by CPU per message "
                  f"{faust.cpu_per_message / least.cpu_per_message:.2f}: the most a worker "
                  f"that writes what the floor writes ({FLOOR.describe()}) reaches here")
        print(f"  ratio faust/aiokafka: {faust.rate / raw.rate:.3f} "
              f"(aiokafka is {raw.rate / faust.rate:.0f}x faster)")


if __name__ == "__main__":
    main()
