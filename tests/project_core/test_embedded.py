"""The embedded default's own Redis, started by whoever needs it when `make run` is not running:
it answers on its socket while it runs and leaves nothing running behind it."""

import subprocess
import sys

import psutil
import pytest

from project_core.embedded import EmbeddedRedis, redis_answers
from tests.conftest import BASE_DIR


def redis_servers_in(folder) -> list[psutil.Process]:
    return [
        process
        for process in psutil.process_iter(["name", "cmdline"])
        if process.info["name"] == "redis-server"
        and str(folder) in " ".join(process.info["cmdline"] or ())
    ]


def test_it_answers_on_its_socket_while_it_runs_and_leaves_nothing_behind(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis")
    assert not redis_answers(server.socket)

    server.start()
    try:
        assert redis_answers(server.socket)
        assert len(redis_servers_in(tmp_path)) == 1
    finally:
        server.stop()

    assert not redis_answers(server.socket)
    assert redis_servers_in(tmp_path) == []


@pytest.mark.embedded  # the production stack names its Redis: nothing to start
@pytest.mark.django_db(transaction=True)
def test_make_video_starts_its_own_redis_when_none_runs_and_stops_it(tmp_path, subprocess_env):
    """A data folder of its own, so no Redis answers there (the database is this run's)."""
    script = tmp_path / "script.txt"
    script.write_text("Bees talk by dancing.")
    data = tmp_path / "data"

    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "make_video",
            "--script-file",
            str(script),
            "--platform",
            "instagram_square",
            "--out",
            str(tmp_path / "videos"),
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        env={**subprocess_env, "DJANGO_DATA_DIR": str(data)},
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (data / "redis" / "redis.log").exists()  # it ran there
    assert not redis_answers(data / "redis" / "redis.sock")
    assert redis_servers_in(data) == []
