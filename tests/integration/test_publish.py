"""``publish`` against the embedded broker: every valid line arrives exactly once, on the
right topic, keyed by ticket id; invalid lines only with ``--send-invalid``.

Topics are shared by the whole session, so each test publishes its own feed (its own
dates, hence its own ticket ids and bytes) and reads back, from the topics' end offsets
before its publish, the records carrying its lines. Tansu reports end offsets a little
low (the last batch's base offset + 1), so those start points may reach back a little:
filtering by value keeps that harmless. Reading goes on until every sent record has been
seen and the topics stay quiet for a second, so extra copies would be noticed too.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.topics import COMPLAINTS, INBOUND_TOPICS, TICKET_EVENTS
from sla_police.cli import app
from sla_police.publisher import PublishReport, publish_lines
from sla_police.simulator import Record, SimulationOptions, simulate_records

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, tzinfo=UTC)

Message = tuple[str, bytes | None, bytes]  # (topic, key, value)


def _feed(start: date) -> list[Record]:
    """A small, dirty feed: about 800 lines with duplicates and invalid lines."""
    options = SimulationOptions(days=1, seed=11, start=start, calls_per_day=120,
                                duplicate_rate=0.03, invalid_rate=0.04)
    records = list(simulate_records(options))
    kinds = Counter(r.kind for r in records)
    assert kinds["duplicate"] and kinds["invalid"], kinds  # the tests need both
    return records


async def _end_offsets(bootstrap: str) -> dict:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in INBOUND_TOPICS
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def _read_back(bootstrap: str, start: dict, values: set[bytes],
                     expected: int) -> list[Message]:
    """Records whose value is in ``values``, from ``start`` offsets on, until ``expected``
    of them were seen and nothing more arrived for a second."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    messages: list[Message] = []
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, max(0, offset - 1))
        deadline, quiet = time.monotonic() + 30, 0
        while len(messages) < expected or quiet < 2:
            assert time.monotonic() < deadline, f"read {len(messages)} of {expected} records"
            batches = await consumer.getmany(timeout_ms=500)
            quiet = 0 if batches else quiet + 1
            messages += [(tp.topic, r.key, r.value) for tp, records in batches.items()
                         for r in records if r.value in values]
    finally:
        await consumer.stop()
    return messages


async def _publish_and_read(bootstrap: str, lines: list[str],
                            **options) -> tuple[PublishReport, list[Message]]:
    before = await _end_offsets(bootstrap)
    report = await publish_lines(lines, bootstrap, now=NOW, **options)
    values = {line.encode() for line in lines}
    return report, await _read_back(bootstrap, before, values, report.total_sent)


def _expected(record: Record) -> Message:
    event = json.loads(record.line)
    topic = COMPLAINTS if event["type"] == "complaint.received" else TICKET_EVENTS
    return topic, event["subject"].encode(), record.line.encode()


def test_every_valid_line_arrives_once_on_its_topic_keyed_by_ticket(
        kafka_bootstrap: str) -> None:
    feed = _feed(date(2026, 9, 7))
    report, messages = asyncio.run(_publish_and_read(kafka_bootstrap, [r.line for r in feed]))
    valid = [r for r in feed if r.kind != "invalid"]
    assert Counter(messages) == Counter(_expected(r) for r in valid)
    assert sum(r.kind == "duplicate" for r in valid) > 0  # duplicates arrive as duplicates
    invalid_values = {r.line.encode() for r in feed if r.kind == "invalid"}
    assert not invalid_values & {value for _, _, value in messages}
    assert report.invalid == len(feed) - len(valid) and report.invalid_sent == 0
    assert report.sent == Counter(topic for topic, _, _ in messages)
    assert [s.line_number for s in report.samples] == [
        n for n, r in enumerate(feed, start=1) if r.kind == "invalid"][:20]


def test_send_invalid_sends_them_where_they_claim_to_belong(kafka_bootstrap: str) -> None:
    feed = _feed(date(2026, 9, 14))
    report, messages = asyncio.run(
        _publish_and_read(kafka_bootstrap, [r.line for r in feed], send_invalid=True))
    assert len(messages) == len(feed)
    by_value = {value: (topic, key) for topic, key, value in messages}
    for record in (r for r in feed if r.kind == "invalid"):
        topic, key = by_value[record.line.encode()]
        try:
            claimed = json.loads(record.line)
        except ValueError:
            assert (topic, key) == (TICKET_EVENTS, None)
            continue
        subject = claimed.get("subject")
        assert key == (subject.encode() if subject else None)
        expected = COMPLAINTS if claimed.get("type") == "complaint.received" else TICKET_EVENTS
        assert topic == expected, record.line
    assert report.invalid_sent == report.invalid > 0


def test_rate_caps_the_send_rate(kafka_bootstrap: str) -> None:
    lines = [r.line for r in _feed(date(2026, 9, 21)) if r.kind == "event"][:60]
    report, messages = asyncio.run(_publish_and_read(kafka_bootstrap, lines, rate=100))
    assert len(messages) == 60
    assert report.seconds >= 0.55  # 60 records at 100/s: the last leaves after 0.59 s


def _cli_file(tmp_path: Path) -> Path:
    lines = [r.line for r in _feed(date(2026, 9, 28)) if r.kind == "event"][:10]
    lines[2] = '{"broken": '
    lines[6] = lines[6].replace('"specversion":"1.0"', '"specversion":"0.3"')
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_reports_invalid_line_numbers(kafka_bootstrap: str, tmp_path: Path) -> None:
    path = _cli_file(tmp_path)
    result = CliRunner().invoke(app, ["publish", str(path), "--bootstrap", kafka_bootstrap,
                                      "--now", "2026-11-23T00:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "2 invalid line(s), not sent" in result.output
    assert "line 3: invalid JSON" in result.output
    assert "line 7: specversion" in result.output
    sent = re.findall(r"sent to (\S+)\s*│\s*([\d,]+)", result.output)
    assert sum(int(count) for _, count in sent) == 8, result.output
    assert re.search(r"invalid skipped\s*│\s*2\b", result.output), result.output


def test_cli_without_a_broker_says_how_to_get_one(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLA_KAFKA_BOOTSTRAP", raising=False)
    result = CliRunner().invoke(app, ["publish", str(_cli_file(tmp_path))])
    assert result.exit_code == 2
    assert "sla-police broker" in result.output and "SLA_KAFKA_BOOTSTRAP" in result.output
