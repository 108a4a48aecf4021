"""Spill a JSONL log into ticket-hash bucket files of bounded size.

Every line goes to the bucket of its ``subject`` (the ticket id; lines without one go to
bucket 0), so a ticket's lines are all in one bucket, in their order in the log: each
bucket can be replayed on its own, as the sharded replay does with its shards. A bucket
still larger than the cap (bad luck, or one huge ticket) is split again with another
hash (:func:`bounded_buckets`); only a single ticket larger than the cap stays larger.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["bounded_buckets", "bucket_count", "spill"]

_SUBJECT = re.compile(rb'"subject"\s*:\s*"([^"\\]*)"')
#: Lines read (and written) per batch while spilling.
_BATCH_BYTES = 8 << 20


def bucket_count(size: int, cap: int, workers: int) -> int:
    """Buckets for ``size`` bytes of log so each holds about ``cap`` bytes (at least one
    per worker, and twice as many as needed, so hashing skew rarely overflows a bucket)."""
    return max(workers, 2 * math.ceil(size / cap)) if size else workers


def _bucket_of(line: bytes, buckets: int, salt: int) -> int:
    """crc32 of the subject (cheap; what the sharded replay uses) for the first split; a
    keyed BLAKE2 for the splits of an overflowing bucket, since the tickets crc32 put
    together would stay together under any crc32 (it is linear)."""
    match = _SUBJECT.search(line)
    if match is None:
        return 0
    if not salt:
        return zlib.crc32(match.group(1)) % buckets
    digest = hashlib.blake2b(match.group(1), digest_size=8, salt=salt.to_bytes(16, "big"))
    return int.from_bytes(digest.digest(), "big") % buckets


def spill(source: Path, directory: Path, buckets: int, *, prefix: str = "bucket",
          salt: int = 0) -> list[Path]:
    """Write each line of ``source`` to its bucket file under ``directory``; the paths,
    one per bucket (empty buckets are empty files)."""
    paths = [directory / f"{prefix}-{n}.jsonl" for n in range(buckets)]
    handles = [path.open("wb") for path in paths]
    try:
        with source.open("rb") as log:
            for batch in iter(lambda: log.readlines(_BATCH_BYTES), []):
                routed: list[list[bytes]] = [[] for _ in range(buckets)]
                for line in batch:
                    routed[_bucket_of(line, buckets, salt)].append(line)
                for handle, lines in zip(handles, routed, strict=True):
                    handle.write(b"".join(lines))  # one system call, not one per 8 KB
    finally:
        for handle in handles:
            handle.close()
    return paths


def bounded_buckets(path: Path, cap: int, *, salt: int = 1) -> Iterator[Path]:
    """``path`` if it holds at most ``cap`` bytes, else the bucket files it splits into
    (each split the same way, with the next salt), deleting what it split. A file whose
    lines all belong to one ticket is not split further."""
    size = path.stat().st_size
    if size <= cap or _one_subject(path):
        yield path
        return
    parts = spill(path, path.parent, max(2, math.ceil(size / cap)),
                  prefix=f"{path.stem}s", salt=salt)
    path.unlink()
    for part in parts:
        yield from bounded_buckets(part, cap, salt=salt + 1)


def _one_subject(path: Path) -> bool:
    subjects = set()
    with path.open("rb") as handle:
        for line in handle:
            match = _SUBJECT.search(line)
            subjects.add(match.group(1) if match else None)
            if len(subjects) > 1:
                return False
    return True
