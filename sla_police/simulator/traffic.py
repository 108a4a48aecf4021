"""Who complains, when, about what: daily volume, arrival times and complaint fields.

Arrivals follow two Gaussian bumps (around 10:30 and 15:30 local time) over a low floor,
so the hourly histogram has a morning and an afternoon peak with a lunch dip and quiet
nights. Live channels (phone, chat, store) need a seat, so complaints outside 08:00-22:00
come in through asynchronous channels (app, email, social, other).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from sla_police.simulator.catalog import (
    CATEGORY_DEPARTMENT,
    CATEGORY_WEIGHTS,
    CHANNEL_WEIGHTS,
    DEPARTMENT_PRODUCTS,
    LIVE_CHANNELS,
    PRIORITY_WEIGHTS,
    REGION_WEIGHTS,
    SUMMARIES,
    Weighted,
)
from sla_police.simulator.clock import IntervalClock
from sla_police.simulator.options import SimulationOptions

__all__ = ["REPEAT_RATE", "Ticket", "Traffic"]

REPEAT_RATE = 0.08
_RECENT = 20_000  # how many earlier tickets a repeat complaint may point back to
_ASYNC_CHANNELS = tuple(c for c in CHANNEL_WEIGHTS[0] if c not in LIVE_CHANNELS)
_AGENT_OPEN, _AGENT_CLOSE = 8 * 3600, 22 * 3600
_DAY = 86400


@dataclass(frozen=True, slots=True)
class Ticket:
    """One complaint as it reaches the contact center."""

    id: str
    received: int  # epoch seconds
    channel: str
    category: str
    priority: str
    customer_ref: str
    region: str
    product: str | None
    summary: str | None
    repeat_of: str | None

    @property
    def department(self) -> str:
        """The department the category maps to."""
        return CATEGORY_DEPARTMENT[self.category]


def _pick(rng: random.Random, table: Weighted) -> str:
    return rng.choices(table[0], cum_weights=table[1])[0]


def _time_of_day(rng: random.Random) -> int:
    """Seconds since local midnight: 45% morning bump, 45% afternoon bump, 10% anytime."""
    u = rng.random()
    if u < 0.45:
        seconds = rng.gauss(10.5 * 3600, 1.4 * 3600)
    elif u < 0.90:
        seconds = rng.gauss(15.5 * 3600, 1.6 * 3600)
    else:
        seconds = rng.random() * _DAY
    return int(seconds) % _DAY


class Traffic:
    """Generates each day's tickets, in arrival order, remembering recent ones for repeats."""

    def __init__(self, options: SimulationOptions, rng: random.Random, office: IntervalClock):
        self._options = options
        self._rng = rng
        self._office = office
        self._recent: list[tuple[str, str, str]] = []  # (ticket id, customer, category)
        self._recent_next = 0

    def volume(self, day: date) -> int:
        """Tickets on ``day``: 95-115% of the nominal volume, 84-92% on days off."""
        low, high = (0.95, 1.15) if self._office.is_open_day(day) else (0.84, 0.92)
        return max(1, round(self._options.calls_per_day * self._rng.uniform(low, high)))

    def tickets(self, day: date) -> list[Ticket]:
        """The complaints received on ``day``, sorted by arrival."""
        rng, tz = self._rng, self._options.tz
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
        seconds = sorted(_time_of_day(rng) for _ in range(self.volume(day)))
        prefix = f"T-{day:%Y%m%d}-"
        return [self._ticket(f"{prefix}{n:05d}", midnight + s, s) for n, s in
                enumerate(seconds, start=1)]

    def _ticket(self, ticket_id: str, received: int, second_of_day: int) -> Ticket:
        rng = self._rng
        channel = _pick(rng, CHANNEL_WEIGHTS)
        if channel in LIVE_CHANNELS and not _AGENT_OPEN <= second_of_day < _AGENT_CLOSE:
            channel = rng.choice(_ASYNC_CHANNELS)
        category, customer, repeat_of = self._who_and_what()
        products = DEPARTMENT_PRODUCTS[CATEGORY_DEPARTMENT[category]]
        ticket = Ticket(
            id=ticket_id,
            received=received,
            channel=channel,
            category=category,
            priority=_pick(rng, PRIORITY_WEIGHTS),
            customer_ref=customer,
            region=_pick(rng, REGION_WEIGHTS),
            product=rng.choice(products) if products else None,
            summary=rng.choice(SUMMARIES[category]) if rng.random() < 0.7 else None,
            repeat_of=repeat_of,
        )
        self._remember(ticket)
        return ticket

    def _who_and_what(self) -> tuple[str, str, str | None]:
        """(category, customer_ref, repeat_of): ~8% repeat an earlier customer's complaint."""
        rng = self._rng
        if self._recent and rng.random() < REPEAT_RATE:
            earlier, customer, category = self._recent[rng.randrange(len(self._recent))]
            if rng.random() >= 0.8:
                category = _pick(rng, CATEGORY_WEIGHTS)
            return category, customer, earlier
        return _pick(rng, CATEGORY_WEIGHTS), f"cust-{rng.getrandbits(24):06x}", None

    def _remember(self, ticket: Ticket) -> None:
        entry = (ticket.id, ticket.customer_ref, ticket.category)
        if len(self._recent) < _RECENT:
            self._recent.append(entry)
        else:
            self._recent[self._recent_next] = entry
            self._recent_next = (self._recent_next + 1) % _RECENT
