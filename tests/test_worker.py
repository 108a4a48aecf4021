"""The shell hands the stream layer its part of the settings, and nothing more, and the
check guarding a worker's ticket state: operators' tokens of the API's principals file."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.principals import Role, add_principal, remove_principal
from sla_police.settings import Settings
from sla_police.worker import operator_authorizer, stream_settings
from streams.web import Access


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


def test_ticket_state_is_for_admin_and_contact_center_tokens(tmp_path: Path) -> None:
    path = tmp_path / "principals.yaml"
    authorize = operator_authorizer(path)
    assert authorize("slap_nobody") is Access.UNKNOWN  # no file yet: no valid token
    now = datetime(2026, 11, 25, tzinfo=UTC)
    tokens = {name: add_principal(path, name, role, department, now)[1]
              for name, role, department in (("ops", Role.ADMIN, None),
                                             ("cc", Role.CONTACT_CENTER, None),
                                             ("ceo", Role.EXECUTIVE, None),
                                             ("hr", Role.HR, None),
                                             ("desk", Role.DEPARTMENT, "logistics"))}
    assert {name: authorize(token) for name, token in tokens.items()} == {
        "ops": Access.ALLOWED, "cc": Access.ALLOWED, "ceo": Access.FORBIDDEN,
        "hr": Access.FORBIDDEN, "desk": Access.FORBIDDEN}
    remove_principal(path, "ops")  # the file is re-read: a revoked token stops at once
    assert authorize(tokens["ops"]) is Access.UNKNOWN
    path.write_text("principals: 7\n", encoding="utf-8")
    assert authorize(tokens["cc"]) is Access.UNAVAILABLE


def test_a_ledger_sink_app_runs_the_ledger_agent_alone_in_its_own_group(tmp_path: Path) -> None:
    from sla_police.worker import create_ledger_app

    settings = Settings(kafka_bootstrap="127.0.0.1:1", app_id="sla-eu", data_dir=tmp_path)
    app = create_ledger_app(settings, web_enabled=False)
    assert app.conf.id == "sla-eu-ledger"
    assert list(app.agents) == ["sla-ledger"] and not app.tables
    topics = set(app.agents["sla-ledger"].channel.topics)
    assert {"penalties", "sla-outcomes", "volumes", "calls"} <= topics


def test_ledger_sink_needs_a_cluster() -> None:
    from typer.testing import CliRunner

    from sla_police.cli import app

    result = CliRunner().invoke(app, ["ledger", "sink"], env={"SLA_KAFKA_BOOTSTRAP": ""})
    assert result.exit_code == 2 and "SLA_KAFKA_BOOTSTRAP is not set" in result.output


def test_a_worker_collects_garbage_less_often_after_its_start_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """run_worker freezes its start-up objects and raises the collector's thresholds before
    Faust runs (most of a message's objects are acyclic and die young)."""
    import gc

    from sla_police import worker

    seen = []
    monkeypatch.setattr(worker, "configure_logging", lambda level: None)
    monkeypatch.setattr(worker, "ensure_worker_topics", lambda settings: None)
    monkeypatch.setattr(worker, "create_worker_app", lambda settings, **options: (None, None))
    monkeypatch.setattr(worker, "run_faust", lambda app, level: seen.append(
        (gc.get_threshold(), gc.get_freeze_count() > 0)))
    before = gc.get_threshold()
    try:
        worker.run_worker(Settings(kafka_bootstrap="localhost:9092"))
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert seen == [(worker.WORKER_GC_THRESHOLDS, True)]
    assert worker.WORKER_GC_THRESHOLDS[0] > 700  # above Python's default


class _ExitingWorker:
    """Faust's worker, reduced to how it ends: ``SystemExit`` with the code given."""

    code = 0

    def __init__(self, app: object, **options: object) -> None:
        self.app = app

    def execute_from_commandline(self) -> None:
        raise SystemExit(self.code)


@pytest.mark.parametrize(("code", "state"), [(0, "clean at "), (1, "in use by pid ")])
def test_a_workers_tables_are_released_only_after_a_clean_exit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, state: str) -> None:
    """Exit 0 with every record delivered marks the RocksDB tables clean; a crash (exit 1)
    leaves them claimed, so the next worker discards those not written behind their
    changelogs (:mod:`streams.local_tables`)."""
    from sla_police import worker
    from sla_police.worker import create_ledger_app

    settings = Settings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path)
    app = create_ledger_app(settings, web_enabled=False)
    monkeypatch.setattr(worker.faust, "Worker", type("W", (_ExitingWorker,), {"code": code}))
    with pytest.raises(SystemExit):
        worker.run_faust(app, "WARNING")
    state_file = Path(app.conf.tabledir).with_name("tables.state")
    assert state_file.read_text(encoding="utf-8").startswith(state)


def test_every_table_of_the_pipeline_is_written_behind_its_changelog(tmp_path: Path) -> None:
    """So a worker's restart after a crash keeps them all (only a table written by
    Faust's own path, the notifier's held notifications, is discarded then)."""
    from sla_police.worker import create_worker_app
    from streams.table_writes import written_behind

    settings = Settings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path,
                        ledger_enabled=False)
    app, _pipeline = create_worker_app(settings, web_enabled=False)
    assert written_behind(app) == {table.name for table in app.tables.values()}
    assert {"tickets", "penalty-state", "clock-marks", "callers"} <= written_behind(app)


def test_a_worker_on_the_memory_store_claims_no_tables(tmp_path: Path) -> None:
    from sla_police.worker import create_ledger_app
    from streams.local_tables import claim_local_tables

    settings = Settings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path,
                        table_store="memory://")
    assert claim_local_tables(create_ledger_app(settings, web_enabled=False)) is None


def test_a_worker_on_a_data_dir_another_worker_holds_is_refused_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sla_police import worker
    from sla_police.cli import app
    from streams.local_tables import LocalTables

    tabledir = tmp_path / "faust" / "v1" / "tables"
    held = LocalTables(tabledir)
    held.claim()  # a live worker
    monkeypatch.setattr(worker, "ensure_worker_topics", lambda settings: None)
    result = CliRunner().invoke(app, ["worker"], env={
        "SLA_KAFKA_BOOTSTRAP": "127.0.0.1:1", "SLA_DATA_DIR": str(tmp_path),
        "SLA_WEB_ENABLED": "false"})
    held.release()
    assert result.exit_code == 2, result.output
    assert "is used by another worker (in use by pid" in result.output
    assert "Traceback" not in result.output
