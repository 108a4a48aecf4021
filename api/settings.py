"""What the API is built from: a small frozen settings object and the command publisher.

The shell (``sla-police api``) reads the environment and the policy file and hands
:func:`api.create_app` an :class:`ApiSettings`; tests build one with a SQLite ledger, a
temporary principals file and a fake publisher. Nothing in :mod:`api` reads the
environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from models import CloudEvent
from sla.clocks import BusinessTime
from sla.specs import AuthoritySpec, CallsSpec, DisputeDeadline, SlaConfig

if TYPE_CHECKING:
    from api.page.closest import ClosestToBreach

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
    ``dispute_deadline`` is the policy's ``disputes`` deadline (None: none);
    ``calendars`` are the policy's business calendars by name (the worklist counts working
    time left on them);
    ``closest_to_breach`` lists the open clocks with the least time left for the status
    page (None: the worklist's, :mod:`ledger.worklist`);
    ``page_refresh_seconds`` is how often the status page reloads itself.
    ``currency`` is the policy's (the scorecard's fines are in it);
    ``scorecard_cache_seconds``: how long the status page keeps a month's scorecard and
    12-month series before scoring it again (:class:`api.page.ScorecardCache`).
    ``authority`` is the policy's ``authority`` section (None: the authority report
    answers 404); ``calls`` is the policy's ``calls`` section (None: absent; block requests
    and the calls report then answer 404, the IVR's lookup still works).
    """

    database_url: str
    principals_path: Path
    publisher: CommandPublisher
    departments: Mapping[str, str]
    timezone: str = "Asia/Shanghai"
    source: str = "sla-police/api"
    clock: Callable[[], datetime] = field(default=_utc_now)
    dispute_deadline: DisputeDeadline | None = None
    calendars: Mapping[str, BusinessTime] = field(default_factory=dict)
    closest_to_breach: ClosestToBreach | None = None
    page_refresh_seconds: int = 15
    currency: str = "CNY"
    scorecard_cache_seconds: int = 300
    authority: AuthoritySpec | None = None
    calls: CallsSpec | None = None

    @classmethod
    def for_policy(cls, config: SlaConfig, **values: Any) -> ApiSettings:
        """Settings whose departments, timezone, currency, dispute deadline, calendars and
        authority and calls sections are the policy's; ``values`` give the rest (database_url,
        principals_path, publisher...)."""
        from sla.calendar import build_calendars

        return cls(departments=departments_of(config), timezone=config.timezone,
                   currency=config.currency, dispute_deadline=config.dispute_deadline,
                   calendars=build_calendars(config.calendars), authority=config.authority,
                   calls=config.calls, **values)

    def __post_init__(self) -> None:
        object.__setattr__(self, "departments", MappingProxyType(dict(self.departments)))
        object.__setattr__(self, "calendars", MappingProxyType(dict(self.calendars)))


def departments_of(config: SlaConfig) -> dict[str, str]:
    """Department id -> display name, from the policy file."""
    return {key: spec.name for key, spec in config.departments.items()}
