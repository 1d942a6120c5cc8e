"""`make run` in the embedded default: a fresh data folder, the demo login, the web server and a
separate worker, and live news from another process reaching a WebSocket."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.conftest import BASE_DIR
from video_app.management.commands.ensure_demo_user import DEMO_PASSWORD


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def running_product(tmp_path_factory):
    """`make run` on a free port with its own data folder, stopped (with its worker) afterwards."""
    tmp_path = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update({"PORT": str(port), "DJANGO_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"})
    # Append mode: the processes write at the end whatever the test reads (read() opens anew).
    log = (tmp_path / "make-run.log").open("a")
    process = subprocess.Popen(
        ["make", "run"], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(base_url, process, log)
        yield base_url, env, log
    finally:
        stop(process)
        log.close()


def stop(process):
    """Ctrl-C for the whole process group, as in a terminal; then force, if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(base_url, process, log, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(base_url + "/healthz/", timeout=2)
            if "ready." in read(log):  # the worker, too, is listening
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("make run did not come up:\n" + read(log))


def read(log) -> str:
    return Path(log.name).read_text(errors="replace")


def log_in(base_url, username, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base_url + "/accounts/login/")
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": csrf}
    ).encode()
    request = urllib.request.Request(
        base_url + "/accounts/login/", data=form, headers={"Referer": base_url + "/"}
    )
    response = opener.open(request)
    return response, {cookie.name: cookie.value for cookie in jar}


def test_make_run_serves_the_product_with_the_demo_login(running_product):
    base_url, _env, log = running_product

    home = urllib.request.urlopen(base_url + "/").read().decode()
    response, cookies = log_in(base_url, "demo", DEMO_PASSWORD)

    assert "Turn a topic into a finished, narrated video." in home
    assert re.search(rf"username 'demo', password '{DEMO_PASSWORD}'", read(log))
    assert response.geturl() == base_url + "/dashboard/"
    assert "sessionid" in cookies


def test_make_run_relays_news_from_another_process_to_the_browser(running_product):
    base_url, env, _log = running_product
    _response, cookies = log_in(base_url, "demo", DEMO_PASSWORD)
    headers = {"Cookie": f"sessionid={cookies['sessionid']}", "Origin": base_url}
    publish = (
        "from django.contrib.auth.models import User; "
        "from video_app.services.notifications import notify_user; "
        "notify_user(user_id=User.objects.get(username='demo').pk, text='Your video is ready')"
    )

    with connect(base_url.replace("http", "ws") + "/ws/notifications/", additional_headers=headers,
                 open_timeout=10) as websocket:  # fmt: skip
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", publish], cwd=BASE_DIR, env=env, check=True
        )
        notice = json.loads(websocket.recv(timeout=10))

    assert notice["text"] == "Your video is ready"


def test_make_run_runs_background_jobs_in_its_worker(running_product):
    _base_url, env, _log = running_product
    code = (
        "import os, json; from project_core.celery import debug_task; "
        "result = debug_task.delay().get(timeout=30); "
        "print(json.dumps({'worker_pid': result['pid'], 'caller_pid': os.getpid()}))"
    )

    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    pids = json.loads(completed.stdout.strip().splitlines()[-1])

    assert pids["worker_pid"] != pids["caller_pid"]
