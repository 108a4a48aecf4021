"""The final merge of the bucketed replay, cut by key range over worker processes.

Every run is sorted by key, so the merged output is the concatenation of the merges of
consecutive key ranges: the parent merges the first range straight into the output while
each other worker merges one range (found in each run by binary search) into a part file,
dropping repeated ids as the sharded replay does, and the parent then appends the parts in
order. Equal keys fall in one range; an id repeated across a cut (two lines of one id with
different keys, side by side) is dropped by the parent.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
from dataclasses import dataclass
from itertools import chain, compress
from operator import itemgetter, ne
from pathlib import Path
from typing import IO

from sla.replay import ORDER_ID_AT
from sla_police.bucketed_replay.runs import WRITE_BUFFER, merged_blocks

__all__ = ["MergedPart", "copy_parts", "merge_range", "merge_range_into"]

#: A key's id (after its time and rank), sliced in C.
_ID = itemgetter(slice(ORDER_ID_AT, None))


@dataclass
class MergedPart:
    path: Path | None  # None: merged straight into the output (nothing to copy)
    lines: int
    first_id: bytes | None
    last_id: bytes | None
    first_bytes: int  # length of its first line, dropped when it repeats the last id before


def merge_range(runs: list[Path], low: bytes | None, high: bytes | None,
                target: Path) -> MergedPart:
    """The payloads of the lines of ``runs`` with keys in [low, high), merged, each id
    once (the first), written to the part file ``target`` (:func:`merge_range_into`)."""
    with target.open("wb", buffering=WRITE_BUFFER) as out:
        part = merge_range_into(runs, low, high, out)
    part.path = target
    return part


def merge_range_into(runs: list[Path], low: bytes | None, high: bytes | None,
                     out: IO[bytes]) -> MergedPart:
    """The payloads of the lines of ``runs`` with keys in [low, high), merged, each id
    once (the first), written to ``out``: a part file (:func:`merge_range`), or the output
    itself for the first range (a part file that would only be copied there costs the
    disk its size twice).

    Each merged block is cut into keys and payloads by ``split``, the lines whose id
    repeats the one before them are dropped by ``compress`` and the rest written at once,
    all in C, instead of a Python step per line (neither keys nor payloads hold a tab or
    a newline; a block that does not cut so goes line by line). The merge's blocks hold
    thousands of lines: one repeated id among them must not send the whole block down
    the line-by-line path (it did, and made the year's final merge no faster with them)."""
    part = MergedPart(None, 0, None, None, 0)
    for block in merged_blocks(runs, low, high):
        cut = b"".join(block).replace(b"\n", b"\t").split(b"\t")  # key, payload, ...
        ids = list(map(_ID, cut[0::2]))
        ids.pop()  # after the last newline: nothing
        if len(ids) != len(block):
            _merge_lines(block, out, part)
            continue
        payloads = cut[1::2]
        new = list(map(ne, ids, chain((part.last_id,), ids)))  # id not the one before
        kept = payloads if all(new) else list(compress(payloads, new))
        if kept:  # the first id is read only for a part's first block: never dropped
            out.writelines([b"\n".join(kept), b"\n"])
            _wrote(part, ids[0], ids[-1], len(kept), block[0])
    return part


def _wrote(part: MergedPart, first: bytes, last: bytes, count: int, line: bytes) -> None:
    if part.first_id is None:
        part.first_id, part.first_bytes = first, len(line) - line.index(b"\t") - 1
    part.last_id = last
    part.lines += count


def _merge_lines(block: list[bytes], out: IO[bytes], part: MergedPart) -> None:
    """A block written line by line, dropping a line whose id repeats the one before."""
    batch: list[bytes] = []
    for line in block:
        tab = line.index(b"\t")
        event_id = line[ORDER_ID_AT:tab]
        if event_id != part.last_id:
            _wrote(part, event_id, event_id, 1, line)
            batch.append(line[tab + 1:])
    out.writelines(batch)


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
    """The parts, in order, to ``out`` (a part merged straight into it only counted; it
    can only be the first); the lines written."""
    written, last_id = 0, None
    for part in parts:
        skip = part.first_bytes if part.first_id is not None and part.first_id == last_id else 0
        if part.path is not None:
            if out is not None:
                _copy(part.path, skip, out)
            part.path.unlink()
        written += part.lines - (1 if skip else 0)
        if part.last_id is not None:
            last_id = part.last_id
    return written
