"""Preconditions of the table start without delay: Faust's table manager still sleeps a
second at start; the app's manager is the subclass, which registers the tables' channels
and starts recovery at once."""

from __future__ import annotations

import inspect

from faust.tables import TableManager

from streams._faust.table_start import StartWithoutDelay


def test_faust_still_waits_a_second_before_registering_the_tables() -> None:
    assert "self.sleep(1.0)" in inspect.getsource(TableManager.on_start)


def test_the_app_builds_the_manager_without_the_wait(make_app) -> None:
    app = make_app("memory://")
    assert isinstance(app.tables, StartWithoutDelay)
    assert "sleep" not in inspect.getsource(StartWithoutDelay.on_start)


async def test_it_registers_the_channels_and_starts_recovery(make_app, monkeypatch) -> None:
    app = make_app("memory://")
    calls = []

    async def update_channels() -> None:
        calls.append("channels")

    class FakeRecovery:
        async def start(self) -> None:
            calls.append("recovery")

    monkeypatch.setattr(app.tables, "_update_channels", update_channels)
    monkeypatch.setattr(type(app.tables), "recovery", FakeRecovery())
    await app.tables.on_start()
    assert calls == ["channels", "recovery"]
