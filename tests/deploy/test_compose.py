"""docker-compose.yml and the worker Dockerfile, checked without a Docker engine.

No Docker engine runs on the test machines, so the stack cannot be started here. These tests
check what can go wrong silently instead: a setting name the worker does not read, a mount of
a file that does not exist, an unpinned image, a topic list that drifted from models/topics.py,
a Prometheus scrape port that is not the worker's.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from models.topics import CALL_ROUTES, COMPACTED_TOPICS, OUTBOUND_ROUTES
from sla_police.broker import project_topics
from sla_police.settings import Settings
from tests.deploy.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
OURS = [name for name, svc in SERVICES.items() if "build" in svc]
DOCKERFILE = (ROOT / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")


def interpolate(value: object) -> str:
    """Compose's ``${VAR:-default}`` with VAR unset: the default."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))


def test_services_are_all_there() -> None:
    assert set(SERVICES) == {"kafka", "init-topics", "postgres", "migrate", "worker",
                             "ledger-sink", "prometheus", "alertmanager", "grafana"}
    assert OURS == ["migrate", "worker", "ledger-sink"]
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    assert SERVICES["worker"]["command"] == ["worker"]
    assert SERVICES["migrate"]["command"] == ["ledger", "migrate"]
    assert SERVICES["ledger-sink"]["command"] == ["ledger", "sink"]


def test_the_ledger_is_recorded_by_the_sink_not_by_the_workers() -> None:
    def ledger_enabled(service: str) -> bool:
        env = SERVICES[service]["environment"]
        return Settings(**{k.removeprefix("SLA_").lower(): interpolate(v)
                           for k, v in env.items()}).ledger_enabled

    assert not ledger_enabled("worker") and ledger_enabled("ledger-sink")


def test_images_are_pinned_by_tag() -> None:
    for name, service in SERVICES.items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, f"{name}: {image}"


def test_sla_services_set_only_real_settings_and_they_validate() -> None:
    fields = {f"SLA_{name.upper()}" for name in Settings.model_fields}
    for name in OURS:
        env = SERVICES[name]["environment"]
        assert set(env) <= fields, f"{name}: unknown settings {set(env) - fields}"
        settings = Settings(**{k.removeprefix("SLA_").lower(): interpolate(v)
                               for k, v in env.items()})
        assert settings.kafka_bootstrap == "kafka:9092"
        assert settings.database_url.startswith("postgresql+psycopg://")
        assert str(settings.config) == "/app/deploy/config/sla-police.yaml"
        assert settings.web_host == "0.0.0.0"


def test_bind_mounts_exist_and_named_volumes_are_declared() -> None:
    declared = set(COMPOSE["volumes"])
    used = set()
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                used.add(source)
    assert used == declared


def test_dependencies_wait_for_health_and_one_shot_jobs() -> None:
    for stream in ("worker", "ledger-sink"):
        waits = SERVICES[stream]["depends_on"]
        assert waits["kafka"]["condition"] == "service_healthy"
        assert waits["init-topics"]["condition"] == "service_completed_successfully"
        assert waits["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("kafka", "postgres", "worker", "ledger-sink", "prometheus", "grafana"):
        assert SERVICES[name]["healthcheck"]["test"], name
    for name, service in SERVICES.items():
        assert set(service.get("depends_on", [])) <= set(SERVICES), name


def test_topics_match_the_code_and_the_partition_count_is_shared() -> None:
    init = SERVICES["init-topics"]["environment"]
    assert init["TOPICS"].split() == list(project_topics())
    worker_env = SERVICES["worker"]["environment"]
    assert init["PARTITIONS"] == worker_env["SLA_TOPIC_PARTITIONS"]
    assert "--if-not-exists" in SERVICES["init-topics"]["command"][0]
    assert init["COMPACTED"].split() == list(COMPACTED_TOPICS)
    assert "cleanup.policy=compact" in SERVICES["init-topics"]["command"][0]


def test_every_topic_an_output_travels_on_is_created() -> None:
    routed = {topic for routes in OUTBOUND_ROUTES.values() for topic, _ in routes}
    routed |= {topic for routes in CALL_ROUTES.values() for topic, _ in routes}  # calls too
    assert routed <= set(project_topics())


def test_kafka_runs_kraft_and_advertises_what_the_workers_use() -> None:
    env = SERVICES["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert len(env["CLUSTER_ID"]) == 22  # base64 of 16 bytes, unpadded


def test_prometheus_scrapes_every_worker_replica_on_its_web_port() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "sla-police"]
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["worker", "ledger-sink"] and sd["type"] == "A"
    assert str(sd["port"]) == SERVICES["worker"]["environment"]["SLA_WEB_PORT"]
    assert str(sd["port"]) == SERVICES["ledger-sink"]["environment"]["SLA_WEB_PORT"]
    mounts = SERVICES["prometheus"]["volumes"]
    assert "./deploy/prometheus/rules:/etc/prometheus/rules:ro" in mounts
    assert config["rule_files"] == ["/etc/prometheus/rules/*.rules.yml"]


def test_grafana_lets_anonymous_viewers_in() -> None:
    env = SERVICES["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


def test_dockerfile_installs_pinned_and_runs_the_worker_unprivileged() -> None:
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.M) == ["python:3.11-slim"] * 2
    assert "--constraint constraints.txt" in DOCKERFILE
    (user,) = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user not in {"root", "0"}
    assert 'ENTRYPOINT ["sla-police"]' in DOCKERFILE and 'CMD ["worker"]' in DOCKERFILE
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"


def compose_command() -> list[str]:
    """How to call Docker Compose: the plugin when Docker has it, else ``docker-compose``
    (Debian's package, which ``scripts/ensure_compose.sh`` installs). Missing, the test fails:
    a skipped check would let a broken compose file through unnoticed."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 timeout=30, check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is None:
        pytest.fail("Docker Compose is not installed: run scripts/ensure_compose.sh (as root) to "
                    "install Debian's docker-compose package", pytrace=False)
    return [legacy]


def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run([*compose_command(), "-f", str(ROOT / "docker-compose.yml"),
                             "config", "-q"], capture_output=True, text=True, timeout=60,
                            check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_a_broken_file(tmp_path) -> None:
    """The check can fail: an option Compose does not know is refused."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text(encoding="utf-8").replace(
        "services:\n", "services:\n  bogus:\n    image: busybox:1.36\n    restart_when: never\n",
        1), encoding="utf-8")
    result = subprocess.run([*compose_command(), "-f", str(broken), "config", "-q"],
                            capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    assert result.returncode != 0
    assert "restart_when" in result.stdout + result.stderr
