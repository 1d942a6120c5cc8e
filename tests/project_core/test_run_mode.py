"""`make run` in the embedded default: a fresh data folder, the demo login, and supervisord running
the private Redis, the web server and a separate worker; live news from another process reaching
a WebSocket; a killed web server or worker restarted without taking the other down; Ctrl-C
stopping all of it."""

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest
from websockets.sync.client import connect

from tests.conftest import BASE_DIR
from video_app.management.commands.ensure_demo_user import DEMO_PASSWORD

# `make run` on a fresh data folder migrates it first: minutes on a busy machine, counted against
# the first test.
pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]  # `make run` in real processes


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
        ["make", "run"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(base_url, process, log)
        yield base_url, env, log, process
    finally:
        stop(process)
        log.close()


def stop(process) -> list[psutil.Process]:
    """Ctrl-C for the terminal's process group, as in a terminal; then force, if anything lingers.
    Returns what had to be forced."""
    if process.poll() is not None:
        return []
    descendants = psutil.Process(process.pid).children(recursive=True)
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    _gone, lingering = psutil.wait_procs(descendants, timeout=5)
    for leftover in lingering:
        leftover.kill()
    return lingering


# How each program of project_core/supervisord.conf shows in its command line.
PROGRAMS = {"redis": "redis-server", "web": "uvicorn", "worker": "celery"}


def supervised(process, program: str) -> psutil.Process:
    """The running process of a supervisord program under `make run` (the worker's main one)."""
    supervisord = next(
        child
        for child in psutil.Process(process.pid).children(recursive=True)
        if "supervisord" in " ".join(child.cmdline())
    )
    return next(
        child
        for child in supervisord.children()
        if PROGRAMS[program] in " ".join(child.cmdline()) and child.status() != "zombie"
    )


def restarted(process, program: str, old_pid: int, timeout_s: float = 60) -> psutil.Process:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            new = supervised(process, program)
            if new.pid != old_pid:
                return new
        except (StopIteration, psutil.Error):
            pass
        time.sleep(0.2)
    raise AssertionError(f"supervisord did not restart {program}")


def wait_until_answering(base_url, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(base_url + "/healthz/", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run_debug_task(env) -> dict:
    """A job queued from another process; what the worker that ran it said (its pid, ...)."""
    code = (
        "import json; from project_core.celery import debug_task; "
        "print(json.dumps(debug_task.delay().get(timeout=60)))"
    )
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def wait_for(base_url, process, log, timeout_s=450):
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
    base_url, _env, log, _process = running_product

    home = urllib.request.urlopen(base_url + "/").read().decode()
    response, cookies = log_in(base_url, "demo", DEMO_PASSWORD)

    assert "Turn a topic into a finished, narrated video." in home
    assert re.search(rf"username 'demo', password '{DEMO_PASSWORD}'", read(log))
    assert response.geturl() == base_url + "/dashboard/"
    assert "sessionid" in cookies


def test_make_run_serves_the_pages_static_files(running_product):
    base_url, _env, _log, _process = running_product
    home = urllib.request.urlopen(base_url + "/").read().decode()

    stylesheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', home)

    assert stylesheets
    for path in stylesheets:
        response = urllib.request.urlopen(base_url + path)
        assert response.status == 200 and response.read()


def test_make_run_refuses_an_over_size_upload_before_reading_it(running_product):
    base_url, _env, _log, _process = running_product
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    # The headers only: a server that read the whole body before answering would wait here.
    headers = (
        f"POST /api/v1/projects/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 600000000\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=15) as connection:
        connection.sendall(headers.encode())
        response = http.client.HTTPResponse(connection)
        response.begin()
        body = response.read().decode()

    assert response.status == 413
    assert "the most this address accepts" in json.loads(body)["detail"]


def test_make_run_relays_news_from_another_process_to_the_browser(running_product):
    base_url, env, _log, _process = running_product
    _response, cookies = log_in(base_url, "demo", DEMO_PASSWORD)
    headers = {"Cookie": f"sessionid={cookies['sessionid']}", "Origin": base_url}
    publish = (
        "from django.contrib.auth.models import User; "
        "from video_app.services.notifications import notify_user; "
        "notify_user(user_id=User.objects.get(username='demo').pk, text='Your video is ready')"
    )

    with connect(
        base_url.replace("http", "ws") + "/ws/notifications/",
        additional_headers=headers,
        open_timeout=10,
    ) as websocket:
        # Idle for longer than a listener waits in Redis at a time: the socket stays open.
        time.sleep(6)
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", publish], cwd=BASE_DIR, env=env, check=True
        )
        notice = json.loads(websocket.recv(timeout=10))

    assert notice["text"] == "Your video is ready"


def test_make_run_runs_background_jobs_in_its_worker(running_product):
    _base_url, env, _log, process = running_product

    result = run_debug_task(env)

    worker = supervised(process, "worker")
    assert result["pid"] in {child.pid for child in worker.children()}


def test_make_run_queues_on_its_private_redis_and_tells_the_programs_the_site_url(running_product):
    base_url, env, _log, process = running_product
    socket_path = Path(env["DJANGO_DATA_DIR"]) / "redis" / "redis.sock"

    redis = supervised(process, "redis")

    assert f"unixsocket:{socket_path}" in " ".join(redis.cmdline())
    assert redis.net_connections(kind="inet") == []  # no TCP port
    for program in ("web", "worker"):
        assert supervised(process, program).environ()["SITE_URL"] == base_url


def test_make_run_restarts_a_killed_worker_while_the_site_keeps_answering(running_product):
    base_url, env, _log, process = running_product
    web = supervised(process, "web")
    worker = supervised(process, "worker")

    for doomed in (*worker.children(recursive=True), worker):  # all at once, as the OOM killer
        doomed.kill()
    psutil.wait_procs([worker])
    answer = urllib.request.urlopen(base_url + "/healthz/", timeout=10)
    new_worker = restarted(process, "worker", worker.pid)
    result = run_debug_task(env)

    assert answer.status == 200
    assert result["pid"] in {child.pid for child in new_worker.children()}
    assert supervised(process, "web").pid == web.pid


def test_make_run_restarts_a_killed_web_server_and_leaves_the_worker_alone(running_product):
    base_url, env, _log, process = running_product
    web = supervised(process, "web")
    worker = supervised(process, "worker")
    worker_processes = {worker.pid, *(child.pid for child in worker.children())}

    web.kill()
    restarted(process, "web", web.pid)
    wait_until_answering(base_url)
    result = run_debug_task(env)

    assert supervised(process, "worker").pid == worker.pid
    assert result["pid"] in worker_processes


def test_ctrl_c_stops_redis_web_and_worker(running_product):
    _base_url, env, log, process = running_product
    programs = [supervised(process, program) for program in PROGRAMS]

    forced = stop(process)

    assert forced == []
    assert not any(program.is_running() for program in programs)
    assert "stopped: redis (exit status 0)" in read(log)
    assert not (Path(env["DJANGO_DATA_DIR"]) / "redis" / "redis.sock").exists()


def test_make_run_says_how_to_install_redis_server_when_it_is_missing(tmp_path):
    # Every tool the recipe calls, but no redis-server (Debian's /bin is /usr/bin: not on PATH).
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("make", "bash", "sh", "dpkg", "id", "mkdir", "env", "touch"):
        (tools / tool).symlink_to(shutil.which(tool))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update({"PATH": str(tools), "DJANGO_DATA_DIR": str(tmp_path / "data")})

    completed = subprocess.run(
        ["make", "run", f"PORT={free_port()}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode != 0
    assert "make run needs Redis's server" in completed.stdout
    assert "sudo apt-get install redis-server" in completed.stdout
    assert "demo account" not in completed.stdout  # it said so before migrating
