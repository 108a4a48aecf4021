"""What this worker's consumer last committed, per partition (no I/O).

The stages prune their outboxes with it on every message. Faust keeps the offsets it
committed in ``Consumer._committed_offset`` (a ``defaultdict`` of TP to offset or None):
``Consumer._commit_offsets`` adds each commit, ``perform_seek`` the group's committed
offsets after an assignment, and ``on_partitions_revoked`` drops revoked partitions.
Faust has no public accessor for it. For the group's committed offsets over the network
(OffsetFetch), see :func:`streams.offsets.committed_offsets`.
"""

from __future__ import annotations

import faust
from faust.transport.consumer import Consumer
from faust.types import TP

from streams._faust.check import Requirement, assigns, uses

__all__ = ["REQUIRES", "known_committed"]


def known_committed(app: faust.App, topic: str, partition: int) -> int | None:
    """The offset this worker last committed for one partition; None while unknown
    (nothing committed yet, or the partition was just taken over)."""
    return app.consumer._committed_offset.get(TP(topic, partition))


_PATCH = "known committed offsets"

REQUIRES: tuple[Requirement, ...] = (
    assigns(_PATCH, Consumer, "__init__", "_committed_offset"),
    uses(_PATCH, Consumer, "_commit_offsets", "_committed_offset"),
    uses(_PATCH, Consumer, "perform_seek", "_committed_offset"),
    uses(_PATCH, Consumer, "on_partitions_revoked", "_committed_offset"),
)
