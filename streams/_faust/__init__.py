"""The fence: every workaround that touches faust-streaming, mode or aiokafka internals.

Nothing else in SLA Police reads or replaces a private attribute of those libraries. The
rest of :mod:`streams` calls :func:`install` once per app (:func:`streams.app.create_app`
does) and uses helpers that need an internal: :func:`known_committed`,
:func:`partition_rows`, :class:`RowColumn`, :func:`seek_back`, :func:`processing`,
:func:`kafka_producer`, :func:`report_undelivered`, :func:`delivery_failed` and
:func:`write_rows`. The upgrade checklist, one entry per patch, is ``README.md`` here.

:func:`install` first runs :func:`check_internals`, which verifies that every internal a
patch relies on exists with the shape the patch expects; otherwise it raises
:class:`FrameworkMismatch` naming the installed faust-streaming and aiokafka versions and
each internal that is missing, so a worker refuses to start rather than run unpatched.
"""

from __future__ import annotations

import faust

from streams._faust import (
    aiokafka_producer,
    committed,
    current_event,
    dropped_copies,
    eager_delivery,
    end_offsets,
    fetch_positions,
    group_leave,
    partition_writes,
    producer_flush,
    rebalance_seek,
    revocation,
    row_column,
    short_poll,
    table_scan,
    table_start,
    transport,
    undelivered,
)
from streams._faust.aiokafka_producer import kafka_producer
from streams._faust.check import FrameworkMismatch, Requirement, framework_versions, verify
from streams._faust.committed import known_committed
from streams._faust.current_event import processing
from streams._faust.partition_writes import write_rows
from streams._faust.rebalance_seek import seek_back
from streams._faust.row_column import RowColumn
from streams._faust.table_scan import partition_rows
from streams._faust.undelivered import delivery_failed, report_undelivered

__all__ = [
    "REQUIRES",
    "FrameworkMismatch",
    "RowColumn",
    "check_internals",
    "delivery_failed",
    "framework_versions",
    "install",
    "kafka_producer",
    "known_committed",
    "partition_rows",
    "processing",
    "report_undelivered",
    "seek_back",
    "write_rows",
]

#: Every internal any patch relies on, in the order of the README's checklist.
REQUIRES: tuple[Requirement, ...] = (
    *transport.REQUIRES,
    *end_offsets.REQUIRES,
    *revocation.REQUIRES,
    *rebalance_seek.REQUIRES,
    *producer_flush.REQUIRES,
    *committed.REQUIRES,
    *table_scan.REQUIRES,
    *current_event.REQUIRES,
    *row_column.REQUIRES,
    *table_start.REQUIRES,
    *short_poll.REQUIRES,
    *group_leave.REQUIRES,
    *fetch_positions.REQUIRES,
    *aiokafka_producer.REQUIRES,
    *undelivered.REQUIRES,
    *eager_delivery.REQUIRES,
    *partition_writes.REQUIRES,
    *dropped_copies.REQUIRES,
)


def check_internals() -> None:
    """Raise :class:`FrameworkMismatch` unless every internal the patches touch is as assumed."""
    verify(REQUIRES)


def install(app: faust.App, *, exact_end_offsets: bool = True) -> None:
    """Check the internals, then install every patch into ``app`` (before it starts).

    ``exact_end_offsets=False`` leaves Faust's stock changelog end offsets (only to
    demonstrate the Tansu recovery defect). Idempotent.
    """
    check_internals()
    if exact_end_offsets:
        end_offsets.install_exact_end_offsets(app)
    revocation.install_commit_on_revoke(app)
    rebalance_seek.install_rebalance_seek(app)
    producer_flush.install_complete_flush(app)
    undelivered.install_hold_commits(app)
    table_start.install_start_without_delay(app)
    short_poll.install_short_poll(app)
    group_leave.install_group_leave(app)
    fetch_positions.install_positions_at_once(app)
    eager_delivery.install_eager_delivery(app)
    dropped_copies.install_forget_dropped(app)
