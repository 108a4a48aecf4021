"""The API service as a child process of ``sla-police up``.

``up`` runs the stream worker in its own (Faust's) event loop; the API runs beside it as
``sla-police api`` in a separate process, so uvicorn never shares that loop and a slow
request never delays a deadline. The child:

- gets the worker's ledger (``SLA_DATABASE_URL``), policy (``SLA_CONFIG``), principals file
  (``SLA_PRINCIPALS``) and Kafka bootstrap (``SLA_KAFKA_BOOTSTRAP``, where its commands go),
  passed explicitly so it cannot read different ones than the worker;
- writes its log to a file (the ``up`` console is the demo's), whose tail is shown when it
  fails to start;
- leads its own process group, gets SIGTERM if ``up`` dies (Linux ``PR_SET_PDEATHSIG``) and
  is stopped by :meth:`ApiProcess.stop` (SIGTERM, then SIGKILL), so it never outlives ``up``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sla_police.broker import parent_death_hook

__all__ = ["ApiProcess", "ApiProcessError", "ApiTarget"]

_WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


class ApiProcessError(RuntimeError):
    """The API child did not start; the message says why (with its log's last lines)."""


@dataclass(frozen=True, slots=True)
class ApiTarget:
    """What the API child serves and from where: the same stores as the worker's."""

    host: str
    port: int
    database_url: str
    config: Path
    principals: Path
    kafka_bootstrap: str
    data_dir: Path
    log_level: str = "INFO"
    clock: str = "wall"  #: the worker's: with ``stream``, the API's now is the stream's time

    @property
    def base_url(self) -> str:
        """Where clients reach it (a wildcard bind address is reached on loopback)."""
        host = _WILDCARD_HOSTS.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"


class ApiProcess:
    """One ``sla-police api`` child; :meth:`start`, :meth:`wait_ready`, :meth:`stop`."""

    def __init__(self, target: ApiTarget, log_path: Path) -> None:
        self.target = target
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id, or None before start and after stop."""
        return self._proc.pid if self._proc is not None else None

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_")}
        env.update({
            "SLA_DATABASE_URL": self.target.database_url,
            "SLA_CONFIG": str(self.target.config.resolve()),
            "SLA_PRINCIPALS": str(self.target.principals.resolve()),
            "SLA_KAFKA_BOOTSTRAP": self.target.kafka_bootstrap,
            "SLA_DATA_DIR": str(self.target.data_dir.resolve()),
            "SLA_LOG_LEVEL": self.target.log_level,
            "SLA_CLOCK": self.target.clock,
        })
        return env

    def start(self) -> ApiProcess:
        """Launch the child (returns at once; :meth:`wait_ready` waits for it to answer)."""
        argv = [sys.executable, "-m", "sla_police", "api", "--host", self.target.host,
                "--port", str(self.target.port)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self._environment(), process_group=0, close_fds=True,
                preexec_fn=parent_death_hook())
        atexit.register(self.stop)
        return self

    def wait_ready(self, timeout: float = 60.0) -> dict:
        """Until ``/health`` answers (its body); raise :class:`ApiProcessError` if the child
        exits first (a port in use, an unusable ledger) or does not answer in time."""
        assert self._proc is not None, "start() first"
        deadline = time.monotonic() + timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                raise ApiProcessError(f"the API exited with code {code} while starting on "
                                      f"{self.target.base_url}:\n{self.log_tail()}")
            health = self._health()
            if health is not None:
                return health
            if time.monotonic() > deadline:
                self.stop()
                raise ApiProcessError(f"the API did not answer on {self.target.base_url} "
                                      f"within {timeout:g} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def _health(self) -> dict | None:
        url = f"{self.target.base_url}/health"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:  # 503: serving, the ledger is away
            return json.loads(exc.read() or b"{}")
        except (OSError, ValueError):
            return None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the child (uvicorn finishes its requests), SIGKILL after ``timeout``
        seconds. Idempotent."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout)

    def log_tail(self, lines: int = 15) -> str:
        """The last ``lines`` lines of the child's log (it never logs a token)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no API log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty API log)"


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        try:
            os.killpg(proc.pid, sig)
        except PermissionError:
            proc.send_signal(sig)
