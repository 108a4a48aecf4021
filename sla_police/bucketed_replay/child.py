"""Run one piece of work in a forked child that ends with ``os._exit``.

A bucket's replay builds hundreds of thousands of small objects (lines, events, ticket
states, outcomes); freeing them one by one when the bucket is done cost about 7 % of the
ticket stage's CPU. A child that does the bucket and ends with ``os._exit`` leaves that
to the kernel, which takes the memory back at once. Only the (small) result crosses back,
pickled through a pipe. :mod:`multiprocessing` cannot be used here: the ticket workers
are themselves daemonic processes, which it does not let have children.
"""

from __future__ import annotations

import os
import pickle
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["run_in_child"]

#: Bytes read from the pipe at once.
_CHUNK = 1 << 20


def run_in_child(work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)`` in a forked child; its result (pickled) or its failure, raised
    here as ``RuntimeError`` with the child's traceback. The child shares nothing
    writable with this process afterwards: files it writes are its own."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow os._exit)
        _child(read, write, work, args)
    os.close(write)
    chunks = []
    with os.fdopen(read, "rb", buffering=0) as pipe:
        while chunk := pipe.read(_CHUNK):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError(f"replay child ended without a result (wait status {status})")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise RuntimeError(f"replay child failed:\n{value}")
    return value


def _child(read: int, write: int, work: Callable[..., Any], args: tuple) -> None:
    """Do the work, write the outcome to the pipe, end without any clean-up."""
    try:
        os.close(read)
        try:
            payload = pickle.dumps(("done", work(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # report any failure to the parent
            payload = pickle.dumps(("error", traceback.format_exc()))
        view = memoryview(payload)
        while view:
            view = view[os.write(write, view):]
        os.close(write)
    finally:
        os._exit(0)
