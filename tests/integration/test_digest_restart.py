"""A held digest survives a worker crash: nothing lost, nothing extra, nothing early.

Issue 13, "the digest never loses an item across a worker restart", on the real broker with
real worker subprocesses on the wall clock and a real Standard Webhooks receiver (a local
HTTP server that verifies every signature with ``standardwebhooks`` and the worker's secret):

1. Logistics gets a webhook and ``delivery`` with quiet hours holding every severity
   (``urgent: []``) on a calendar of its own that is closed now and opens a minute ahead, to
   the second (:func:`opening`). Everything it is told waits for that
   opening. (A ``daily`` mode would not do: a daily digest is due at the next local
   midnight, :func:`sla.delivery.due_at`, so it would wait until tomorrow.)
2. Traffic with an SLA of seconds on the 24x7 calendar warns, breaches, fines, disputes and
   rules (a reversal, a ticket given to logistics, other departments told too); each event
   is published ahead of its own instant, as in ``test_stream_wall_clock.py``.
3. Once every notification replay predicts for logistics is a row of the
   ``sla-notifier-held`` changelog, due at the opening, and the worker group has committed
   the ``notifications`` topic (so no worker reads them again), the worker is SIGKILLed:
   before the opening (a premise, checked). A fresh worker, on a new data directory, can only
   get them back by recovering the table from its changelog; it sends the digest when the
   calendar opens.

Then the ids the receiver got equal replay's notifications for logistics, none arrived
before the opening, a repeated id is a same-id redelivery (at least once, docs/webhooks.md),
and every held row was deleted (tombstoned from the timer, outside stream processing). The
only waits are bounded polls on conditions, the longest until the opening instant.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from standardwebhooks import Webhook, WebhookVerificationError

from models import CloudEvent
from sla.config import load_config
from sla.replay import replay
from sla.testing import acknowledged, complaint, disputed, resolved, ruled
from streams.digests import TICK
from streams.testing import WorkerProcess, group_lag, read_records
from tests.integration.conftest import PARTITIONS
from tests.integration.wall_clock import publish_at_instants

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENT = "logistics"
SECRET = "whsec_" + base64.b64encode(b"digest-restart-test-secret-32byt").decode()
HELD_CHANGELOG = "sla-police-test-sla-notifier-held-changelog"  # WorkerProcess's app id
OPEN_AFTER = timedelta(seconds=60)  # the calendar opens this long after the test starts
DEADLINE = 60.0  # seconds any wait on the worker may take
HORIZON = timedelta(seconds=10)  # replay up to the last event + this: every clock decided
ZONES = ("UTC", "Asia/Shanghai")  # 8 hours apart: one of them is far from midnight


# -- the policy -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Opening:
    """When the department's calendar opens (a whole second), and in which zone."""

    at: datetime
    zone: str

    def hours(self) -> dict[str, list[str]]:
        """The calendar's week: open from the opening to midnight that day, closed else."""
        local = self.at.astimezone(ZoneInfo(self.zone))
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        return {day: [f"{local:%H:%M:%S}-24:00"]}


def opening(now: datetime) -> Opening:
    """The first whole second at least :data:`OPEN_AFTER` after ``now``, in the first zone
    of :data:`ZONES` where it falls on the same local day as ``now`` (so the calendar, open
    that one day from then on, is closed from now until then; no day edge in between)."""
    at = (now + OPEN_AFTER + timedelta(seconds=1)).replace(microsecond=0)
    for zone in ZONES:
        tz = ZoneInfo(zone)
        if at.astimezone(tz).date() == now.astimezone(tz).date():
            return Opening(at, zone)
    raise AssertionError(f"no zone of {ZONES} has {now} and {at} on one day")  # 8 h apart


def digest_policy(directory: Path, webhook: str, opens: Opening) -> Path:
    """deploy/config/sla-police.yaml with one SLA of seconds on the 24x7 calendar, and
    logistics posted to ``webhook`` with quiet hours that hold everything, on a calendar
    that opens at ``opens``; its path."""
    policy = yaml.safe_load((ROOT / "deploy/config/sla-police.yaml").read_text("utf-8"))
    for rule in policy["penalties"]:  # PyYAML reads the key `on` as YAML 1.1's True
        rule["on"] = rule.pop(True)
    policy["calendars"]["digest"] = {"timezone": opens.zone, "hours": opens.hours()}
    policy["departments"][DEPARTMENT].update(
        calendar="digest", webhook=webhook,
        delivery={"warning": "immediate", "breach": "immediate", "penalty": "immediate",
                  "info": "immediate", "quiet_hours": True, "urgent": []})
    policy["slas"] = [{"name": "fast", "calendar": "always", "acknowledge": "2s",
                       "resolve": "3s", "warn_at": [0.5]}]
    path = directory / "digest-policy.yaml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False), "utf-8")
    load_config(path)  # the worker must accept it
    return path


# -- the traffic ----------------------------------------------------------------------------
def traffic(start: datetime) -> list[CloudEvent]:
    """Complaints left to warn, breach and be fined (three of logistics', one of billing's),
    one handled in time, and two upheld disputes: logistics gives T-A to billing (a reversal
    and a ruling for logistics), billing gives T-GIVE to logistics (logistics is told)."""
    s = timedelta(seconds=1)
    events = [complaint(t, start + n * s / 20, category=c) for n, (t, c) in enumerate([
        ("T-A", "delivery.late"), ("T-B", "delivery.damaged"), ("T-C", "delivery.lost"),
        ("T-MET", "delivery.late"), ("T-BILL", "billing.overcharge"),
        ("T-GIVE", "billing.overcharge")])]
    events += [acknowledged("T-MET", start + s / 2), resolved("T-MET", start + s)]
    mine = disputed("T-A", start + 5 * s, DEPARTMENT)
    theirs = disputed("T-GIVE", start + 5 * s, "billing")
    return events + [mine, theirs, ruled("T-A", start + 6 * s, mine.id, to="billing"),
                     ruled("T-GIVE", start + 6 * s, theirs.id, to=DEPARTMENT)]


def predicted(events: list[CloudEvent], policy: Path) -> set[str]:
    """Ids of the notifications replay of ``events`` sends logistics, every clock decided."""
    until = max(e.time for e in events) + HORIZON
    outputs = replay(events, load_config(policy), until=until).outputs
    return {e.id for e in outputs if e.type == "notification.requested"
            and e.data.department == DEPARTMENT}


# -- the receiver ---------------------------------------------------------------------------
@dataclass
class Received:
    """What the receiver got: (arrival, webhook-id, CloudEvent) per verified request, and
    a note per refused one."""

    posts: list[tuple[datetime, str, dict]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> set[str]:
        with self.lock:
            return {event["id"] for _, _, event in self.posts}


@contextmanager
def receiver() -> Iterator[tuple[str, Received]]:
    """A Standard Webhooks receiver at 127.0.0.1:PORT/hook (thread server); yields its URL
    and what it received. A request whose signature does not verify gets 401."""
    got, signer = Received(), Webhook(SECRET)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            arrived = datetime.now(UTC)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                event = signer.verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                with got.lock:
                    got.refused.append(f"{self.path}: {exc}")
                self.send_response(401)
            else:
                with got.lock:
                    got.posts.append((arrived, self.headers["webhook-id"], event))
                self.send_response(204 if self.path == "/hook" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet: one line per delivery is noise in the test output."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- reading the broker ---------------------------------------------------------------------
def held_rows(bootstrap: str) -> dict[str, bytes | None]:
    """The held table as its changelog has it: key -> last value (None: deleted)."""
    records = read_records(bootstrap, [HELD_CHANGELOG])[HELD_CHANGELOG]
    return {r.key.decode(): r.value for r in sorted(records, key=lambda r: r.offset)}


def held_ids(rows: dict[str, bytes | None]) -> dict[str, datetime]:
    """event id -> due instant of every row still held."""
    return {key.split("|", 2)[2]: datetime.fromisoformat(key.split("|", 2)[1])
            for key, value in rows.items() if value is not None}


def notified_ids(bootstrap: str) -> set[str]:
    """Ids of the notifications the workers published for logistics."""
    found = read_records(bootstrap, ["notifications"])["notifications"]
    return {e["id"] for e in (json.loads(r.value) for r in found)
            if e["data"]["department"] == DEPARTMENT}


def wait(condition: Callable[[], object], what: str, timeout: float,
         worker: WorkerProcess) -> None:
    """Poll ``condition`` every 0.3 s for at most ``timeout`` seconds; fail naming ``what``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; worker log:\n"
                f"{worker.log()}")


# -- the test -------------------------------------------------------------------------------
def test_a_held_digest_survives_a_sigkill(bootstrap: str, tmp_path: Path) -> None:
    opens = opening(datetime.now(UTC))
    with receiver() as (url, got):
        policy = digest_policy(tmp_path, url, opens)
        env = {"SLA_CONFIG": str(policy), "SLA_WEBHOOK_SECRET": SECRET,
               "SLA_LOG_LEVEL": "INFO"}
        first = WorkerProcess(bootstrap, tmp_path / "first", clock="wall", store="rocksdb://",
                              extra_env=env).start()
        second = WorkerProcess(bootstrap, tmp_path / "second", clock="wall",
                               store="rocksdb://", extra_env=env)
        try:
            first.wait_ready(partitions=PARTITIONS)
            events = traffic(datetime.now(UTC) + timedelta(seconds=3))
            expected = predicted(events, policy)
            margin = asyncio.run(publish_at_instants(
                bootstrap, [(e.time, e.to_json().encode()) for e in events]))
            wait(lambda: held_ids(held_rows(bootstrap)).keys() >= expected,
                 "every predicted notification to be held on the broker", DEADLINE, first)
            # committed: the fresh worker will not read them again, only the changelog has them
            wait(lambda: asyncio.run(group_lag(bootstrap, first.app_id, ["notifications"])) == 0,
                 "the notifications to be committed", DEADLINE, first)
            late = first.metric_total("sla_events_late_total", answer_within=30)
            killed_at = _kill_before(first, opens)
            held = held_ids(held_rows(bootstrap))
            assert got.posts == [], "the first worker sent something while the office was shut"
            second.start().wait_ready(timeout=DEADLINE, partitions=PARTITIONS)
            still_held = _wait_for_digest(bootstrap, got, expected, opens)
            assert second.process and second.process.poll() is None, (
                f"the fresh worker exited:\n{second.log()}")
            notified = notified_ids(bootstrap)
        finally:
            first.kill()
            second.stop()
    print(f"\nheld {len(held)} notifications, SIGKILL {(opens.at - killed_at).total_seconds():.0f}"
          f" s before the opening at {opens.at:%H:%M:%S} UTC ({opens.zone} calendar); first "
          f"delivery {_first_after(got, opens):.1f} s after it, {len(got.posts)} posts")
    _assert_premises(margin, late, expected, notified, held, opens)
    _assert_digest(got, expected, opens)
    assert still_held == {}, f"still held after the opening: {sorted(still_held)}"


def _kill_before(worker: WorkerProcess, opens: Opening) -> datetime:
    """SIGKILL ``worker``, which must happen before the calendar opens: after it, the worker
    could have sent the digest itself and the restart would prove nothing."""
    if datetime.now(UTC) >= opens.at:
        pytest.fail(f"premise: the calendar opened at {opens.at} before the worker could be "
                    f"killed (the worker or the traffic took over {OPEN_AFTER}); raise "
                    "OPEN_AFTER on a machine this slow")
    worker.kill()
    killed_at = datetime.now(UTC)
    assert killed_at < opens.at, f"killed at {killed_at}, after the opening at {opens.at}"
    return killed_at


def _wait_for_digest(bootstrap: str, got: Received, expected: set[str],
                     opens: Opening) -> dict[str, datetime]:
    """Until the receiver has every expected notification and the worker deleted every held
    row (so nothing more is coming), for at most a tick and :data:`DEADLINE` after the
    opening; the rows still held then (the assertions say what is missing)."""
    end = time.monotonic() + (opens.at - datetime.now(UTC)).total_seconds() + TICK + DEADLINE
    while True:
        still = held_ids(held_rows(bootstrap))
        if (got.ids() >= expected and not still) or time.monotonic() > end:
            return still
        time.sleep(0.3)


def _assert_premises(margin: float, late: float | None, expected: set[str],
                     notified: set[str], held: dict[str, datetime], opens: Opening) -> None:
    """What the comparison rests on: events on time, the stream told logistics what replay
    says, all of it held for the opening when the worker died."""
    assert margin < 0, f"an event reached the broker {margin:.2f} s after its own time"
    assert late == 0, f"the worker applied {late} events late"
    assert len(expected) >= 20, f"too little traffic for logistics: {len(expected)}"
    assert notified == expected, (f"the stream differs from replay: missing "
                                  f"{expected - notified}, extra {notified - expected}")
    assert set(held) == expected, f"held {set(held) ^ expected} differently from replay"
    assert set(held.values()) == {opens.at}, f"held for {set(held.values())}, not the opening"


def _assert_digest(got: Received, expected: set[str], opens: Opening) -> None:
    assert got.refused == [], f"signatures that did not verify: {got.refused}"
    delivered = [event["id"] for _, _, event in got.posts]
    assert set(delivered) == expected, (f"lost {expected - set(delivered)}, extra "
                                        f"{set(delivered) - expected}")
    early = [(at, event["id"]) for at, _, event in got.posts if at < opens.at]
    assert early == [], f"delivered before the calendar opened at {opens.at}: {early}"
    bodies: dict[str, dict] = {}
    for _, msg_id, event in got.posts:  # a repeat is a redelivery: same id, same event
        assert msg_id == event["id"]
        assert bodies.setdefault(event["id"], event) == event, f"{event['id']} changed"
    assert all(e["data"]["department"] == DEPARTMENT for e in bodies.values())


def _first_after(got: Received, opens: Opening) -> float:
    arrivals = [at for at, _, _ in got.posts]
    return (min(arrivals) - opens.at).total_seconds() if arrivals else float("nan")


@pytest.mark.parametrize("now", ["2026-12-05T10:17:42+00:00", "2026-12-05T23:58:30+00:00",
                                 "2026-12-06T15:59:10+00:00"])
def test_the_calendar_is_shut_from_now_until_the_opening(now: str, tmp_path: Path) -> None:
    """The premise of the live test, near a UTC midnight (then an Asia/Shanghai calendar)
    and a Shanghai one (then UTC): what arrives now is held until the opening."""
    from sla.calendar import build_calendars
    from sla.delivery import due_at

    start = datetime.fromisoformat(now)
    opens = opening(start)
    assert OPEN_AFTER <= opens.at - start <= OPEN_AFTER + timedelta(seconds=1)
    config = load_config(digest_policy(tmp_path, "http://127.0.0.1:1/hook", opens))
    calendar = build_calendars(config.calendars)["digest"]
    delivery = config.departments[DEPARTMENT].delivery
    assert not calendar.is_working(start)
    assert calendar.is_working(opens.at)
    for severity in ("warning", "breach", "penalty", "info"):
        assert due_at(severity, start, start, delivery, calendar) == opens.at
        later = opens.at - timedelta(seconds=1)
        assert due_at(severity, later, later, delivery, calendar) == opens.at
