"""The production stack as README.md, the Dockerfile and docker-compose.yml describe it, for the
stack tests and the load benchmark: static files collected with the production storage, gunicorn
started with the Dockerfile's own command, and a client that talks to it as the TLS proxy does.

Nothing here mocks a part of the stack: prod settings, WhiteNoise, uvicorn workers, PostgreSQL
through the per-process pool and Redis are the real ones; only the proxy is played by the client.
"""

import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import environ
import httpx
import psutil
import psycopg
from websockets.sync.client import ClientConnection, connect

BASE_DIR = Path(__file__).resolve().parents[1]
DOCKERFILE = BASE_DIR / "Dockerfile"
PROD_SETTINGS = "project_core.settings.prod"
# Prod settings refuse to start without a secret; check --deploy wants 50+ characters.
DUMMY_SECRET_KEY = "production-stack-dummy-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = "localhost,127.0.0.1"
ACCESS_LOG_LINE = re.compile(r'^[\d.:]+ - "')  # uvicorn's: 127.0.0.1:40000 - "GET / HTTP/1.1" 200
# The last line of a traceback: "psycopg_pool.PoolTimeout: couldn't get a connection after ..."
EXCEPTION_LINE = re.compile(r"^(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Timeout): .+")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(
    *,
    database_url: str,
    redis_url: str,
    static_root: Path | str,
    data_dir: Path | str,
    **extra: str,
) -> dict[str, str]:
    """The environment of a production container: prod settings, and nothing from a developer's
    shell that could change them (DJANGO_*, DATABASE_URL, REDIS_URL and EMAIL_URL are dropped;
    DATABASE_POOL_* pass through, as a deployment's .env would set them)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": PROD_SETTINGS,
            "DJANGO_READ_DOT_ENV_FILE": "False",
            "DJANGO_SECRET_KEY": DUMMY_SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": ALLOWED_HOSTS,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DJANGO_STATIC_ROOT": str(static_root),
            "DJANGO_DATA_DIR": str(data_dir),
            # django-environ's scheme for Django's console backend: emails go to the log.
            "EMAIL_URL": "consolemail://",
            "PYTHONUNBUFFERED": "1",
            # Every test signs up from 127.0.0.1, into a Redis that outlives a test session.
            "SIGNUPS_PER_ADDRESS_PER_HOUR": "100000",
            # gunicorn's control socket goes here, not in ~/.gunicorn shared by every server.
            "XDG_RUNTIME_DIR": str(data_dir),
            # The image installs gunicorn on its PATH; here it is the virtualenv's.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **extra,
        }
    )
    return env


def collect_static(env: dict[str, str], static_root: Path | str) -> dict[str, str]:
    """`collectstatic` as the image build runs it; returns the manifest's paths (name -> hashed
    name). A failure raises with collectstatic's whole output: it is the reason pages 500."""
    completed = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": PROD_SETTINGS,
            "DJANGO_STATIC_ROOT": str(static_root),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"collectstatic with {PROD_SETTINGS} failed (exit {completed.returncode}):\n"
            + completed.stdout
        )
    return json.loads((Path(static_root) / "staticfiles.json").read_text())["paths"]


def dockerfile_command(dockerfile: Path = DOCKERFILE) -> list[str]:
    """The image's CMD (exec form), read from the Dockerfile so that a broken command there
    breaks the tests too."""
    text = dockerfile.read_text().replace("\\\n", " ")
    match = re.search(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    if not match:
        raise ValueError(f"{dockerfile} has no CMD in exec form (a JSON array)")
    return json.loads(match.group(1))


def with_bind(command: list[str], address: str) -> list[str]:
    """The command with only its `--bind` value replaced (workers, timeout and the rest kept)."""
    if "--bind" not in command:
        raise ValueError(f"the Dockerfile's CMD has no --bind: {command}")
    index = command.index("--bind") + 1
    return [*command[:index], address, *command[index + 1 :]]


class StackProcess:
    """A server of the stack started in its own process group, its output read by a thread
    (`_read_output`); stopped warmly, then killed whole if it lingers."""

    def _start(self, env: dict[str, str]) -> None:
        executable = shutil.which(self.command[0], path=env["PATH"])
        if executable is None:
            raise FileNotFoundError(f"{self.command[0]} is not on PATH ({env['PATH']})")
        self.process = subprocess.Popen(
            [executable, *self.command[1:]],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stop() can reach stray children
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        raise NotImplementedError

    def process_tree(self) -> list[psutil.Process]:
        try:
            main = psutil.Process(self.process.pid)
            return [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time of the main process and its live children so far."""
        total = 0.0
        for process in self.process_tree():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def stop(self) -> None:
        """SIGTERM (a graceful stop), then SIGKILL for the whole group if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(timeout=5)
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


class GunicornServer(StackProcess):
    """The Dockerfile's gunicorn on 127.0.0.1 and a free port, its output kept for failures."""

    def __init__(self, env: dict[str, str], *, port: int | None = None, output_lines: int = 2000):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = with_bind(dockerfile_command(), f"127.0.0.1:{self.port}")
        self.workers = int(self.command[self.command.index("--workers") + 1])
        # Its output without the access log (long under load): startup, warnings, tracebacks.
        self.log: deque[str] = deque(maxlen=output_lines)
        self.exceptions: Counter[str] = Counter()  # every traceback's last line (and its causes)
        self._start(env)

    def _read_output(self) -> None:
        for line in self.process.stdout:
            if not ACCESS_LOG_LINE.match(line):
                self.log.append(line)
            if EXCEPTION_LINE.match(line):
                self.exceptions[line.strip()[:200]] += 1

    def output_tail(self, lines: int = 200) -> str:
        """The end of gunicorn's output without its access log: startup, warnings, tracebacks."""
        return "".join(list(self.log)[-lines:])

    def wait_until_ready(self, timeout_s: float = 120) -> None:
        """Every worker has loaded the application and /healthz/ (plain HTTP: exempt from the
        HTTPS redirect, as a load balancer calls it) answers 200."""
        deadline = time.monotonic() + timeout_s
        while self.process.poll() is None and time.monotonic() < deadline:
            if self._workers_started() >= self.workers and self._healthy():
                return
            time.sleep(0.3)
        raise RuntimeError(
            f"gunicorn did not become ready ({' '.join(self.command)}):\n" + self.output_tail()
        )

    def _workers_started(self) -> int:
        return sum("Application startup complete" in line for line in list(self.log))

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz/", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    hsts: bool


class StackClient:
    """HTTP to the stack as the TLS-terminating proxy forwards a browser's requests.

    Every request says `X-Forwarded-Proto: https`. Cookies are kept here, not by httpx: production
    cookies are Secure, and a cookie jar rightly refuses to send them over the plain HTTP this
    client really speaks. POSTs carry the CSRF token and the https Origin and Referer a browser
    would send. Every exchange and every cookie set is recorded for the tests' checks.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 60):
        self.base_url = base_url
        self.origin = "https://" + urllib.parse.urlsplit(base_url).netloc
        # The server closes a connection idle for gunicorn's `keepalive` (2 s; uvicorn workers
        # use it): a client that reuses one for longer (httpx keeps them 5 s) races that close and
        # now and then reads a reset. Browsers retry such a request; this client lets idle
        # connections go first.
        self.http = httpx.Client(
            base_url=base_url,
            timeout=timeout_s,
            follow_redirects=False,
            limits=httpx.Limits(keepalive_expiry=1.0),
        )
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[tuple[str, bool]] = []  # (name, Secure?) of each cookie set
        self.exchanges: list[Exchange] = []

    def request(
        self, method: str, path: str, *, headers=None, send_cookies=True, **kwargs
    ) -> httpx.Response:
        cookies = self._cookie_header() if send_cookies else {}
        headers = {"X-Forwarded-Proto": "https", **cookies, **(headers or {})}
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.http.cookies.clear()  # httpx's own jar stays empty: cookies are handled here
        self._keep_cookies(response)
        hsts = "strict-transport-security" in response.headers
        self.exchanges.append(Exchange(method, path, response.status_code, hsts))
        return response

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict) -> httpx.Response:
        """A form submitted from the page at `path` itself, as the browser does."""
        form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        headers = {"Origin": self.origin, "Referer": self.origin + path}
        return self.request("POST", path, data=form, headers=headers)

    def follow(self, response: httpx.Response, limit: int = 5) -> httpx.Response:
        """Follows redirects within the site (an https URL of this host is mapped back)."""
        while response.is_redirect and limit:
            response = self.get(self.local_path(response.headers["location"]))
            limit -= 1
        return response

    def local_path(self, location: str) -> str:
        if location.startswith(self.origin):
            return location[len(self.origin) :] or "/"
        if location.startswith(("http://", "https://")):
            raise ValueError(f"redirect off the site: {location}")
        return location

    def log_in(self, username: str, password: str) -> httpx.Response:
        """The login form, as a browser fills it in; returns the answer to the POST."""
        self.get("/accounts/login/")
        return self.post_form("/accounts/login/", {"username": username, "password": password})

    def websocket(self, path: str) -> ClientConnection:
        """A WebSocket with this session's cookie and the site's https Origin."""
        headers = {"Origin": self.origin, "X-Forwarded-Proto": "https", **self._cookie_header()}
        url = self.base_url.replace("http://", "ws://", 1) + path
        return connect(url, additional_headers=headers, open_timeout=15)

    def close(self) -> None:
        self.http.close()

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    # A deletion (Django sends it without Secure; over https a browser applies it).
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
                    self.set_cookies.append((name, bool(morsel["secure"])))


class ConnectionWatch:
    """Polls pg_stat_activity for the client connections to one database, keeping the peak.
    Counted are the connections of the process tree of `server_pid` (told apart by their client
    ports), or, without it, of every process but this one (the watch itself uses the
    maintenance database). Use as a context manager."""

    def __init__(self, database_url: str, interval_s: float = 0.1, server_pid: int | None = None):
        config = environ.Env.db_url_config(database_url)
        self.database = config["NAME"]
        self.connect_kwargs = {
            "dbname": "postgres",
            "user": config["USER"],
            "password": config["PASSWORD"] or None,
            "host": config["HOST"] or "localhost",
            "port": int(config["PORT"] or 5432),
        }
        self.interval_s = interval_s
        self.server_pid = server_pid
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def count(self, cursor) -> int:
        cursor.execute(
            "SELECT client_port FROM pg_stat_activity"
            " WHERE datname = %s AND backend_type = 'client backend'",
            [self.database],
        )
        ports = [port for (port,) in cursor.fetchall()]
        if self.server_pid is None:
            own = self._ports_of([psutil.Process()])  # after the query: a closed one counts
            return sum(1 for port in ports if port not in own)
        server = psutil.Process(self.server_pid)
        served = self._ports_of([server, *server.children(recursive=True)])
        return sum(1 for port in ports if port in served)

    def _ports_of(self, processes: list[psutil.Process]) -> set[int]:
        ports = set()
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                ports |= {
                    connection.laddr.port
                    for connection in process.net_connections(kind="tcp")
                    if connection.raddr and connection.raddr.port == self.connect_kwargs["port"]
                }
        return ports

    def _poll(self) -> None:
        with psycopg.connect(**self.connect_kwargs, autocommit=True) as connection:
            cursor = connection.cursor()
            while not self._stop.is_set():
                self.peak = max(self.peak, self.count(cursor))
                self.samples += 1
                self._stop.wait(self.interval_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=10)


# --- Simulated users --------------------------------------------------------------------------


@dataclass
class Hit:
    """One request of a simulated user: what it was for, how long, and what went wrong."""

    page: str
    elapsed_s: float
    status: int = 0  # 0: no response at all
    error: str = ""  # "" when the answer was the expected one


@dataclass
class SimulatedUser:
    username: str
    password: str
    project_id: int
    static_path: str  # a hashed name from the manifest
    api_token: str = ""
    # The API's status call is a script polling a run, which the API allows 60 times a minute
    # per user (video_app/api/throttling.py): a round includes it at most this often.
    api_poll_every_s: float = 1.5
    _last_api_poll: float = field(default=-math.inf, repr=False)

    def pages(self) -> list[tuple[str, str, dict]]:
        """(page, path, request options) of the next round through the product."""
        pages = [
            ("dashboard", "/dashboard/", {}),
            ("project", f"/projects/{self.project_id}/", {}),
            ("status_json", f"/projects/{self.project_id}/status/", {}),
            ("static", self.static_path, {"headers": {"Accept-Encoding": "gzip"}}),
        ]
        if self.api_token and time.monotonic() - self._last_api_poll >= self.api_poll_every_s:
            self._last_api_poll = time.monotonic()
            # A script's call: the token alone, without the browser's session cookie.
            options = {
                "headers": {"Authorization": f"Token {self.api_token}"},
                "send_cookies": False,
            }
            pages.append(("api_status", f"/api/v1/projects/{self.project_id}/status/", options))
        return pages


def timed(page: str, call: Callable[[], httpx.Response], expected: int = 200) -> Hit:
    started = time.perf_counter()
    try:
        response = call()
    except httpx.HTTPError as error:
        return Hit(page, time.perf_counter() - started, error=type(error).__name__)
    elapsed = time.perf_counter() - started
    error = "" if response.status_code == expected else f"HTTP {response.status_code}"
    if response.status_code >= 500:
        error = "HTTP 5xx"
    return Hit(page, elapsed, response.status_code, error)


def browse(
    client: StackClient, user: SimulatedUser, *, rounds: int = 0, until: float = 0.0
) -> list[Hit]:
    """Rounds through the user's pages, either `rounds` times or until the monotonic time
    `until`. A round starts by logging in through the form whenever there is no session."""
    hits = []
    done = 0
    while (rounds and done < rounds) or (until and time.monotonic() < until):
        done += 1
        if "sessionid" not in client.cookies:
            login = timed("login", lambda: client.log_in(user.username, user.password), 302)
            hits.append(login)
            if login.error:
                continue  # the pages would only redirect to the login form
        for page, path, options in user.pages():
            hits.append(timed(page, lambda path=path, options=options: client.get(path, **options)))
    return hits


# --- Celery workers ---------------------------------------------------------------------------

COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
CELERY_RECEIVED_LINE = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[\w-]+)\] received")


def compose_worker_command(compose_file: Path = COMPOSE_FILE) -> list[str]:
    """The `worker` service's command in docker-compose.yml, so that the stack under test runs
    what a deployment runs."""
    import yaml

    command = yaml.safe_load(compose_file.read_text())["services"]["worker"]["command"]
    return command.split() if isinstance(command, str) else list(command)


class CeleryWorker(StackProcess):
    """compose's worker command as one node of its own name and `concurrency` processes, its
    whole output kept (the tasks it was handed, and the emails of the console backend)."""

    def __init__(self, env: dict[str, str], *, name: str, concurrency: int = 1):
        command = compose_worker_command()
        index = command.index("--concurrency") + 1
        command = [*command[:index], str(concurrency), *command[index + 1 :]]
        # Gossip and mingle only slow the start down: the nodes need not know one another.
        self.command = [
            *command,
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        self.name = name
        self.output: list[str] = []
        self._ready = threading.Event()
        self._start(env)

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            if " ready." in line:
                self._ready.set()

    def wait_until_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not self._ready.wait(0.3):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker {self.name} did not start:\n" + self.tail())

    def received(self) -> Counter[str]:
        """How many times this node was handed each task (by task name)."""
        return Counter(
            match["name"] for line in self.output if (match := CELERY_RECEIVED_LINE.search(line))
        )

    def tail(self, lines: int = 100) -> str:
        return "".join(self.output[-lines:])
