"""The shell hands the stream layer its part of the settings, and nothing more."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sla_police.settings import Settings
from sla_police.worker import stream_settings


def test_stream_settings_carry_the_shells_values() -> None:
    settings = Settings(kafka_bootstrap="kafka-1:9092,kafka-2:9092", app_id="sla-eu",
                        topic_partitions=12, data_dir=Path("/srv/sla"), clock="stream",
                        web_port=7000, log_level="debug", webhook_secret="whsec_x")
    streaming = stream_settings(settings)
    assert dataclasses.asdict(streaming) == {
        field.name: getattr(settings, field.name) for field in dataclasses.fields(streaming)}
    assert (streaming.kafka_bootstrap, streaming.topic_partitions, streaming.log_level) == (
        "kafka-1:9092,kafka-2:9092", 12, "DEBUG")
    assert not hasattr(streaming, "webhook_secret") and not hasattr(streaming, "database_url")


def test_stream_settings_need_a_cluster() -> None:
    with pytest.raises(ValueError, match="kafka_bootstrap is not set"):
        stream_settings(Settings(kafka_bootstrap=None))
