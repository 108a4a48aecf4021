"""The requests of the group-bot formats: WeCom, DingTalk and Feishu (Lark).

Each takes a message already written in the department's language (a title and a body,
from :mod:`sla.notifications` or a digest from :mod:`sla.messages`) and returns the POST
the vendor's custom bot expects; ``now`` is an argument, so a request is a pure function
of its inputs and the tests recompute each signature as the vendor would:

- **WeCom** (企业微信群机器人): ``{"msgtype": "markdown", "markdown": {"content": ...}}`` to
  the URL with its ``key``; no signature (the key in the URL is the credential).
- **DingTalk** (自定义机器人): ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
  signed: HMAC-SHA256 keyed with the secret over ``"<ms timestamp>\\n<secret>"``, base64,
  URL-encoded, appended to the URL as ``&timestamp=..&sign=..``.
- **Feishu** (custom bot): ``{"msg_type": "text", "content": {"text": ...}}``; signed:
  HMAC-SHA256 keyed with ``"<s timestamp>\\n<secret>"`` over an empty message, base64, in
  the body as ``timestamp`` and ``sign``.

The vendors answer HTTP 200 even when they refuse a message; the refusal is a non-zero
``errcode`` (WeCom, DingTalk) or ``code`` (Feishu) in the JSON answer:
:func:`refusal` reads it. Sources are cited in ``docs/webhooks.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

__all__ = [
    "BOT_FORMATS",
    "BotRequest",
    "bot_request",
    "dingtalk_sign",
    "feishu_sign",
    "refusal",
]

BOT_FORMATS = ("wecom", "dingtalk", "feishu")
#: WeCom's markdown content is at most 4096 bytes; DingTalk and Feishu allow more (20 KB),
#: but a chat message longer than this is not read anyway.
MAX_BYTES = 4000


@dataclass(frozen=True)
class BotRequest:
    """One POST: where, the JSON body (UTF-8) and its headers."""

    url: str
    body: bytes
    headers: dict[str, str]


def _clip(text: str, limit: int = MAX_BYTES) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes at a line end where possible, marked ``…``."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    cut = raw[:limit - 4].decode(errors="ignore")
    head = cut.rsplit("\n", 1)[0] if "\n" in cut else cut
    return head + "\n…"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` before URL encoding: base64 of HMAC-SHA256(secret,
    ``"<timestamp_ms>\\n<secret>"``)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign``: base64 of HMAC-SHA256 keyed with ``"<timestamp_s>\\n<secret>"``
    over an empty message."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _markdown(title: str, body: str) -> str:
    return _clip(f"### {title}\n{body}")


def bot_request(fmt: str, url: str, title: str, body: str, secret: str | None,
                now: datetime) -> BotRequest:
    """The request posting ``title`` and ``body`` to a ``fmt`` bot at ``url`` (signed with
    ``secret`` when given, at ``now``)."""
    headers = {"content-type": "application/json; charset=utf-8"}
    if fmt == "wecom":
        payload: dict[str, Any] = {"msgtype": "markdown",
                                   "markdown": {"content": _markdown(title, body)}}
        return BotRequest(url, _json(payload), headers)
    if fmt == "dingtalk":
        payload = {"msgtype": "markdown", "markdown": {"title": title,
                                                       "text": _markdown(title, body)}}
        if secret:
            stamp = math.floor(now.timestamp() * 1000)
            glue = "&" if "?" in url else "?"
            url = f"{url}{glue}timestamp={stamp}&sign={quote_plus(dingtalk_sign(secret, stamp))}"
        return BotRequest(url, _json(payload), headers)
    if fmt == "feishu":
        payload = {"msg_type": "text", "content": {"text": _clip(f"{title}\n{body}")}}
        if secret:
            stamp = math.floor(now.timestamp())
            payload = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **payload}
        return BotRequest(url, _json(payload), headers)
    raise ValueError(f"unknown bot format {fmt!r}")


def refusal(fmt: str, answer: bytes) -> str | None:
    """Why a bot refused a message answered with HTTP 2xx (``errcode 93000``), or None
    when it accepted it. An answer that is not JSON counts as accepted: the HTTP status
    said so, and the text is not ours to parse."""
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    field = "code" if fmt == "feishu" else "errcode"
    code = parsed.get(field, parsed.get("StatusCode", 0) if fmt == "feishu" else 0)
    if code in (0, None):
        return None
    message = str(parsed.get("msg") or parsed.get("errmsg") or "")[:200]
    return f"{field} {code}" + (f" ({message})" if message else "")
