"""Sorted run files: what each stage of the bucketed replay writes, and their k-way merge.

A run file holds one item per line, ``key TAB payload``, sorted by line. Keys are ASCII
order keys (:func:`sla.replay.order_key` and friends) and payloads compact JSON, which
holds no raw tab or newline; a tab sorts before every character a key holds, so sorting
whole lines sorts by key first (a shorter key before a longer one it starts). Writers
keep at most ``cap`` items in memory: past that they sort what they hold into a new
file, so a stage's memory is bounded whatever it emits.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["RunWriter", "merged_lines", "read_run"]

#: Bytes read ahead per run file during a merge: large enough to keep the merge in C.
_READ_AHEAD = 1 << 18


class RunWriter:
    """Collects ``key TAB payload`` lines and writes them as sorted run files under
    ``directory`` (named ``prefix-N.run``), at most ``cap`` lines held at once."""

    def __init__(self, directory: Path, prefix: str, cap: int = 250_000) -> None:
        self.directory, self.prefix, self.cap = directory, prefix, cap
        self.paths: list[Path] = []
        self._lines: list[bytes] = []

    def add(self, key: str, payload: bytes) -> None:
        self._lines.append(b"%s\t%s\n" % (key.encode(), payload))
        if len(self._lines) >= self.cap:
            self.flush()

    def add_lines(self, lines: Iterable[bytes]) -> None:
        """Lines already formatted as ``key TAB payload NEWLINE``."""
        self._lines.extend(lines)
        if len(self._lines) >= self.cap:
            self.flush()

    def flush(self) -> None:
        """Sort what is held into a new run file (nothing when nothing is held)."""
        if not self._lines:
            return
        self._lines.sort()
        path = self.directory / f"{self.prefix}-{len(self.paths)}.run"
        with path.open("wb") as handle:
            handle.writelines(self._lines)
        self.paths.append(path)
        self._lines = []

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
    runs = [read_run(path) for path in paths]
    if len(runs) == 1:
        return runs[0]
    return heapq.merge(*runs) if runs else itertools.chain()
