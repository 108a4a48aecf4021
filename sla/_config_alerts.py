"""The alert keys of a department: ``language``, ``webhook`` and ``delivery``.

``webhook`` is a URL (a Standard Webhooks receiver, as before) or a mapping naming the
receiver's format (``standard``, ``wecom``, ``dingtalk``, ``feishu``), its URL (or the
environment variable holding it) and the environment variable of its signing secret.
Secrets never appear in the policy file: only the names of the variables that hold them.
``delivery`` says which severities are sent at once and which wait for a digest, and
whether quiet hours (the department's calendar closed) hold what is not urgent.
"""

from __future__ import annotations

import re

from yaml.nodes import Node, ScalarNode

from sla._config_values import parse_url
from sla._config_yaml import Reader, at, did_you_mean, join
from sla.specs import (
    DELIVERY_MODES,
    LANGUAGES,
    SEVERITIES,
    WEBHOOK_FORMATS,
    DeliverySpec,
    WebhookSpec,
)

__all__ = ["parse_language", "read_delivery", "read_webhook"]

WEBHOOK_KEYS = ("url", "url_env", "format", "secret_env")
DELIVERY_KEYS = (*SEVERITIES, "quiet_hours", "urgent")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
#: Formats whose receiver checks a signature when the bot's security setting asks for one.
_SIGNED = ("standard", "dingtalk", "feishu")


def _choice(options: tuple[str, ...], what: str):
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(did_you_mean(text, options, what, "one of: " + ", ".join(options)))
        return text
    return parse


parse_language = _choice(LANGUAGES, "language")
_parse_format = _choice(WEBHOOK_FORMATS, "webhook format")
_parse_mode = _choice(DELIVERY_MODES, "delivery mode")
_parse_severity = _choice(SEVERITIES, "severity")


def _parse_env_name(text: str) -> str:
    """The name of an environment variable (``SLA_WECOM_LOGISTICS``), not its value."""
    if not _ENV_NAME.fullmatch(text):
        raise ValueError("expected the name of an environment variable like "
                         f"SLA_DINGTALK_SECRET (upper case, digits, '_'); got {len(text)} "
                         "characters that are not one (is it the secret itself?)")
    return text


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    raise ValueError(f"expected true or false; got {text!r}")


def read_webhook(reader: Reader, node: Node, path: str) -> WebhookSpec | None:
    """A URL (Standard Webhooks) or ``{url | url_env, format, secret_env}``."""
    if isinstance(node, ScalarNode):
        url = reader.parse(node, path, parse_url, "a webhook URL")
        return WebhookSpec(url=url) if url is not None else None
    fields = reader.fields(node, path, WEBHOOK_KEYS)
    if fields is None:
        return None
    start = len(reader.issues)
    values: dict[str, str | None] = {"url": None, "url_env": None, "secret_env": None,
                                     "format": "standard"}
    parsers = {"url": (parse_url, "a webhook URL"), "format": (_parse_format, "a format"),
               "url_env": (_parse_env_name, "a variable name"),
               "secret_env": (_parse_env_name, "a variable name")}
    for key, (parser, what) in parsers.items():
        if key in fields:
            values[key] = reader.parse(fields[key], join(path, key), parser, what)
    if ("url" in fields) == ("url_env" in fields):
        reader.error(node, path, "give the URL as exactly one of url or url_env")
    if "secret_env" in fields and values["format"] not in _SIGNED:
        reader.error(fields["secret_env"], join(path, "secret_env"),
                     f"{values['format']} group bots are not signed; their key is part of "
                     "the URL (use url_env to keep it out of this file)")
    if len(reader.issues) > start:
        return None
    return WebhookSpec(url=values["url"], format=values["format"],  # type: ignore[arg-type]
                       secret_env=values["secret_env"], url_env=values["url_env"])


def read_delivery(reader: Reader, node: Node, path: str) -> DeliverySpec | None:
    """``{warning|breach|penalty|info: immediate|hourly|daily, quiet_hours, urgent}``;
    keys left out keep :class:`DeliverySpec`'s defaults."""
    fields = reader.fields(node, path, DELIVERY_KEYS)
    if fields is None:
        return None
    start = len(reader.issues)
    chosen: dict[str, object] = {}
    for severity in SEVERITIES:
        if severity in fields:
            chosen[severity] = reader.parse(fields[severity], join(path, severity),
                                            _parse_mode, "immediate, hourly or daily")
    if "quiet_hours" in fields:
        chosen["quiet_hours"] = reader.parse(fields["quiet_hours"], join(path, "quiet_hours"),
                                             _parse_bool, "true or false")
    if "urgent" in fields:
        items = reader.items(fields["urgent"], join(path, "urgent")) or []
        chosen["urgent"] = frozenset(
            reader.parse(item, at(join(path, "urgent"), i), _parse_severity, "a severity")
            for i, item in enumerate(items))
    if len(reader.issues) > start:
        return None
    return DeliverySpec(**chosen)  # type: ignore[arg-type]
