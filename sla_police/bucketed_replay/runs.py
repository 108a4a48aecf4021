"""Sorted run files: what each stage of the bucketed replay writes, and their k-way merge.

A run file holds one item per line, ``key TAB payload``, sorted by line. Keys are ASCII
order keys (:func:`sla.replay.order_key` and friends) and payloads compact JSON, which
holds no raw tab or newline; a tab sorts before every character a key holds, so sorting
whole lines sorts by key first (a shorter key before a longer one it starts). Writers
keep at most ``cap`` bytes of lines in memory: past that they sort what they hold into a
new file, so a stage's memory is bounded whatever it emits.

The merges read each run in blocks of lines and, at each step, take from every run the
lines up to a bound (the median of the runs' last lines read; found by bisection),
sorting them together: the list sort merges sorted stretches in C, where a merge one
line at a time (``heapq.merge``) spent about a microsecond per line in Python. The order
is the same, ties included (the sort is stable and the runs are taken in their order).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["WRITE_BUFFER", "RunWriter", "key_of", "merged_blocks", "merged_lines",
           "merged_range", "read_run", "split_keys"]

#: Bytes buffered per file written: a run's lines (about 600 bytes each) went out in
#: 8 KB writes by default, one system call per 13 lines, which cost more CPU than the
#: lines' sorting (0.9 against 0.3 µs a line here).
WRITE_BUFFER = 1 << 20
#: Bytes read ahead per run file during a merge: large enough to keep the merge in C.
_READ_AHEAD = 1 << 16
#: Bytes of lines read from a run at once by the merges.
_BLOCK_BYTES = 1 << 16


class RunWriter:
    """Collects ``key TAB payload`` lines and writes them as sorted run files under
    ``directory`` (named ``prefix-N.run``), at most about ``cap`` bytes held at once."""

    def __init__(self, directory: Path, prefix: str, cap: int = 48 << 20) -> None:
        self.directory, self.prefix, self.cap = directory, prefix, cap
        self.paths: list[Path] = []
        self._lines: list[bytes] = []
        self._bytes = 0

    def add(self, key: str, payload: bytes) -> None:
        self.add_lines([b"%s\t%s\n" % (key.encode(), payload)])

    def add_lines(self, lines: list[bytes]) -> None:
        """Lines already formatted as ``key TAB payload NEWLINE``."""
        self._lines.extend(lines)
        self._bytes += sum(map(len, lines))
        if self._bytes >= self.cap:
            self.flush()

    def flush(self) -> None:
        """Sort what is held into a new run file (nothing when nothing is held)."""
        if not self._lines:
            return
        self._lines.sort()
        path = self.directory / f"{self.prefix}-{len(self.paths)}.run"
        with path.open("wb", buffering=WRITE_BUFFER) as handle:
            handle.writelines(self._lines)
        self.paths.append(path)
        self._lines, self._bytes = [], 0

    def close(self) -> list[Path]:
        self.flush()
        return self.paths


def read_run(path: Path) -> Iterator[bytes]:
    """The lines of one run file, in order (each with its newline)."""
    with path.open("rb", buffering=_READ_AHEAD) as handle:
        yield from handle


def merged_lines(paths: Iterable[Path]) -> Iterator[bytes]:
    """The lines of sorted run files in one sorted stream (a k-way merge, ties in the
    order of ``paths``)."""
    return merged_range(list(paths), None, None)


def merged_range(paths: list[Path], low: bytes | None, high: bytes | None) -> Iterator[bytes]:
    """The lines of the sorted runs ``paths`` whose keys are at least ``low`` and below
    ``high`` (None: unbounded), merged in one sorted stream (ties in the order of
    ``paths``); each run's start found by binary search on its offsets."""
    return itertools.chain.from_iterable(merged_blocks(paths, low, high))


def merged_blocks(paths: list[Path], low: bytes | None,
                  high: bytes | None) -> Iterator[list[bytes]]:
    """:func:`merged_range`'s lines in consecutive blocks (none empty), for a caller that
    handles a block at once."""
    return _merge_blocks([_range_blocks(path, low, high) for path in paths])


def _range_blocks(path: Path, low: bytes | None, high: bytes | None) -> Iterator[list[bytes]]:
    """The lines of one run with keys in [low, high), in blocks (none empty). A line is
    at least ``high`` exactly when its key is: a tab sorts before every key character."""
    size = path.stat().st_size
    with path.open("rb", buffering=_READ_AHEAD) as handle:
        if low is not None:
            handle.seek(_first_at_or_after(handle, size, low))
        while block := handle.readlines(_BLOCK_BYTES):
            if high is not None and block[-1] >= high:
                cut = bisect_left(block, high)
                if cut:
                    yield block[:cut]
                return
            yield block


def _merge_blocks(sources: list[Iterator[list[bytes]]]) -> Iterator[list[bytes]]:
    """Sorted blocks of sorted sources, merged: each step takes from every source the
    lines up to a bound and sorts them (:func:`_bound`, :func:`_take`)."""
    heads: list[list] = []  # [blocks read, index in the first, source]
    for source in sources:
        block = next(source, None)
        if block is not None:
            heads.append([[block], 0, source])
    if len(heads) == 1:
        yield heads[0][0][0]
        yield from heads[0][2]
        return
    while heads:
        bound = _bound(heads)
        taken: list[bytes] = []
        for head in heads:
            _take(head, bound, taken)
        heads = [head for head in heads if head[0]]
        taken.sort()
        yield taken


#: Blocks a run may read ahead in one merge step (:func:`_bound`).
_READ_AHEAD_BLOCKS = 4


def _bound(heads: list[list]) -> bytes:
    """The bound of one merge step: the median of the heads' last lines read, lowered
    where a head would need more than :data:`_READ_AHEAD_BLOCKS` blocks to pass it.

    Every line up to the bound must be taken at once, so a head whose lines read end at
    or below it reads further blocks first. With the least last line as the bound (the
    plain block merge), a step yielded about one block of lines whatever the number of
    runs while it visited every run: the cost per line grew with the runs (0.3 µs a line
    at 8 runs, 1.5 at 256: a year's replay merges about 250). With the median, a step
    yields about half a block per run. A run dense in keys (the penalty stage's: each
    covers a stretch of time) may need several blocks to pass the median: it reads at
    most :data:`_READ_AHEAD_BLOCKS` more, so a run holds at most five blocks (320 KB)."""
    bound = sorted([head[0][-1][-1] for head in heads])[(len(heads) - 1) // 2]
    for head in heads:
        blocks, source = head[0], head[2]
        while blocks[-1][-1] <= bound:
            if len(blocks) > _READ_AHEAD_BLOCKS:
                bound = blocks[-1][-1]
                break
            block = next(source, None)
            if block is None:
                break
            blocks.append(block)
    return bound


def _take(head: list, bound: bytes, taken: list[bytes]) -> None:
    """Move ``head``'s lines up to ``bound`` to ``taken``; a head whose blocks all went
    reads its next one (none left: its list of blocks is empty)."""
    blocks, start, source = head
    while blocks:
        block = blocks[0]
        if block[-1] > bound:
            cut = bisect_right(block, bound, start)
            taken.extend(block[start:cut])
            head[1] = cut
            return
        taken.extend(block[start:] if start else block)
        del blocks[0]
        start = 0
    head[1] = 0
    block = next(source, None)
    if block is not None:
        blocks.append(block)


def key_of(line: bytes) -> bytes:
    return line[:line.index(b"\t")]


def split_keys(paths: list[Path], parts: int, samples: int = 16) -> list[bytes]:
    """``parts - 1`` keys that cut the lines of ``paths`` into about equal parts (by
    bytes, from ``samples`` lines read at even offsets of each run)."""
    weighted: list[tuple[bytes, int]] = []
    for path in paths:
        size = path.stat().st_size
        with path.open("rb") as handle:
            for n in range(samples):
                handle.seek(_line_start(handle, size * n // samples))
                line = handle.readline()
                if line:
                    weighted.append((key_of(line), size // samples))
    weighted.sort()
    total = sum(weight for _, weight in weighted)
    keys, seen, part = [], 0, 1
    for key, weight in weighted:
        seen += weight
        while part < parts and seen >= total * part / parts:
            keys.append(key)
            part += 1
    return keys


def _line_start(handle: Any, position: int) -> int:
    """Offset of the first line starting at or after ``position``."""
    if position <= 0:
        return 0
    handle.seek(position - 1)
    handle.readline()
    return handle.tell()


def _first_at_or_after(handle: Any, size: int, key: bytes) -> int:
    """Offset of the first line whose key is at least ``key`` (``size``: none is)."""
    low, high = 0, size
    while low < high:
        middle = (low + high) // 2
        handle.seek(_line_start(handle, middle))
        line = handle.readline()
        if not line or key_of(line) >= key:
            high = middle
        else:
            low = middle + 1
    return _line_start(handle, low)
