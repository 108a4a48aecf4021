"""Webhook delivery of notifications: signed per Standard Webhooks, retried when it may help.

The receiving department's endpoint is the only mock (respx); signatures are checked with
the receiver's own library call, ``standardwebhooks.Webhook(secret).verify``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import respx
from pydantic import SecretStr
from standardwebhooks import Webhook

from models import CloudEvent, parse_event
from models.examples import example
from streams import metrics
from streams.notifier import (
    CONTENT_TYPE,
    RetryPolicy,
    WebhookNotifier,
    add_notifier,
    check_secret,
    webhook_secret,
)

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()
URL = "https://hooks.example.test/logistics"
FAST = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)


def notification(event_id: str = "5e2b-note", department: str = "logistics") -> CloudEvent:
    raw = example("notification.requested")
    raw.update(id=event_id)
    raw["data"]["department"] = department
    event = parse_event(json.dumps(raw), accept="any")
    assert isinstance(event, CloudEvent)
    return event


def count(department: str, result: str) -> float:
    return metrics.REGISTRY.get_sample_value(
        "sla_webhook_deliveries_total", {"department": department, "result": result}) or 0.0


@pytest.fixture
def notifier() -> WebhookNotifier:
    return WebhookNotifier({"logistics": URL, "triage": None}, SECRET, policy=FAST)


@respx.mock
async def test_body_is_the_cloudevent_and_signature_verifies(notifier: WebhookNotifier) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(204))
    event = notification()
    assert await notifier.deliver(event)
    request = route.calls.last.request
    payload = Webhook(SECRET).verify(request.content, dict(request.headers))
    assert payload == json.loads(event.to_json())
    assert request.headers["webhook-id"] == event.id
    assert request.headers["content-type"] == CONTENT_TYPE
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + base64.b64encode(b"another secret").decode()).verify(
            request.content, dict(request.headers))
    await notifier.close()


@respx.mock
async def test_retries_503_and_connect_errors_then_succeeds(notifier: WebhookNotifier) -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200)])
    before = count("logistics", "delivered")
    assert await notifier.deliver(notification())
    assert route.call_count == 3
    assert count("logistics", "delivered") == before + 1
    ids = {call.request.headers["webhook-id"] for call in route.calls}
    assert ids == {"5e2b-note"}  # same id every attempt: the receiver dedupes
    await notifier.close()


@respx.mock
async def test_429_is_retried(notifier: WebhookNotifier) -> None:
    route = respx.post(URL).mock(side_effect=[
        httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(202)])
    assert await notifier.deliver(notification())
    assert route.call_count == 2
    await notifier.close()


@respx.mock
async def test_gives_up_after_the_bounded_attempts(notifier: WebhookNotifier,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(500))
    before = count("logistics", "failed")
    with caplog.at_level(logging.WARNING, "sla_police.streams.notifier"):
        assert not await notifier.deliver(notification("gone-1"))
    assert route.call_count == FAST.attempts
    assert count("logistics", "failed") == before + 1
    assert "gone-1" in caplog.text and "HTTP 500" in caplog.text
    await notifier.close()


@respx.mock
async def test_client_errors_are_not_retried(notifier: WebhookNotifier) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(400))
    before = count("logistics", "failed")
    assert not await notifier.deliver(notification())
    assert route.call_count == 1
    assert count("logistics", "failed") == before + 1
    await notifier.close()


@respx.mock
async def test_department_without_webhook_is_skipped(notifier: WebhookNotifier) -> None:
    route = respx.post(url__regex=".*").mock(return_value=httpx.Response(200))
    before = count("triage", "skipped"), count("nowhere", "skipped")
    assert notifier.submit(notification(department="triage")) == "skipped"
    assert notifier.submit(notification(department="nowhere")) == "skipped"
    assert await notifier.close() == 0
    assert route.call_count == 0
    assert (count("triage", "skipped"), count("nowhere", "skipped")) == (
        before[0] + 1, before[1] + 1)


@respx.mock
async def test_submitted_notifications_are_delivered_in_the_background() -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200))
    notifier = WebhookNotifier({"logistics": URL}, SECRET, policy=FAST, concurrency=3)
    before = count("logistics", "delivered")
    assert {notifier.submit(notification(f"n-{i}")) for i in range(20)} == {"queued"}
    assert await notifier.close(grace=5.0) == 0
    assert route.call_count == 20
    assert {c.request.headers["webhook-id"] for c in route.calls} == {f"n-{i}" for i in
                                                                      range(20)}
    assert count("logistics", "delivered") == before + 20


@respx.mock
async def test_full_queue_drops_instead_of_blocking_and_close_counts_the_unsent() -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("down"))
    slow = RetryPolicy(attempts=2, timeout=30.0, wait_initial=20.0, wait_max=20.0,
                       wait_jitter=0.0)
    notifier = WebhookNotifier({"logistics": URL}, SECRET, policy=slow, queue_size=2,
                               concurrency=1)
    before = count("logistics", "dropped")
    results = [notifier.submit(notification(f"d-{i}")) for i in range(5)]
    assert results == ["queued", "queued", "dropped", "dropped", "dropped"]
    assert await notifier.close(grace=0.2) == 2  # the 2 queued ones: one in flight, one not
    assert count("logistics", "dropped") == before + 5


def test_secret_comes_from_the_setting() -> None:
    assert webhook_secret(SimpleNamespace(webhook_secret=SECRET)) == SECRET
    assert webhook_secret(SimpleNamespace(webhook_secret=SecretStr(SECRET))) == SECRET
    assert webhook_secret(SimpleNamespace(webhook_secret="  ")) is None
    assert webhook_secret(SimpleNamespace(webhook_secret=None)) is None


def test_without_a_secret_webhooks_are_off_and_said_once(
        caplog: pytest.LogCaptureFixture) -> None:
    config = SimpleNamespace(departments={"logistics": SimpleNamespace(id="logistics",
                                                                       webhook=URL)})
    with caplog.at_level(logging.INFO, "sla_police.streams.notifier"):
        assert add_notifier(None, None, SimpleNamespace(webhook_secret=None), config) is None
    assert [r.getMessage() for r in caplog.records] == [
        "webhooks disabled: SLA_WEBHOOK_SECRET is not set (1 departments have a webhook URL)"]
    assert caplog.records[0].levelno == logging.WARNING


@pytest.mark.parametrize(("secret", "problem"), [
    ("hello world", "must start with 'whsec_'"),
    ("whsec_not base64!", "not base64"),
    ("whsec_", "0 bytes"),
    ("whsec_" + base64.b64encode(b"short").decode(), "5 bytes"),
    ("whsec_" + base64.b64encode(bytes(range(65))).decode(), "65 bytes"),  # ids stay fixed
])
def test_an_invalid_secret_stops_the_worker_with_the_reason(secret: str, problem: str) -> None:
    config = SimpleNamespace(departments={})
    with pytest.raises(ValueError, match=problem) as caught:
        add_notifier(None, None, SimpleNamespace(webhook_secret=secret), config)
    if secret[6:]:
        assert secret[6:] not in str(caught.value)  # never echo the secret


def test_unpadded_secrets_are_accepted() -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(25)).decode().rstrip("=")
    assert check_secret(secret) is not None


@respx.mock
async def test_the_receiver_snippet_in_the_docs_works(notifier: WebhookNotifier) -> None:
    """docs/webhooks.md's Python receiver accepts our request once, dedupes, refuses fakes."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(snippet.replace('"whsec_..."', repr(SECRET)), namespace)
    route = respx.post(URL).mock(return_value=httpx.Response(204))
    assert await notifier.deliver(notification())
    request = route.calls.last.request
    receive = namespace["receive"]
    headers = dict(request.headers)
    assert receive(request.content, headers) == 204
    assert receive(request.content, headers) == 204 and len(namespace["seen"]) == 1
    assert receive(request.content.replace(b"breach", b"brEach"), headers) == 401
    await notifier.close()
