"""End-to-end fixtures: the real product in a real browser.

`live_server_stack` starts uvicorn (HTTP and WebSockets) and a Celery worker on this run's
databases, broker and channel layer; `page` is Debian's Chromium driven by Playwright, with the
page's console errors collected and a screenshot in `var/test/e2e/` when a test fails. The server
is another process, so e2e tests use `@pytest.mark.django_db(transaction=True,
databases="__all__")`: it only sees committed rows.
"""

import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from tests.conftest import BASE_DIR, WorkerProcess

CHROMIUM = "/usr/bin/chromium"  # Debian's package (`make test` installs it); never a download
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000

# The web server as `make run` runs it (project_core/supervisord.conf): uvicorn serving
# project_core/run_asgi.py, static files through Django's handler. Media stay private.
SERVE_PRODUCT = ["-m", "uvicorn", "project_core.run_asgi:application", "--host", "127.0.0.1"]
SERVE_OPTIONS = ["--lifespan", "off", "--ws", "websockets"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServerStack:
    """The web server (its output kept for failure reports) and the worker behind it."""

    url: str
    process: subprocess.Popen
    worker: WorkerProcess
    output: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    def wait_until_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("The web server did not answer /healthz/:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        self.process.stdout.close()


@pytest.fixture(scope="session")
def live_server_stack(subprocess_env, celery_worker_process):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *SERVE_PRODUCT, *SERVE_OPTIONS, "--port", str(port)],
        cwd=BASE_DIR,
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = LiveServerStack(f"http://127.0.0.1:{port}", process, celery_worker_process)
    try:
        stack.wait_until_healthy()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="package", autouse=True)
def django_beside_playwright(live_server_stack):
    """Playwright's sync API keeps an asyncio loop running in the test's thread, which Django
    takes for async code and refuses ORM calls (test bodies, the flush after each test). They
    stay synchronous, between browser calls, so the check is lifted for this package only; the
    server and the worker, started before, keep it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the package: package-scoped, not session-scoped, so that Playwright's
    event loop is gone before the tests of other packages (async_to_sync refuses to run in a
    thread where a loop is running)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server_stack):
    """A fresh browser session on the live server (relative URLs work); `page.console_errors`
    lists console errors, uncaught exceptions and requests to the server that failed."""
    context = browser.new_context(base_url=live_server_stack.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = []

    def on_console(message):
        if message.type == "error":
            source = message.location.get("url")
            page.console_errors.append(f"{message.text} ({source})" if source else message.text)

    def on_request_failed(request):
        # ERR_ABORTED is the browser cancelling what the page no longer needs (a script or a
        # preview still loading when the test clicks through to the next page): not a failure.
        if request.url.startswith(live_server_stack.url) and request.failure != "net::ERR_ABORTED":
            page.console_errors.append(f"{request.method} {request.url}: {request.failure}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.console_errors.append(f"uncaught exception: {error}"))
    page.on("requestfailed", on_request_failed)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed e2e test: a screenshot of the page and the end of the server's output."""
    report = yield
    if report.when == "call" and report.failed:
        if page := item.funcargs.get("page"):
            name = re.sub(r"[^\w.-]", "_", item.name)
            path = Path(settings.DATA_DIR) / "e2e" / f"{name}.png"
            try:
                page.screenshot(path=path, full_page=True)
                report.sections.append(("e2e screenshot", str(path)))
            except PlaywrightError as error:  # a crashed page must not hide the test's failure
                report.sections.append(("e2e screenshot", f"not taken: {error}"))
        if stack := item.funcargs.get("live_server_stack"):
            report.sections.append(("Web server output (end)", "".join(stack.output[-100:])))
    return report
