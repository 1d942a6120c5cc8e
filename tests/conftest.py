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
import types
import uuid
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections

from project_core.celery import app as celery_app
from video_app import tasks
from video_app.services import progress

BASE_DIR = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery-staple"
# Tests of the video engine use neither the database nor Redis: the production-stack pass of
# `make test` leaves them out (-m "not engine") instead of running them a second time.
ENGINE_TESTS = ("tests/video_app/ai_services/", "tests/video_app/services/test_production.py",
                "tests/video_app/test_make_video.py")  # fmt: skip


def pytest_collection_modifyitems(items):
    for item in items:
        if str(Path(item.path).relative_to(BASE_DIR)).startswith(ENGINE_TESTS):
            item.add_marker(pytest.mark.engine)


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


@pytest.fixture(scope="session")
def subprocess_env(django_db_setup, django_db_blocker):
    """Environment for a child process that must share this run's databases, broker and layer."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project_core.settings.test",
        "DJANGO_DATA_DIR": str(settings.DATA_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    with django_db_blocker.unblock():
        env["DATABASE_URL"] = database_url("default")
        if "channels" in connections.databases:
            env["DJANGO_CHANNELS_DB"] = connections["channels"].settings_dict["NAME"]
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
            [sys.executable, "-m", "celery", "-A", "project_core", "worker",
             "--queues", "light,render", "--concurrency", "1", "--loglevel", "INFO",
             "--hostname", self.name, "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
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

    def wait_until_ready(self, timeout_s: float = 60) -> None:
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
    fake_task = types.SimpleNamespace(delay=lambda *args: runs.append(args))
    monkeypatch.setattr(tasks, "process_video_project", fake_task)
    return runs
