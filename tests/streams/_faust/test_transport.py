"""Preconditions of the transport mixins: Faust builds the consumer and producer from the
app's transport classes and keeps them in ``App._consumer``/``App._producer``."""

from __future__ import annotations

import pytest
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaDriverConsumer

from streams._faust.end_offsets import ExactEndOffsetsConsumer
from streams._faust.fetch_positions import PositionsAtOnce
from streams._faust.group_leave import LeaveInGenerationZero
from streams._faust.producer_flush import CompleteFlush
from streams._faust.rebalance_seek import SeekUncommittedToStart
from streams._faust.revocation import CommitOnRevoke
from streams._faust.short_poll import ShortPoll
from streams._faust.transport import built, mix_into_transport


class _Probe:
    """A mixin that does nothing."""


def test_the_app_builds_its_consumer_and_producer_from_the_patched_transport(make_app) -> None:
    app = make_app()
    assert app._consumer is None and app._producer is None
    assert not built(app, "Consumer") and not built(app, "Producer")
    consumer, producer = app.consumer, app.producer
    assert app._consumer is consumer and app._producer is producer
    assert all(isinstance(consumer, patch) for patch in
               (SeekUncommittedToStart, CommitOnRevoke, ExactEndOffsetsConsumer, ShortPoll,
                LeaveInGenerationZero, PositionsAtOnce, AIOKafkaDriverConsumer))
    assert isinstance(producer, CompleteFlush)


def test_a_mixin_after_the_consumer_was_built_is_refused(make_app) -> None:
    app = make_app()
    app.consumer  # noqa: B018  # builds it
    with pytest.raises(RuntimeError, match="before the app starts"):
        mix_into_transport(app, "Consumer", _Probe, Consumer)


def test_mixins_combine_and_installing_twice_changes_nothing(make_app) -> None:
    app = make_app()
    mix_into_transport(app, "Consumer", _Probe, Consumer)
    combined = app.transport.Consumer
    mix_into_transport(app, "Consumer", _Probe, Consumer)
    assert app.transport.Consumer is combined
    assert issubclass(combined, _Probe) and issubclass(combined, CommitOnRevoke)
