"""The start-up check: the installed framework passes; a missing or reshaped internal stops
the app (and the worker command) with one line naming the versions and the internal."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from faust.stores import rocksdb
from faust.transport.consumer import ThreadDelegateConsumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.producer import ProducerBuffer
from typer.testing import CliRunner

from sla_police.cli import app as cli
from streams._faust import REQUIRES, FrameworkMismatch, check_internals


def test_the_installed_framework_fits_every_patch() -> None:
    check_internals()
    patches = {requirement.patch for requirement in REQUIRES}
    assert patches == {"transport mixins", "exact end offsets", "commit on revoke",
                       "rebalance seek", "complete producer flush", "known committed offsets",
                       "partition scan", "due column", "table start without delay",
                       "short consumer poll", "current event of a batch",
                       "group leave in generation 0", "committed positions at once",
                       "aiokafka producer for record batches",
                       "no commit after an undelivered record", "eager delivery",
                       "partition writes", "forget dropped copies"}


def test_a_removed_internal_is_named_with_the_framework_versions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(ProducerBuffer, "_send_pending")
    with pytest.raises(FrameworkMismatch) as raised:
        check_internals()
    message = str(raised.value)
    assert "faust.transport.producer.ProducerBuffer._send_pending (complete producer flush): " \
           "missing" in message
    assert f"faust-streaming {version('faust-streaming')}" in message
    assert f"aiokafka {version('aiokafka')}" in message
    assert "\n" not in message


def test_a_changed_signature_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    async def _highwaters(self, partitions, isolation):  # an upstream change of shape
        return {}

    monkeypatch.setattr(AIOKafkaConsumerThread, "_highwaters", _highwaters)
    with pytest.raises(FrameworkMismatch, match=r"_highwaters \(exact end offsets\): "
                                                r"parameters \('self', 'partitions', "
                                                r"'isolation'\)"):
        check_internals()


def test_an_attribute_no_longer_assigned_stops_create_app(
        make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    stock_init = ThreadDelegateConsumer.__init__

    def init_without_thread(self, *args, **kwargs):  # same shape, no ``self._thread``
        return stock_init(self, *args, **kwargs)

    monkeypatch.setattr(ThreadDelegateConsumer, "__init__", init_without_thread)
    with pytest.raises(FrameworkMismatch, match=r"ThreadDelegateConsumer\._thread "
                                                r"\(rebalance seek\): no longer assigned"):
        make_app()


def test_the_worker_command_refuses_to_start_in_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(rocksdb.Store, "_visible_items")
    monkeypatch.setenv("SLA_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "faust.stores.rocksdb.Store._visible_items (partition scan): missing" in lines[0]
    assert "Traceback" not in result.output
