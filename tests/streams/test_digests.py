"""Digests and quiet hours in the notifier (streams.digests): wall time moved with
time-machine, the digest posted to a real local receiver (a WeCom bot), and the held
notifications kept in a store that outlives the holder, as the Faust table outlives a worker.

Policy: tests/sla/charges.yaml's office calendar (Mon-Fri 09:00-12:00, 13:30-18:00,
Asia/Shanghai); logistics (物流部) reads Chinese and has the default delivery preferences:
breaches and warnings at once, penalties and information hourly, quiet hours.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from models import CloudEvent, parse_event
from models.examples import example
from sla.calendar import build_calendars
from sla.config import parse_config
from streams.digests import DigestHolder, send_due
from streams.notifier import RetryPolicy, Target, WebhookNotifier
from tests.streams import test_bot_formats
from tests.streams.test_bot_formats import Receiver

receiver = test_bot_formats.receiver  # the local HTTP receiver fixture

POLICY = Path(__file__).resolve().parents[1].joinpath("sla", "charges.yaml").read_text()
CONFIG = parse_config(POLICY.replace(
    "logistics: {name: 物流部, calendar: office}",
    "logistics: {name: 物流部, calendar: office, language: zh, delivery: {}}"))
CALENDARS = build_calendars(CONFIG.calendars)
FAST = RetryPolicy(attempts=2, timeout=5.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)


class DictStore:
    """The held table as a dict that survives the holder (a worker) being replaced."""

    def __init__(self) -> None:
        self.rows: dict[bytes, bytes] = {}

    def put(self, key: bytes, value: bytes) -> None:
        self.rows[key] = value

    def delete(self, key: bytes, partition: int) -> None:
        del self.rows[key]

    def items(self) -> list[tuple[bytes, bytes]]:
        return list(self.rows.items())


def note(event_id: str, severity: str, at: str, title: str) -> CloudEvent:
    raw = example("notification.requested")
    raw.update(id=event_id, time=f"2026-11-{at}+08:00")
    raw["data"].update(department="logistics", severity=severity, title=title)
    event = parse_event(json.dumps(raw), accept="any")
    assert isinstance(event, CloudEvent)
    return event


def now() -> datetime:
    return datetime.now(UTC)


def local(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-{text}+08:00")


async def test_the_night_is_one_digest_when_the_office_opens(receiver: Receiver) -> None:
    store = DictStore()
    holder = DigestHolder(store, CONFIG.departments, CALENDARS)
    notifier = WebhookNotifier({"logistics": Target(f"{receiver.base}/cgi-bin/webhook/send"
                                                    "?key=k", "wecom")}, policy=FAST)
    with time_machine.travel(local("16T20:00:00"), tick=False) as clock:
        assert not holder.hold(note("b-1", "breach", "16T20:00:00", "SLA 超时：T-1 解决"), 0,
                               now())  # urgent: the caller sends it at once
        assert holder.hold(note("w-1", "warning", "16T20:00:00", "SLA 已用 50%：T-2 响应"), 0,
                           now())
        clock.move_to(local("16T23:30:00"))
        assert holder.hold(note("p-1", "penalty", "16T23:30:00", "处罚：10 CNY"), 1, now())
        assert await send_due(holder, notifier, now()) == 0
        clock.move_to(local("17T08:59:59"))
        assert await send_due(holder, notifier, now()) == 0
        assert receiver.seen == []
        clock.move_to(local("17T09:00:00"))
        assert await send_due(holder, notifier, now()) == 2
    [(_, _, payload, _)] = receiver.seen
    assert payload == {"msgtype": "markdown", "markdown": {"content": (
        "### 物流部：2 条通知\n**预警**（1）\n- SLA 已用 50%：T-2 响应\n"
        "**处罚**（1）\n- 处罚：10 CNY")}}
    assert store.rows == {}
    await notifier.close()


async def test_by_day_penalties_wait_for_the_end_of_the_hour(receiver: Receiver) -> None:
    store = DictStore()
    holder = DigestHolder(store, CONFIG.departments, CALENDARS)
    notifier = WebhookNotifier({"logistics": Target(f"{receiver.base}/cgi-bin/webhook/send"
                                                    "?key=k", "wecom")}, policy=FAST)
    with time_machine.travel(local("16T10:20:00"), tick=False) as clock:
        assert not holder.hold(note("w-2", "warning", "16T10:20:00", "warned"), 0, now())
        assert holder.hold(note("p-2", "penalty", "16T10:20:00", "fined"), 0, now())
        clock.move_to(local("16T10:59:00"))
        assert await send_due(holder, notifier, now()) == 0
        clock.move_to(local("16T11:00:30"))
        assert await send_due(holder, notifier, now()) == 1
    assert len(receiver.seen) == 1
    await notifier.close()


class Crash(Exception):
    pass


class CrashingNotifier:
    async def deliver_digest(self, *_: object) -> bool:
        raise Crash


async def test_held_notifications_survive_a_restart_even_mid_send(receiver: Receiver) -> None:
    """Worker 1 holds two notifications and dies while sending their digest; worker 2, on
    the same (recovered) store, sends both: nothing held is lost."""
    store = DictStore()
    first = DigestHolder(store, CONFIG.departments, CALENDARS)
    with time_machine.travel(local("16T19:00:00"), tick=False) as clock:
        first.hold(note("p-3", "penalty", "16T19:00:00", "fined at night"), 0, now())
        first.hold(note("i-3", "info", "16T19:05:00", "a dispute was filed"), 2, now())
        clock.move_to(local("17T09:00:00"))
        with pytest.raises(Crash):
            await send_due(first, CrashingNotifier(), now())
        assert len(store.rows) == 2
        second = DigestHolder(store, CONFIG.departments, CALENDARS)
        notifier = WebhookNotifier({"logistics": Target(
            f"{receiver.base}/open-apis/bot/v2/hook/x", "feishu")}, policy=FAST)
        assert await send_due(second, notifier, now()) == 2
    [(_, _, payload, _)] = receiver.seen
    assert payload["content"]["text"].startswith("物流部：2 条通知\n")
    assert store.rows == {}
    await notifier.close()


async def test_a_worker_sends_only_the_digests_of_its_partitions(receiver: Receiver) -> None:
    store = DictStore()
    holder = DigestHolder(store, CONFIG.departments, CALENDARS)
    notifier = WebhookNotifier({"logistics": Target(f"{receiver.base}/cgi-bin/webhook/send"
                                                    "?key=k", "wecom")}, policy=FAST)
    with time_machine.travel(local("16T19:00:00"), tick=False) as clock:
        holder.hold(note("p-4", "penalty", "16T19:00:00", "fined"), 3, now())
        clock.move_to(local("17T10:00:00"))
        assert await send_due(holder, notifier, now(), partitions={0, 1}) == 0
        assert await send_due(holder, notifier, now(), partitions={3}) == 1
    await notifier.close()


async def test_standard_webhooks_get_each_held_cloudevent(receiver: Receiver) -> None:
    """A digest to a Standard Webhooks receiver is the held CloudEvents, each as usual."""
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    notifier = WebhookNotifier({"logistics": f"{receiver.base}/hooks/logistics"}, secret,
                               policy=FAST)
    events = [note("p-5", "penalty", "16T19:00:00", "a"), note("p-6", "penalty",
                                                               "16T19:01:00", "b")]
    assert await notifier.deliver_digest("logistics", events, ("t", "b"))
    assert [payload["id"] for _, _, payload, _ in receiver.seen] == ["p-5", "p-6"]
    await notifier.close()
