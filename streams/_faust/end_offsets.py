"""Hook exact changelog end offsets into Faust's table recovery (the Tansu ListOffsets defect).

**The defect** (the broker's, see :mod:`streams.recovery`): Tansu answers
ListOffsets(LATEST) with "base offset of the newest batch + 1". Faust's recovery
(``faust.tables.recovery.Recovery._build_highwaters``) asks ``consumer.highwaters()``,
which the aiokafka driver's consumer thread answers in ``AIOKafkaConsumerThread._highwaters``
with aiokafka's ``end_offsets()`` (ListOffsets), and stops reading a changelog partition
there: after a restart or rebalance, tables silently miss the newest updates.

**The hook.** :class:`ExactEndOffsetsConsumerThread` overrides ``_highwaters``: it takes
Faust's answer and corrects it with :func:`streams.recovery.exact_end_offsets` (public
aiokafka API only), connecting like the worker's own consumer. Transactional mode keeps
Faust's last-stable-offset path. :class:`ExactEndOffsetsConsumer` makes the consumer build
that thread (``Consumer._new_consumer_thread``); :func:`install_exact_end_offsets` puts it
on the app's transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.tables.recovery import Recovery
from faust.transport import base as transport_base
from faust.transport.consumer import Consumer as BaseConsumer
from faust.transport.consumer import ConsumerThread, ThreadDelegateConsumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.transport.drivers.aiokafka import (
    AIOKafkaConsumerThread,
    Consumer,
    Transport,
    credentials_to_aiokafka_auth,
    server_list,
)
from faust.types import TP

from streams._faust.check import Requirement, assigns, method, subclass, uses
from streams._faust.transport import built
from streams.recovery import exact_end_offsets

__all__ = [
    "REQUIRES",
    "ExactEndOffsetsConsumer",
    "ExactEndOffsetsConsumerThread",
    "install_exact_end_offsets",
]


class ExactEndOffsetsConsumerThread(AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread with exact end offsets for table recovery."""

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        listed = await super()._highwaters(partitions)
        if self.consumer.in_transaction:  # last stable offsets: not ListOffsets, keep them
            return listed
        return await exact_end_offsets(listed, **self.probe_kwargs())

    def probe_kwargs(self) -> dict[str, Any]:
        """Connection settings of the worker's own consumer, for the probe consumer."""
        conf = self.app.conf
        transport = self.transport
        return {
            "bootstrap_servers": server_list(transport.url, transport.default_port),
            "client_id": f"{conf.broker_client_id}-end-offsets",
            "request_timeout_ms": int(conf.broker_request_timeout * 1000),
            **credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context),
        }


class ExactEndOffsetsConsumer(Consumer):
    """Faust's aiokafka Consumer whose thread reports exact changelog end offsets."""

    def _new_consumer_thread(self) -> ExactEndOffsetsConsumerThread:
        return ExactEndOffsetsConsumerThread(self, loop=self.loop, beacon=self.beacon)


def install_exact_end_offsets(app: faust.App) -> None:
    """Make ``app``'s table recovery read changelogs to their true end (see module doc).

    Must run before the app creates its consumer (before it starts); idempotent.
    """
    transport = app.transport
    if not issubclass(transport.Consumer, Consumer):
        raise TypeError(f"exact end offsets need the aiokafka transport (kafka://), not "
                        f"{type(transport).__module__}.{type(transport).__name__}")
    if issubclass(transport.Consumer, ExactEndOffsetsConsumer):
        return
    if built(app, "Consumer"):
        raise RuntimeError("install_exact_end_offsets() must run before the app starts")
    transport.Consumer = ExactEndOffsetsConsumer  # type: ignore[misc]  # this instance only


_PATCH = "exact end offsets"

REQUIRES: tuple[Requirement, ...] = (
    uses(_PATCH, Recovery, "_build_highwaters", "highwaters"),
    uses(_PATCH, AIOKafkaConsumerThread, "highwaters", "_highwaters"),
    method(_PATCH, AIOKafkaConsumerThread, "_highwaters", ("self", "partitions"),
           coroutine=True),
    subclass(_PATCH, Consumer, ThreadDelegateConsumer),
    method(_PATCH, Consumer, "_new_consumer_thread", ("self",), coroutine=False),
    uses(_PATCH, ThreadDelegateConsumer, "__init__", "_new_consumer_thread"),
    method(_PATCH, ConsumerThread, "__init__", ("self", "consumer", "kwargs")),
    assigns(_PATCH, ConsumerThread, "__init__", "consumer"),
    assigns(_PATCH, ConsumerThread, "__init__", "transport"),
    assigns(_PATCH, ConsumerThread, "__init__", "app"),
    assigns(_PATCH, BaseConsumer, "__init__", "in_transaction"),
    assigns(_PATCH, transport_base.Transport, "__init__", "url"),
    Requirement(_PATCH, "faust.transport.drivers.aiokafka.Transport.default_port",
                lambda: None if isinstance(Transport.default_port, int) else "not an int"),
    method(_PATCH, aiokafka_driver, "server_list", ("urls", "default_port")),
    method(_PATCH, aiokafka_driver, "credentials_to_aiokafka_auth",
           ("credentials", "ssl_context")),
)
