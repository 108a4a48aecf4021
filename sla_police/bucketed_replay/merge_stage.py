"""The final merge of the bucketed replay, cut by key range over worker processes.

Every run is sorted by key, so the merged output is the concatenation of the merges of
consecutive key ranges: each worker merges one range (found in each run by binary search)
into a part file, dropping repeated ids as the sharded replay does, and the parent copies
the parts to the output in order. Equal keys fall in one range; an id repeated across a
cut (two lines of one id with different keys, side by side) is dropped by the parent.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sla.replay import ORDER_ID_AT
from sla_police.bucketed_replay.runs import merged_range

__all__ = ["MergedPart", "copy_parts", "merge_range"]

_WRITE_BATCH = 20_000


@dataclass
class MergedPart:
    path: Path
    lines: int
    first_id: bytes | None
    last_id: bytes | None
    first_bytes: int  # length of its first line, dropped when it repeats the last id before


def merge_range(runs: list[Path], low: bytes | None, high: bytes | None,
                target: Path) -> MergedPart:
    """The payloads of the lines of ``runs`` with keys in [low, high), merged, each id
    once (the first), written to ``target``."""
    lines = merged_range(runs, low, high)
    last_id = first_id = None
    first_bytes = count = 0
    batch: list[bytes] = []
    with target.open("wb") as out:
        for line in lines:
            tab = line.index(b"\t")
            event_id = line[ORDER_ID_AT:tab]
            if event_id != last_id:
                last_id = event_id
                batch.append(line[tab + 1:])
                if first_id is None:
                    first_id, first_bytes = event_id, len(line) - tab - 1
                if len(batch) >= _WRITE_BATCH:
                    out.writelines(batch)
                    count += len(batch)
                    batch.clear()
        out.writelines(batch)
        count += len(batch)
    return MergedPart(target, count, first_id, last_id, first_bytes)


def _copy(path: Path, start: int, out: IO[bytes]) -> None:
    """``path`` from ``start`` to the end, appended to ``out`` (in the kernel when ``out``
    is a file that takes ``sendfile``; /dev/full, for one, refuses it with EINVAL)."""
    with path.open("rb") as handle:
        size = path.stat().st_size
        try:
            descriptor = out.fileno()
            out.flush()
            while start < size:
                start += os.sendfile(descriptor, handle.fileno(), start, size - start)
            return
        except (AttributeError, io.UnsupportedOperation):  # an in-memory buffer
            pass
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                raise
        handle.seek(start)
        shutil.copyfileobj(handle, out, 1 << 20)


def copy_parts(parts: list[MergedPart], out: IO[bytes] | None) -> int:
    """The parts, in order, to ``out``; the lines written."""
    written, last_id = 0, None
    for part in parts:
        skip = part.first_bytes if part.first_id is not None and part.first_id == last_id else 0
        if out is not None:
            _copy(part.path, skip, out)
        written += part.lines - (1 if skip else 0)
        part.path.unlink()
        if part.last_id is not None:
            last_id = part.last_id
    return written
