"""Each department's webhook receiver, resolved once at start: the URL, the format, and
what signs for it, read from the policy file and the environment variables it names.

Kept apart from :mod:`streams.notifier` (which posts) so that what is read from the
environment, and what is refused at start, is in one place. Nothing here logs a URL or a
secret: a bot's URL carries its token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from standardwebhooks import Webhook

from streams.bot_formats import BOT_FORMATS

__all__ = ["SimpleHook", "Target", "check_secret", "resolve_targets"]


@dataclass(frozen=True)
class Target:
    """A department's receiver: its URL, format, and what signs for it (a Standard Webhooks
    ``signer``, or a group bot's ``secret``; None: the bot is not signed)."""

    url: str
    format: str = "standard"
    signer: Webhook | None = None
    secret: str | None = None

    def __repr__(self) -> str:  # never the URL (it may carry a key) nor the secret
        return f"Target({self.format})"


def check_secret(secret: str) -> Webhook:
    """A signer for ``secret``, which must be ``whsec_`` + base64 of 24 to 64 bytes (the
    Standard Webhooks format); raises :class:`ValueError` saying what is wrong (never the
    secret itself). The library alone accepts almost any text, and a typo would only show
    as every receiver refusing every signature."""
    body = secret.removeprefix("whsec_")
    if body == secret:
        raise ValueError("SLA_WEBHOOK_SECRET must start with 'whsec_'")
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("SLA_WEBHOOK_SECRET: the part after 'whsec_' is not base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"SLA_WEBHOOK_SECRET: the key is {len(key)} bytes, not 24 to 64")
    return Webhook(key)


def _env_value(env: Mapping[str, str], name: str, department: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ValueError(f"department {department}: the environment variable {name} "
                         f"({what} of its webhook) is not set")
    return value


def resolve_targets(departments: Mapping[str, Any], secret: str | None,
                    env: Mapping[str, str]) -> tuple[dict[str, Target], list[str]]:
    """Each department's :class:`Target`, its URL and secrets read from ``env`` where the
    policy names variables; and the departments of Standard Webhooks left without a secret
    (no ``secret_env`` and no ``SLA_WEBHOOK_SECRET``). A variable named but not set, or a
    malformed ``whsec_`` secret, raises :class:`ValueError` saying which (never its value)."""
    default_signer = check_secret(secret) if secret is not None else None
    targets: dict[str, Target] = {}
    unsigned: list[str] = []
    for dept in departments.values():
        hook = dept.webhook
        if not hook:
            continue
        if isinstance(hook, str):  # a plain URL: Standard Webhooks
            hook = SimpleHook(hook)
        url = hook.url or _env_value(env, hook.url_env, dept.id, "url_env")
        own = _env_value(env, hook.secret_env, dept.id, "secret_env") if hook.secret_env else None
        if hook.format in BOT_FORMATS:
            targets[dept.id] = Target(url, hook.format, secret=own)
        elif own is not None:
            targets[dept.id] = Target(url, signer=check_secret(own))
        elif default_signer is not None:
            targets[dept.id] = Target(url, signer=default_signer)
        else:
            unsigned.append(dept.id)
    return targets, unsigned


@dataclass(frozen=True)
class SimpleHook:
    """A webhook written as a plain URL (Standard Webhooks, the worker's secret)."""

    url: str
    format: str = "standard"
    secret_env: str | None = None
    url_env: str | None = None
