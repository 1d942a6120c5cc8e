"""Fixtures shared by the whole suite.

Users follow one convention: alice owns things, bob is another signed-in user, and anonymous
visitors use a plain client. Integration tests start real processes (a Celery worker, a publisher)
that reach the test databases through `subprocess_env`.
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections

from project_core.celery import app as celery_app
from project_core.embedded import EmbeddedRedis
from tests import databases, timeouts
from video_app.services import dispatch, progress

BASE_DIR = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery-staple"
# Tests of the video engine use neither the database nor Redis: the production-stack pass of
# `make test` leaves them out (-m "not engine") instead of running them a second time.
ENGINE_TESTS = (
    "tests/video_app/engine/",
    "tests/video_app/services/test_composition.py",
    "tests/video_app/services/test_recommendations.py",
)


def pytest_configure(config):
    config.pluginmanager.register(timeouts, "tests.timeouts")


# `make test-fast` leaves out tests marked `slow`: those with a browser or fault injection (by
# folder), those with a real process beside them (a worker, a server, a publisher: every one
# reaches this run's databases through `subprocess_env`), and those marked by hand for real renders
# and model inference.
SLOW_FOLDERS = ("tests/e2e/", "tests/faults/")
SLOW_FIXTURES = {"subprocess_env"}


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(Path(item.path).relative_to(BASE_DIR))
        if path.startswith(ENGINE_TESTS):
            item.add_marker(pytest.mark.engine)
        if path.startswith(SLOW_FOLDERS) or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker):
    """Test databases built in seconds, not by replaying every migration (tests/databases.py)."""
    with django_db_blocker.unblock():
        databases.build_test_databases_fast()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        databases.record_migrations_applied()


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", PASSWORD)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def database_url(alias: str) -> str:
    """The URL of a database as this test process uses it (the test database, once set up)."""
    database = connections[alias].settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )


@pytest.fixture(scope="session", autouse=True)
def embedded_redis():
    """The embedded pass's private Redis for the whole session, started before anything connects
    and shared with the workers and commands it starts (subprocess_env); None on the production
    stack, whose Redis REDIS_URL names."""
    if not settings.EMBEDDED_REDIS:
        yield None
        return
    server = EmbeddedRedis(settings.EMBEDDED_REDIS_DIR)
    server.start()
    # A fresh queue, cache and channel layer: nothing left by an earlier session.
    redis.Redis(unix_socket_path=str(server.socket)).flushall()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def subprocess_env(django_db_setup, django_db_blocker, embedded_redis):
    """Environment for a child process that must share this run's databases, Redis and layer."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project_core.settings.test",
        "DJANGO_DATA_DIR": str(settings.DATA_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    with django_db_blocker.unblock():
        env["DATABASE_URL"] = database_url("default")
    return env


class WorkerProcess:
    """A real `celery worker` process consuming both queues, with its output kept for failures."""

    def __init__(self, env):
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.env = env
        self.output: list[str] = []
        self._start()

    def _start(self):
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project_core",
                "worker",
                "--queues",
                "light,render",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--hostname",
                self.name,
                "--without-gossip",
                "--without-mingle",
                # Faults to order (tests/faults): inert unless the environment asks for one.
                "--include",
                "tests.faults.pause",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read_output, args=(self.process,), daemon=True).start()

    def _read_output(self, process):
        for line in process.stdout:
            self.output.append(line)
            if " ready." in line:
                self._ready.set()

    def kill(self) -> None:
        """Die at once with everything in hand, as a crash or the OOM killer would do it."""
        main = psutil.Process(self.process.pid)
        for process in (*main.children(recursive=True), main):
            process.kill()
        self.process.wait()

    def restart(self, env: dict | None = None) -> None:
        """A new worker process of the same name (a supervisor's restart), with `env`."""
        if self.process.poll() is None:
            self.stop()
        self.env = env or self.env
        self._start()
        self.wait_until_ready()

    def wait_until_ready(self, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while not self._ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Celery worker did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()  # warm shutdown: finishes the current task
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(subprocess_env):
    """One real worker for the session, on the same broker and databases as the tests."""
    celery_app.control.purge()  # messages left by an interrupted earlier run
    worker = WorkerProcess(subprocess_env)
    try:
        worker.wait_until_ready()
        yield worker
    finally:
        worker.stop()


# --- Pages and services without real processes -------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored files in this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def no_progress_news(monkeypatch):
    """Progress is stored as usual, but not announced over the channel layer."""
    monkeypatch.setattr(progress, "publish", lambda project_id: None)


@pytest.fixture
def queued(monkeypatch):
    """The runs handed to Celery, as (project id, run, scene ids, force); none really queued."""
    runs = []

    def queue_run(*, project, run, scene_ids, force):
        runs.append((project.pk, run, list(scene_ids), force))

    monkeypatch.setattr(dispatch, "queue_run", queue_run)
    return runs
