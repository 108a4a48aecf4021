"""Start the table manager without Faust's fixed one-second wait.

**Why.** ``faust.tables.TableManager.on_start`` sleeps 1.0 s before it registers the
tables' changelog channels and starts recovery, so that tables declared while the app is
starting still make it. Every start and restart of a worker waits that second before it
even subscribes (the conductor waits for the tables). SLA Police declares all of its tables
while the app is built, before it starts (``streams.pipeline``, ``streams.calls_pipeline``,
``streams.notifier``); a table added later is refused by Faust either way ("Too late to add
tables at this point"), so the wait buys nothing here.

**How.** The app's ``TableManager`` setting (public) becomes a subclass whose ``on_start``
does what Faust's does after the sleep: ``_update_channels()`` then ``recovery.start()``.
It must be set before the app builds ``app.tables`` (the first ``app.Table(...)``), which
:func:`streams.app.create_app` ensures by installing the patches right after creating the
app.
"""

from __future__ import annotations

import warnings

import faust
from faust.exceptions import AlreadyConfiguredWarning
from faust.tables import TableManager

from streams._faust.check import Requirement, method, uses

__all__ = ["REQUIRES", "StartWithoutDelay", "install_start_without_delay"]


class StartWithoutDelay(TableManager):
    """Faust's table manager, minus the one-second sleep at start."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()


def install_start_without_delay(app: faust.App) -> None:
    """Make ``app``'s table manager start without the wait (before ``app.tables`` is built)."""
    current = app.conf.TableManager
    if issubclass(current, StartWithoutDelay):
        return
    if "tables" in app.__dict__:  # the cached property was read: the manager exists
        raise RuntimeError("StartWithoutDelay must be installed before the app's tables exist")
    if current is not TableManager:
        raise TypeError(f"unexpected table manager class {current!r}")
    with warnings.catch_warnings():  # reading the setting above counts as "used": expected
        warnings.simplefilter("ignore", AlreadyConfiguredWarning)
        app.conf.TableManager = StartWithoutDelay


_PATCH = "table start without delay"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, TableManager, "on_start", ("self",), coroutine=True),
    method(_PATCH, TableManager, "_update_channels", ("self",), coroutine=True),
    uses(_PATCH, TableManager, "on_start", "_update_channels"),
    uses(_PATCH, TableManager, "on_start", "recovery"),
    uses(_PATCH, TableManager, "on_start", "sleep"),  # the wait this removes is still there
)
