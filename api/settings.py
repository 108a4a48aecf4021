"""What the API is built from: a small frozen settings object and the command publisher.

The shell (``sla-police api``) reads the environment and the policy file and hands
:func:`api.create_app` an :class:`ApiSettings`; tests build one with a SQLite ledger, a
temporary principals file and a fake publisher. Nothing in :mod:`api` reads the
environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from models import CloudEvent
from sla.specs import SlaConfig

__all__ = ["ApiSettings", "CommandPublisher", "PublishError", "departments_of"]


class PublishError(Exception):
    """A command could not be handed to the event bus (the API answers 503)."""


class CommandPublisher(Protocol):
    """Sends an inbound event (a command such as ``attribution.disputed``) to its topic.

    In production a Kafka producer (``sla_police.command_bus``); in tests a list. Raise
    :class:`PublishError` when the event was not accepted.
    """

    async def publish(self, event: CloudEvent) -> None: ...

    async def close(self) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Everything :func:`api.create_app` needs.

    ``departments`` maps each department id of the policy to its display name;
    ``timezone`` is the policy's (months of the reports are counted in it);
    ``clock`` gives the time stamped on commands and the "now" disputes are overdue at;
    ``dispute_ruling_within`` is the policy's ``disputes.ruling_within`` (None: none);
    ``currency`` is the policy's (the scorecard's fines are in it).
    """

    database_url: str
    principals_path: Path
    publisher: CommandPublisher
    departments: Mapping[str, str]
    timezone: str = "Asia/Shanghai"
    source: str = "sla-police/api"
    clock: Callable[[], datetime] = field(default=_utc_now)
    dispute_ruling_within: timedelta | None = None
    currency: str = "CNY"

    def __post_init__(self) -> None:
        object.__setattr__(self, "departments", MappingProxyType(dict(self.departments)))


def departments_of(config: SlaConfig) -> dict[str, str]:
    """Department id -> display name, from the policy file."""
    return {key: spec.name for key, spec in config.departments.items()}
