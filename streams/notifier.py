"""Deliver ``notification.requested`` events to the departments' webhooks, signed.

One agent (``sla-notifier``) reads the ``notifications`` topic (keyed by department) and hands
each notification to a :class:`WebhookNotifier`, which POSTs it to the department's ``webhook``
URL from the SLA config as a `Standard Webhooks <https://www.standardwebhooks.com/>`_ request:

- body: the CloudEvent itself, JSON (``content-type: application/cloudevents+json``);
- ``webhook-id``: the event id, deterministic, so receivers dedupe redeliveries by it;
- ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``), signed with
  the ``whsec_...`` secret of the setting ``SLA_WEBHOOK_SECRET``. Without a secret, webhooks
  are off: nothing is sent and the worker says so once at start.

Why a queue per department: a receiver that is down or slow must neither stall the stream
(the agent only enqueues) nor delay other departments. Each department has a bounded queue
and :attr:`WebhookNotifier.concurrency` delivery tasks. A delivery is retried with
exponential backoff (``stamina``) on connection errors, timeouts, 429 and 5xx, within
:class:`RetryPolicy` bounds; another 4xx is final. Each notification is counted once in
``sla_webhook_deliveries_total{department,result}``: ``delivered``, ``failed`` (after
retries, or refused), ``skipped`` (the department has no webhook) or ``dropped`` (its queue
was full, or the worker stopped before it could be sent).

Group bots: a department whose ``webhook`` has ``format: wecom | dingtalk | feishu`` gets
the message (title and body, in its language) as that bot's JSON, signed as the vendor
specifies when the bot has a secret (:mod:`streams.bot_formats`); a bot that answers 2xx
with a non-zero ``errcode``/``code`` refused the message (failed, not retried). URLs and
secrets come from the policy file's ``url`` or from environment variables it names
(``url_env``, ``secret_env``), are read once at start and are never logged.

Digests and quiet hours: for a department with ``delivery`` preferences,
:func:`sla.delivery.due_at` says whether a notification goes at once or waits; what waits is
held in the Faust table ``sla-notifier-held`` and sent by a timer when due
(:mod:`streams.digests`, which says what survives a restart: everything held).

Delivery is at least once while the worker runs (a redelivered Kafka message is posted again,
with the same ``webhook-id``), best effort across a crash: the Kafka offset is committed once
the notification is queued. The ``sla-alerts`` and ``notifications`` topics are the durable
feeds; see ``docs/webhooks.md``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
import httpx
import stamina
from standardwebhooks import Webhook

from models import CloudEvent, parse_event
from models.topics import NOTIFICATIONS
from sla.calendar import build_calendars
from streams import metrics
from streams.bot_formats import BOT_FORMATS, bot_request, refusal
from streams.digests import TICK, DigestHolder, TableStore, send_due
from streams.recovery import actives_ready
from streams.webhook_targets import Target, check_secret, resolve_targets

__all__ = [
    "CONTENT_TYPE",
    "RetryPolicy",
    "Target",
    "WebhookNotifier",
    "add_notifier",
    "check_secret",
    "resolve_targets",
    "signed_headers",
    "webhook_secret",
]

logger = logging.getLogger("sla_police.streams.notifier")

CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one notification is tried: at most ``attempts`` POSTs within ``timeout``
    seconds in all, waiting ``wait_initial`` doubling up to ``wait_max`` (plus up to
    ``wait_jitter``) between them; a ``Retry-After`` of up to ``wait_max`` is honoured."""

    attempts: int = 5
    timeout: float = 60.0
    wait_initial: float = 0.5
    wait_max: float = 10.0
    wait_jitter: float = 1.0
    request_timeout: float = 10.0  # seconds for one POST (connect, send, first byte)

    def stamina(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "timeout": self.timeout,
                "wait_initial": self.wait_initial, "wait_max": self.wait_max,
                "wait_jitter": self.wait_jitter}


class DeliveryError(Exception):
    """The receiver answered with a status that is not 2xx, or a bot refused the message
    (``refused``: never retried)."""

    def __init__(self, response: httpx.Response, refused: str | None = None) -> None:
        super().__init__(f"HTTP {response.status_code}" + (f", {refused}" if refused else ""))
        self.status = response.status_code
        self.retry_after = _retry_after(response)
        self.refused = refused

    @property
    def retryable(self) -> bool:
        return self.refused is None and (self.status == 429 or self.status >= 500)


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds, when given as a number (dates are ignored)."""
    try:
        value = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def signed_headers(signer: Webhook, msg_id: str, body: str,
                   now: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers (and content type) of one request."""
    now = now or datetime.now(UTC)
    return {"webhook-id": msg_id, "webhook-timestamp": str(math.floor(now.timestamp())),
            "webhook-signature": signer.sign(msg_id, now, body), "content-type": CONTENT_TYPE}


class WebhookNotifier:
    """Posts notifications to department webhooks from background tasks, one lane (a bounded
    queue and ``concurrency`` tasks) per department. Start nothing up front: lanes are made
    on first use, inside the running event loop."""

    def __init__(self, webhooks: Mapping[str, str | Target | None], secret: str | None = None,
                 *, policy: RetryPolicy | None = None, queue_size: int = 1000,
                 concurrency: int = 4, client: httpx.AsyncClient | None = None) -> None:
        """``webhooks``: department -> :class:`Target`, or a plain URL (Standard Webhooks,
        signed with ``secret``)."""
        signer = check_secret(secret) if secret is not None else None
        self.webhooks: dict[str, Target] = {
            dept: Target(hook, signer=signer) if isinstance(hook, str) else hook
            for dept, hook in webhooks.items() if hook}
        self.policy = policy or RetryPolicy()
        self.queue_size, self.concurrency = queue_size, concurrency
        self._client, self._own_client = client, client is None
        self._queues: dict[str, asyncio.Queue[CloudEvent]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._full: set[str] = set()
        self._cut_short = 0  # deliveries cancelled in flight by close()

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.policy.request_timeout, follow_redirects=False,
                headers={"user-agent": "sla-police-webhooks"})
        return self._client

    def submit(self, event: CloudEvent) -> str:
        """Queue ``event`` for its department; returns queued, skipped or dropped."""
        department = event.data.department
        if department not in self.webhooks:
            metrics.observe_webhook_delivery(department, "skipped")
            return "skipped"
        try:
            self._queue(department).put_nowait(event)
        except asyncio.QueueFull:
            metrics.observe_webhook_delivery(department, "dropped")
            if department not in self._full:
                self._full.add(department)
                logger.warning("webhook queue of %s is full (%d): dropping notifications, "
                               "e.g. %s", department, self.queue_size, event.id)
            return "dropped"
        self._full.discard(department)
        return "queued"

    def _queue(self, department: str) -> asyncio.Queue[CloudEvent]:
        queue = self._queues.get(department)
        if queue is None:
            queue = self._queues[department] = asyncio.Queue(self.queue_size)
            self._tasks += [asyncio.create_task(self._drain(queue),
                                                name=f"webhook-{department}-{n}")
                            for n in range(self.concurrency)]
        return queue

    async def _drain(self, queue: asyncio.Queue[CloudEvent]) -> None:
        while True:
            event = await queue.get()
            try:
                await self.deliver(event)
            except asyncio.CancelledError:
                metrics.observe_webhook_delivery(event.data.department, "dropped")
                self._cut_short += 1
                raise
            except Exception:  # a bug must not kill the lane
                logger.exception("webhook delivery of %s crashed", event.id)
                metrics.observe_webhook_delivery(event.data.department, "failed")
            finally:
                queue.task_done()

    async def deliver(self, event: CloudEvent) -> bool:
        """POST ``event`` to its department's webhook, retrying per :attr:`policy`; count the
        result. True when the receiver accepted it (2xx, and no bot refusal)."""
        return await self._deliver(event.data.department, event.id, 1, event,
                                   (event.data.title, event.data.body))

    async def deliver_digest(self, department: str, events: list[CloudEvent],
                             words: tuple[str, str]) -> bool:
        """Send a digest: one message (``words``: its title and body) to a group bot, each
        CloudEvent to a Standard Webhooks receiver; every notification is counted once."""
        target = self.webhooks.get(department)
        if target is None:
            for _ in events:
                metrics.observe_webhook_delivery(department, "skipped")
            return True
        if target.format not in BOT_FORMATS:
            return all([await self.deliver(event) for event in events])
        digest_id = f"digest of {len(events)} from {events[0].id}" if events else "digest"
        return await self._deliver(department, digest_id, len(events), None, words)

    async def _deliver(self, department: str, msg_id: str, count: int,
                       event: CloudEvent | None, words: tuple[str, str]) -> bool:
        target = self.webhooks[department]
        try:
            async for attempt in stamina.retry_context(on=self._retry_on, **self.policy.stamina()):
                with attempt:
                    await self._post(target, event, words)
        except (httpx.HTTPError, DeliveryError) as exc:
            logger.warning("webhook %s of %s failed after %s: %s", msg_id, department,
                           _plural(self.policy.attempts), f"{type(exc).__name__}: {exc}")
            for _ in range(count):
                metrics.observe_webhook_delivery(department, "failed")
            return False
        for _ in range(count):
            metrics.observe_webhook_delivery(department, "delivered")
        return True

    async def _post(self, target: Target, event: CloudEvent | None,
                    words: tuple[str, str]) -> None:
        """One attempt, signed afresh (a new timestamp each time)."""
        now = datetime.now(UTC)
        if target.format in BOT_FORMATS:
            request = bot_request(target.format, target.url, *words, target.secret, now)
            url, content, headers = request.url, request.body, request.headers
        else:
            assert target.signer is not None and event is not None  # always, for standard
            text = event.to_json()
            url, content = target.url, text.encode()
            headers = signed_headers(target.signer, event.id, text, now)
        response = await self.client.post(url, content=content, headers=headers)
        if not response.is_success:
            raise DeliveryError(response)
        if target.format in BOT_FORMATS:
            refused = refusal(target.format, await response.aread())
            if refused is not None:
                raise DeliveryError(response, refused)

    def _retry_on(self, exc: Exception) -> bool | float:
        """stamina's hook: retry transport errors, 429 and 5xx (after Retry-After if given)."""
        if isinstance(exc, DeliveryError):
            if exc.retryable and exc.retry_after is not None:
                return min(exc.retry_after, self.policy.wait_max)
            return exc.retryable
        return isinstance(exc, httpx.TransportError)

    async def close(self, grace: float = 5.0) -> int:
        """Finish queued deliveries for up to ``grace`` seconds, then stop; returns how many
        notifications were dropped unsent (counted as ``dropped``)."""
        pending = [queue.join() for queue in self._queues.values()]
        if pending:
            _done, late = await asyncio.wait([asyncio.ensure_future(p) for p in pending],
                                             timeout=grace)
            for future in late:
                future.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        dropped = self._cut_short
        for department, queue in self._queues.items():
            while not queue.empty():
                queue.get_nowait()
                metrics.observe_webhook_delivery(department, "dropped")
                dropped += 1
        if dropped:
            logger.warning("stopped with %d webhook notifications unsent", dropped)
        if self._own_client and self._client is not None:
            await self._client.aclose()
        return dropped


def _plural(attempts: int) -> str:
    return f"up to {attempts} attempt{'s' if attempts != 1 else ''}"


def webhook_secret(settings: Any) -> str | None:
    """The ``whsec_...`` secret from ``settings.webhook_secret`` (a str or a SecretStr)."""
    secret = getattr(settings, "webhook_secret", None)
    if secret is not None and hasattr(secret, "get_secret_value"):
        secret = secret.get_secret_value()
    if not isinstance(secret, str) or not secret.strip():
        return None
    return secret.strip()


def _notification(value: bytes | None) -> CloudEvent | None:
    event = parse_event(value, accept="any")
    if isinstance(event, CloudEvent) and event.type == "notification.requested":
        return event
    what = event.type if isinstance(event, CloudEvent) else event.reason
    logger.error("notifier: skipped a value that is not a notification (%s, %d bytes)", what,
                 len(value or b""))  # never the payload: it may carry customer data
    return None


def _digests(app: faust.App, pipeline: Any, config: Any, notifier: WebhookNotifier,
             topic_name: str) -> DigestHolder | None:
    """The held table and its timer, when some department posted to has ``delivery``."""
    departments = getattr(config, "departments", {})
    if not any(getattr(d, "delivery", None) for k, d in departments.items()
               if k in notifier.webhooks):
        return None
    table = app.Table("sla-notifier-held", key_type=bytes, value_type=bytes,
                      partitions=pipeline.topics.partitions)
    holder = DigestHolder(TableStore(table), departments, build_calendars(config.calendars))

    @app.timer(TICK)
    async def send_digests() -> None:
        if not actives_ready(app):
            return  # a rebalance: the table may not hold every row yet
        actives = {tp.partition for tp in app.assignor.assigned_actives()
                   if tp.topic == topic_name}
        await send_due(holder, notifier, datetime.now(UTC), actives)

    return holder


def add_notifier(app: faust.App, pipeline: Any, settings: Any, config: Any,
                 env: Mapping[str, str] | None = None) -> WebhookNotifier | None:
    """Add the ``sla-notifier`` agent to ``app``; None (and one log line) when no department
    can be posted to (no webhooks, or only Standard Webhooks and no secret)."""
    secret = webhook_secret(settings)
    # a malformed secret or a missing variable raises ValueError: the worker stops at start
    targets, unsigned = resolve_targets(config.departments, secret,
                                        os.environ if env is None else env)
    if not targets:
        logger.log(logging.WARNING if unsigned else logging.INFO,
                   "webhooks disabled: SLA_WEBHOOK_SECRET is not set (%d departments have a "
                   "webhook URL)", len(unsigned))
        return None
    if unsigned:
        logger.warning("webhooks of %d departments disabled: SLA_WEBHOOK_SECRET is not set "
                       "(%s)", len(unsigned), ", ".join(unsigned))
    notifier = WebhookNotifier(targets)
    topic = pipeline.topics.outbound[NOTIFICATIONS]
    holder = _digests(app, pipeline, config, notifier, topic.get_topic_name())

    @app.agent(topic, name="sla-notifier", concurrency=1)
    async def notifier_agent(stream: faust.StreamT) -> None:
        async for message in stream.events():
            event = _notification(message.value)
            if event is None:
                continue
            if (holder is not None and event.data.department in notifier.webhooks
                    and holder.hold(event, message.message.partition, datetime.now(UTC))):
                continue  # in the held table until its digest is due
            notifier.submit(event)

    async def _close(*_: Any, **__: Any) -> None:
        await notifier.close()

    app.on_before_shutdown.connect(_close)
    logger.info("webhooks on for %d of %d departments", len(notifier.webhooks),
                len(config.departments))
    return notifier
