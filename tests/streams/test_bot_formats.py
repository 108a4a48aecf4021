"""Group-bot deliveries (WeCom, DingTalk, Feishu) against a real local HTTP receiver.

The receiver is an aiohttp server on a free port that checks what the vendor checks: the
exact JSON shape of the message, and the signature recomputed here from the vendors'
published recipes (written out in this file, not by calling ``streams.bot_formats``):

- DingTalk: ``sign = urlencode(base64(HmacSHA256(key=secret, msg="<ms>\\n<secret>")))`` in
  the query, with ``timestamp`` in milliseconds, within an hour of now;
- Feishu: ``sign = base64(HmacSHA256(key="<s>\\n<secret>", msg=""))`` in the body, with
  ``timestamp`` in seconds;
- WeCom: no signature; the ``key`` travels in the URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from models import CloudEvent, parse_event
from models.examples import example
from sla.specs import WebhookSpec
from streams import metrics
from streams.notifier import RetryPolicy, Target, WebhookNotifier, add_notifier, resolve_targets

FAST = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
DING_SECRET = "SECb4f1c0ffee0123456789abcdef0123456789abcdef0123456789abcdef01234"
FEISHU_SECRET = "qW3rTy5uIoP7aSdFgHjK"


@dataclass
class Receiver:
    """What the bots received: (path, query, parsed JSON) per request, and what to answer."""

    base: str = ""
    seen: list[tuple[str, dict[str, str], dict[str, Any], str]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def notification(title: str = "SLA breached: T-1 resolve",
                 body: str = "Ticket T-1 missed its 2d resolve target.") -> CloudEvent:
    raw = example("notification.requested")
    raw["data"].update(department="logistics", title=title, body=body)
    event = parse_event(json.dumps(raw), accept="any")
    assert isinstance(event, CloudEvent)
    return event


def _check_dingtalk(query: dict[str, str], raw_query: str, problems: list[str]) -> None:
    stamp = query.get("timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3600_000:
        problems.append(f"dingtalk timestamp {stamp!r} is not ms within an hour of now")
        return
    string_to_sign = f"{stamp}\n{DING_SECRET}".encode()
    digest = hmac.new(DING_SECRET.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    expected = urllib.parse.quote_plus(base64.b64encode(digest))
    sent = dict(part.split("=", 1) for part in raw_query.split("&"))["sign"]
    if sent != expected:
        problems.append("dingtalk sign does not match")


def _check_feishu(payload: dict[str, Any], problems: list[str]) -> None:
    stamp = payload.get("timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - time.time()) > 3600:
        problems.append(f"feishu timestamp {stamp!r} is not seconds within an hour of now")
        return
    key = f"{stamp}\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode()
    if payload.get("sign") != expected:
        problems.append("feishu sign does not match")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        path, query = request.path, dict(request.query)
        kind = path.split("/")[1]
        state.seen.append((path, query, payload, request.headers.get("content-type", "")))
        if kind == "robot" and "sign" in query:
            _check_dingtalk(query, request.raw_path.split("?", 1)[1], state.problems)
        if kind == "open-apis" and "sign" in payload:
            _check_feishu(payload, state.problems)
        answer = state.answers.pop(0) if state.answers else (
            {"code": 0, "msg": "success"} if kind == "open-apis" else
            {"errcode": 0, "errmsg": "ok"})
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)  # the vendor's log, not the worker's
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.base = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


def _count(result: str) -> float:
    return metrics.REGISTRY.get_sample_value(
        "sla_webhook_deliveries_total", {"department": "logistics", "result": result}) or 0.0


async def _deliver(target: Target, event: CloudEvent) -> bool:
    notifier = WebhookNotifier({"logistics": target}, policy=FAST)
    try:
        return await notifier.deliver(event)
    finally:
        await notifier.close()


async def test_wecom_gets_a_markdown_message_at_its_key_url(receiver: Receiver) -> None:
    url = f"{receiver.base}/cgi-bin/webhook/send?key=693a91f6-7xxx"
    assert await _deliver(Target(url, "wecom"), notification())
    [(path, query, payload, ctype)] = receiver.seen
    assert (path, query) == ("/cgi-bin/webhook/send", {"key": "693a91f6-7xxx"})
    assert payload == {"msgtype": "markdown", "markdown": {
        "content": "### SLA breached: T-1 resolve\nTicket T-1 missed its 2d resolve target."}}
    assert ctype.startswith("application/json")


async def test_dingtalk_is_signed_in_the_query(receiver: Receiver) -> None:
    url = f"{receiver.base}/robot/send?access_token=abc123"
    assert await _deliver(Target(url, "dingtalk", secret=DING_SECRET),
                          notification("SLA 已超时: T-1 resolve", "工单 T-1 超过 2d 目标。"))
    [(path, query, payload, _)] = receiver.seen
    assert path == "/robot/send" and query["access_token"] == "abc123"
    assert set(query) == {"access_token", "timestamp", "sign"}
    assert payload == {"msgtype": "markdown", "markdown": {
        "title": "SLA 已超时: T-1 resolve",
        "text": "### SLA 已超时: T-1 resolve\n工单 T-1 超过 2d 目标。"}}
    assert receiver.problems == []


async def test_dingtalk_without_a_secret_is_not_signed(receiver: Receiver) -> None:
    assert await _deliver(Target(f"{receiver.base}/robot/send?access_token=t", "dingtalk"),
                          notification())
    assert set(receiver.seen[0][1]) == {"access_token"}


async def test_feishu_is_signed_in_the_body(receiver: Receiver) -> None:
    url = f"{receiver.base}/open-apis/bot/v2/hook/0f6e-token"
    assert await _deliver(Target(url, "feishu", secret=FEISHU_SECRET), notification())
    [(path, _, payload, _)] = receiver.seen
    assert path == "/open-apis/bot/v2/hook/0f6e-token"
    assert set(payload) == {"timestamp", "sign", "msg_type", "content"}
    assert payload["msg_type"] == "text"
    assert payload["content"] == {
        "text": "SLA breached: T-1 resolve\nTicket T-1 missed its 2d resolve target."}
    assert receiver.problems == []


async def test_a_wrong_secret_is_what_the_receiver_would_refuse(receiver: Receiver) -> None:
    """The receiver's check is not vacuous: a bot signed with another secret fails it."""
    await _deliver(Target(f"{receiver.base}/robot/send?access_token=t", "dingtalk",
                          secret="SECother"), notification())
    await _deliver(Target(f"{receiver.base}/open-apis/bot/v2/hook/x", "feishu",
                          secret="other"), notification())
    assert receiver.problems == ["dingtalk sign does not match", "feishu sign does not match"]


@pytest.mark.parametrize(("fmt", "path", "answer"), [
    ("dingtalk", "/robot/send?access_token=t", {"errcode": 310000, "errmsg": "sign not match"}),
    ("wecom", "/cgi-bin/webhook/send?key=k", {"errcode": 93000, "errmsg": "invalid key"}),
    ("feishu", "/open-apis/bot/v2/hook/x", {"code": 19021, "msg": "sign match fail"}),
])
async def test_a_refusal_in_a_200_answer_fails_without_retries(
        receiver: Receiver, fmt: str, path: str, answer: dict[str, Any]) -> None:
    receiver.answers.append(answer)
    before = _count("failed")
    assert not await _deliver(Target(receiver.base + path, fmt), notification())
    assert len(receiver.seen) == 1
    assert _count("failed") == before + 1


def test_urls_and_secrets_come_from_the_variables_the_policy_names() -> None:
    departments = {
        "logistics": SimpleNamespace(id="logistics", webhook=WebhookSpec(
            url_env="SLA_DING_URL", format="dingtalk", secret_env="SLA_DING_SECRET")),
        "billing": SimpleNamespace(id="billing", webhook=WebhookSpec(
            url="https://hooks.example.test/billing")),
        "stores": SimpleNamespace(id="stores", webhook=None)}
    env = {"SLA_DING_URL": "https://oapi.dingtalk.com/robot/send?access_token=t",
           "SLA_DING_SECRET": DING_SECRET}
    targets, unsigned = resolve_targets(departments, None, env)
    assert targets == {"logistics": Target(env["SLA_DING_URL"], "dingtalk",
                                           secret=DING_SECRET)}
    assert unsigned == ["billing"]
    assert DING_SECRET not in repr(targets) and "access_token" not in repr(targets)


def test_a_named_variable_that_is_not_set_stops_the_worker_saying_which() -> None:
    config = SimpleNamespace(departments={"logistics": SimpleNamespace(
        id="logistics", webhook=WebhookSpec(url="https://x.test/", format="feishu",
                                            secret_env="SLA_FEISHU_SECRET"))})
    with pytest.raises(ValueError, match="logistics: the environment variable "
                                         "SLA_FEISHU_SECRET .secret_env"):
        add_notifier(None, None, SimpleNamespace(webhook_secret=None), config, env={})


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_the_key_in_a_bot_url_never_reaches_the_worker_log(
        receiver: Receiver, level: str) -> None:
    """The worker's logging (``configure_logging``) at any level: httpx logs every request
    with its full URL at INFO, and a WeCom ``key`` or DingTalk ``access_token`` in that URL
    is the bot's credential."""
    import io
    import logging

    import structlog

    from sla_police.logs import configure_logging

    root, stream = logging.getLogger(), io.StringIO()
    handlers, root_level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("faust", "mode", "aiokafka",
                                                               "kafka", "httpx")}
    try:
        configure_logging(level, stream)
        url = f"{receiver.base}/cgi-bin/webhook/send?key=wecom-secret-key-42"
        assert await _deliver(Target(url, "wecom"), notification())
        assert await _deliver(Target(f"{receiver.base}/robot/send?access_token=ding-tok-7",
                                     "dingtalk", secret=DING_SECRET), notification())
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)
        logging.captureWarnings(False)
        structlog.reset_defaults()
    assert len(receiver.seen) == 2  # both were delivered, so both were logged if ever
    written = stream.getvalue()
    assert "wecom-secret-key-42" not in written and "ding-tok-7" not in written
