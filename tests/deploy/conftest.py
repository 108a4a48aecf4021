"""Fixtures of the deployment tests: the Prometheus binaries and the repository root.

``promtool`` and ``prometheus`` come from Debian's ``prometheus`` package, ``amtool`` from
``prometheus-alertmanager``; ``scripts/ensure_prometheus.sh`` installs both. A missing binary
fails the test (it does not skip): a skipped rules test would let a broken alert reach
production unnoticed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def require_binary(name: str) -> str:
    """Path of ``name`` on PATH, or fail the test saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: run scripts/ensure_prometheus.sh (as root) to "
                    "install Debian's prometheus packages", pytrace=False)
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of the promtool binary."""
    return require_binary("promtool")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    """Path of the prometheus server binary."""
    return require_binary("prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    """Path of Alertmanager's amtool."""
    return require_binary("amtool")
