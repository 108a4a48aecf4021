"""Small helpers shared by commands: failing clearly, loading config, reading logs,
writing output files."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn

import typer
from rich.console import Console

__all__ = [
    "EXIT_CANNOT_WRITE",
    "fail",
    "load_config_or_exit",
    "open_output",
    "write_bytes",
    "parse_time_option",
    "read_log",
    "wide_console",
    "writing",
]

#: Exit code when an output file cannot be opened or written.
EXIT_CANNOT_WRITE = 1


def wide_console(stderr: bool = False) -> Console:
    """A console that is at least 150 columns wide, so tables survive pipes and CI logs."""
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, width=max(probe.width, 150) if not probe.is_terminal
                   else probe.width)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` as an error on stderr and exit with ``code``."""
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}",
                                               highlight=False)
    raise typer.Exit(code)


def load_config_or_exit(path: Path | None):  # -> SlaConfig
    """Load the SLA policy (default: SLA_CONFIG), or print every issue and exit 1."""
    from sla.config import ConfigError, load_config
    from sla_police.settings import Settings

    path = path or Settings().config
    if not Path(path).is_file():
        fail(f"config file {path} not found (set --config or SLA_CONFIG)")
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(f"invalid config:\n{exc}", code=1)


_CHUNK_BYTES = 4 << 20


def read_log(path: Path, console: Console) -> Iterator[bytes]:
    """Lines of a JSONL file, with a progress bar by bytes read on ``console``."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    total = path.stat().st_size
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True,
                  disable=total < 5_000_000) as progress:
        task = progress.add_task(f"reading {path.name}", total=total)
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.readlines(_CHUNK_BYTES), []):
                progress.advance(task, sum(map(len, chunk)))  # per chunk: cheap on 1M lines
                yield from chunk


def parse_time_option(option: str, text: str | None):  # -> datetime | None
    """An RFC 3339 time with an offset given to ``option``, or exit with what is wrong."""
    from datetime import datetime

    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not an RFC 3339 time (e.g. 2026-11-09T12:00:00+08:00)")
    if value.tzinfo is None:
        fail(f"{option} {text!r} needs a UTC offset (e.g. +08:00)")
    return value


def _cannot_write(path: Path, exc: OSError) -> NoReturn:
    parent = path.parent
    why = (f"directory {parent} does not exist" if not parent.exists()
           else exc.strerror or str(exc))
    fail(f"cannot write {path}: {why}", code=EXIT_CANNOT_WRITE)


def open_output(path: Path, *, binary: bool = False, newline: str | None = None) -> IO[Any]:
    """``path`` opened for writing (UTF-8 text, or bytes), or exit with one line saying
    why it cannot be (a missing directory, no permission, a directory given as the file).

    Open the output before long work, so a typo costs nothing; write it in :func:`writing`.
    """
    try:
        if binary:
            return path.open("wb")
        return path.open("w", encoding="utf-8", newline=newline)
    except OSError as exc:
        _cannot_write(path, exc)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` inside the block (a full disk...) into one line
    and a non-zero exit. Put only the writing (and closing) of ``path`` in the block."""
    try:
        yield
    except OSError as exc:
        _cannot_write(path, exc)


def write_bytes(data: bytes, out: Path | None) -> None:
    """``data`` to ``out``, or to standard output without one (a report, a download)."""
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    handle = open_output(out, binary=True)
    with writing(out), handle:
        handle.write(data)
