"""The aiokafka producer under Faust's, for record batches (:mod:`streams.record_batches`).

Faust's ``Producer.send`` wraps aiokafka's one record at a time; aiokafka's public batch API
(``create_batch``, ``send_batch``, ``partitions_for``) is reachable only on the aiokafka
producer itself, which Faust keeps in ``Producer._producer`` (``_ensure_producer()`` raises
``NotReady`` before the producer started). Records handed to it are covered by Faust's
flush before every commit: ``Producer.flush`` flushes that same aiokafka producer.
"""

from __future__ import annotations

import aiokafka
import faust
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver

from streams._faust.check import Requirement, method, uses

__all__ = ["REQUIRES", "kafka_producer"]


def kafka_producer(app: faust.App) -> aiokafka.AIOKafkaProducer:
    """The started aiokafka producer of ``app``'s producer (``NotReady`` before start)."""
    return app.producer._ensure_producer()


_PATCH = "aiokafka producer for record batches"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, aiokafka_driver.Producer, "_ensure_producer", ("self",), coroutine=False),
    uses(_PATCH, aiokafka_driver.Producer, "_ensure_producer", "_producer"),
    uses(_PATCH, aiokafka_driver.Producer, "flush", "_producer"),
    uses(_PATCH, Consumer, "_commit_offsets", "flush"),
    method(_PATCH, aiokafka.AIOKafkaProducer, "create_batch", ("self",), coroutine=False),
    method(_PATCH, aiokafka.AIOKafkaProducer, "send_batch", ("self", "batch", "topic",
                                                             "partition"), coroutine=True),
    method(_PATCH, aiokafka.AIOKafkaProducer, "partitions_for", ("self", "topic"),
           coroutine=True),
)
