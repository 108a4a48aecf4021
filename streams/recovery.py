"""Exact changelog end offsets, so Faust table recovery is complete on the Tansu broker.

**The defect.** Tansu answers ListOffsets(LATEST) with "base offset of the newest record batch
+ 1" instead of "last offset + 1". A changelog partition whose newest batch holds ten records
(offsets 0..9) is reported to end at 1, not 10. Faust's recovery (``faust.tables.recovery``)
asks ``consumer.highwaters()`` -- aiokafka's ``end_offsets()``, i.e. ListOffsets -- and stops
reading a changelog partition once it has applied the record *before* that end. On Tansu, every
record of the newest batch but the first is skipped: after a restart or rebalance, tables are
silently a few updates behind. Nothing else in Faust uses ``highwaters()``.

**The fix.** The high watermark in a *Fetch* response is right on Tansu. For every non-empty
partition we fetch at ``listed - 1`` (a record that exists whichever broker answers) with a
short-lived, group-less aiokafka consumer, read the partition's high watermark from the
response (public ``AIOKafkaConsumer.highwater``) and use ``max(listed, high watermark)``. On a
real Kafka the two agree (or the fetch sees records written since), so the result is never
lower than ListOffsets said; if the fetch fails the ListOffsets value is kept and a warning
logged. Cost: one connection and one fetch per recovery (about 10 ms on loopback).

This module holds the correction, which uses aiokafka's public API only (the throughput
bench and the recovery tests call it too). Its hook into Faust's recovery replaces a private
method of Faust's consumer thread and lives behind the fence:
:mod:`streams._faust.end_offsets`, installed by :func:`streams._faust.install`, which
:func:`streams.app.create_app` calls.

:func:`actives_ready` tells timers whether the active tables are recovered (public Faust API).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from faust.types import TP

__all__ = ["actives_ready", "exact_end_offsets"]

logger = logging.getLogger(__name__)

_PROBE_TIMEOUT = 10.0  # seconds for the whole correction; then ListOffsets values are kept
_POLL_MS = 100


async def exact_end_offsets(
    listed: Mapping[TP, int], *, timeout: float = _PROBE_TIMEOUT, **consumer_kwargs: Any
) -> dict[TP, int]:
    """Correct ListOffsets end offsets ``listed`` with Fetch high watermarks ("last + 1").

    ``consumer_kwargs`` configure the probe ``AIOKafkaConsumer`` (``bootstrap_servers`` at
    least). Empty partitions (``listed`` 0) are not fetched: ListOffsets is right for them.
    Never returns a value below ``listed``; partitions the probe cannot read keep theirs.
    """
    result = dict(listed)
    nonempty = {tp: end for tp, end in listed.items() if end is not None and end > 0}
    if not nonempty:
        return result
    watermarks = await _probe_high_watermarks(nonempty, timeout, consumer_kwargs)
    for tp, end in nonempty.items():
        result[tp] = max(end, watermarks.get(tp, end))
    corrected = {tp: (listed[tp], result[tp]) for tp in nonempty if result[tp] != listed[tp]}
    if corrected:
        logger.debug("End offsets corrected (ListOffsets, Fetch high watermark): %s", corrected)
    missing = sorted(set(nonempty) - set(watermarks))
    if missing:
        logger.warning("No Fetch high watermark within %.0f s for %s: kept ListOffsets end "
                       "offsets, table recovery may miss their newest records", timeout, missing)
    return result


async def _probe_high_watermarks(
    listed: Mapping[TP, int], timeout: float, consumer_kwargs: Mapping[str, Any]
) -> dict[TP, int]:
    """Run a group-less probe consumer; whatever high watermarks it got within ``timeout``."""
    probe = AIOKafkaConsumer(
        group_id=None, enable_auto_commit=False, auto_offset_reset="latest",
        fetch_max_wait_ms=_POLL_MS, isolation_level="read_uncommitted", **consumer_kwargs,
    )
    watermarks: dict[TP, int] = {}
    try:
        async with asyncio.timeout(timeout):
            await probe.start()
            await _fetch_high_watermarks(probe, listed, watermarks)
    except (TimeoutError, KafkaError, OSError) as exc:
        logger.warning("End-offset probe failed: %r", exc)
    finally:
        await probe.stop()
    return watermarks


async def _fetch_high_watermarks(
    probe: AIOKafkaConsumer, listed: Mapping[TP, int], watermarks: dict[TP, int]
) -> None:
    """Fetch each partition at ``listed - 1``; collect the high watermarks the responses carry.

    Fills ``watermarks`` as they arrive, so a timeout keeps the ones already known.
    """
    probe.assign(list(listed))
    for tp, end in listed.items():
        probe.seek(tp, end - 1)
    while len(watermarks) < len(listed):
        pending = [tp for tp in listed if tp not in watermarks]
        await probe.getmany(*pending, timeout_ms=_POLL_MS)
        for tp in pending:
            highwater = probe.highwater(tp)
            if highwater is not None:
                watermarks[tp] = highwater


def actives_ready(app: faust.App) -> bool:
    """True when the worker's active table partitions are recovered and no rebalance runs.

    Gate deadline scans and other timer work on it: ``app.tables.recovery.completed`` is set
    after the *first* recovery and never cleared, whereas this turns False again at the start of
    every rebalance and True once that rebalance's recovery is complete.
    """
    return bool(app.tables.actives_ready) and not app.rebalancing
