"""The production stack as documented serves the product: static files collected with the
production storage, the Dockerfile's gunicorn with uvicorn workers and prod settings, on this
run's PostgreSQL test database and Redis, behind the TLS proxy's `X-Forwarded-Proto: https`.

Nothing else in the suite runs prod settings end to end: a collectstatic failure once made every
page of the image answer 500 while every other test passed.
"""

import json
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.conftest import BASE_DIR, PASSWORD
from tests.production_stack import (
    ConnectionWatch,
    GunicornServer,
    Hit,
    SimulatedUser,
    StackClient,
    browse,
    collect_static,
    production_env,
    timed,
)
from tests.video_app.factories import make_project
from video_app.models import VideoProject, VideoTemplate
from video_app.services.notifications import notify_user

pytestmark = pytest.mark.stack

BOOTSTRAP_CSS = "vendor/bootstrap/bootstrap.min.css"
# The analytics page's charts: its missing source map once stopped collectstatic.
CHART_JS = "vendor/chartjs/chart.umd.min.js"
ONE_YEAR_S = 365 * 24 * 60 * 60
CONCURRENT_USERS = 50
LOGIN_RAMP_S = 10


@pytest.fixture(scope="module")
def stack_env(subprocess_env, tmp_path_factory):
    """A production container's environment on this run's test database and Redis."""
    database_url = subprocess_env["DATABASE_URL"]
    if not database_url.startswith("postgres"):
        pytest.fail(f"the production stack needs PostgreSQL, not {database_url}")
    if not os.environ.get("REDIS_URL"):
        pytest.fail("the production stack needs Redis: set REDIS_URL (make pytest-stack does)")
    return production_env(
        database_url=database_url,
        redis_url=os.environ["REDIS_URL"],
        static_root=tmp_path_factory.mktemp("staticfiles"),
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture(scope="module")
def manifest(stack_env):
    return collect_static(stack_env, stack_env["DJANGO_STATIC_ROOT"])


@pytest.fixture(scope="module")
def server(stack_env, manifest):
    with GunicornServer(stack_env) as server:
        server.wait_until_ready()
        yield server


@cache
def password_hash() -> str:
    """A hash the server checks: the test settings' fast MD5 hasher is not among prod's."""
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(PASSWORD, hasher.salt())


def make_user(username: str, **fields):
    return get_user_model().objects.create(
        username=username, email=f"{username}@example.com", password=password_hash(), **fields
    )


def assert_served_securely(client: StackClient, server: GunicornServer) -> None:
    """No error page, HSTS on every answer, and every cookie Secure: what the proxy relies on."""
    failed = [exchange for exchange in client.exchanges if exchange.status >= 500]
    assert not failed, f"{failed}\n--- gunicorn output (end) ---\n{server.output_tail(60)}"
    assert all(exchange.hsts for exchange in client.exchanges), client.exchanges
    assert client.set_cookies, "no cookie was set"
    assert all(secure for _name, secure in client.set_cookies), client.set_cookies


def test_it_collects_every_vendored_file_under_a_hashed_name(stack_env, manifest):
    static_root = Path(stack_env["DJANGO_STATIC_ROOT"])
    vendored = [path for path in (BASE_DIR / "static" / "vendor").rglob("*") if path.is_file()]

    assert vendored
    for path in vendored:
        name = str(path.relative_to(BASE_DIR / "static"))
        assert manifest.get(name, name) != name, f"{name} has no hashed name in the manifest"
        assert (static_root / manifest[name]).is_file(), manifest[name]


def test_it_redirects_plain_http_to_https(server):
    response = httpx.get(server.url + "/dashboard/?page=2")

    assert response.status_code == 301
    assert response.headers["location"] == f"https://127.0.0.1:{server.port}/dashboard/?page=2"


@pytest.mark.django_db(transaction=True)
def test_it_signs_up_logs_in_and_makes_a_project_through_the_forms(server, manifest):
    visitor = StackClient(server.url)
    home = visitor.get("/")
    visitor.get("/accounts/signup/")
    signed_up = visitor.post_form(
        "/accounts/signup/",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    carol = StackClient(server.url)
    logged_in = carol.log_in("carol", PASSWORD)
    dashboard = carol.follow(logged_in)
    carol.get("/projects/new/")
    created = carol.post_form(
        "/projects/new/",
        {
            "title": "Tides explained",
            "description": "Why the sea comes and goes",
            "template": VideoTemplate.objects.get(slug="explainer").pk,
            "platforms": ["youtube"],
            "style": "modern",
            "voice_id": "",
            "language": "en",
        },
    )
    script_page = carol.follow(created)
    project = VideoProject.objects.get(user__username="carol")
    detail = carol.get(f"/projects/{project.pk}/")
    status = carol.get(f"/projects/{project.pk}/status/")

    assert home.status_code == 200
    assert f"/static/{manifest[BOOTSTRAP_CSS]}" in home.text  # the manifest's name, not the source
    assert (signed_up.status_code, signed_up.headers["location"]) == (302, "/dashboard/")
    assert (logged_in.status_code, logged_in.headers["location"]) == (302, "/dashboard/")
    assert dashboard.status_code == 200
    assert "carol" in dashboard.text
    assert created.headers["location"] == f"/projects/{project.pk}/script/"
    assert script_page.status_code == 200
    assert detail.status_code == 200
    assert "Tides explained" in detail.text
    assert status.json()["status"] == VideoProject.Status.DRAFT
    assert {"sessionid", "csrftoken"} <= set(carol.cookies)
    assert_served_securely(visitor, server)
    assert_served_securely(carol, server)


@pytest.mark.django_db(transaction=True)
def test_it_opens_admin_and_its_analytics_to_staff(server, manifest):
    make_user("dora", is_staff=True, is_superuser=True)
    staff = StackClient(server.url)
    staff.log_in("dora", PASSWORD)

    pages = [
        staff.get(path)
        for path in (
            "/admin/",
            "/admin/video_app/videoproject/",
            "/admin/video_app/stepperformance/analytics/",
        )
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert 'action="/admin/logout/"' in pages[0].text  # signed in, not the admin's login form
    assert f"/static/{manifest[CHART_JS]}" in pages[2].text
    assert_served_securely(staff, server)


def test_it_serves_hashed_static_files_compressed_and_cached_for_long(stack_env, server, manifest):
    static_root = Path(stack_env["DJANGO_STATIC_ROOT"])
    client = StackClient(server.url)

    response = client.get(f"/static/{manifest[BOOTSTRAP_CSS]}", headers={"Accept-Encoding": "gzip"})

    max_age = re.search(r"max-age=(\d+)", response.headers["cache-control"])
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert int(max_age.group(1)) >= ONE_YEAR_S
    assert "immutable" in response.headers["cache-control"]
    assert "strict-transport-security" in response.headers
    assert response.text == (static_root / manifest[BOOTSTRAP_CSS]).read_text()


@pytest.mark.django_db(transaction=True)
def test_it_streams_progress_and_notifications_over_websockets(server):
    alice = make_user("alice")
    project = make_project(alice)
    client = StackClient(server.url)
    client.log_in("alice", PASSWORD)

    with client.websocket(f"/ws/projects/{project.pk}/") as progress:
        state = json.loads(progress.recv(timeout=15))
    with client.websocket("/ws/notifications/") as notifications:
        # From this process, through Redis, to the socket a gunicorn worker holds.
        notify_user(user_id=alice.pk, text="Your video is ready")
        notice = json.loads(notifications.recv(timeout=15))

    assert (state["type"], state["project"], state["status"]) == (
        "progress",
        project.pk,
        project.status,
    )
    assert (notice["type"], notice["text"]) == ("notice", "Your video is ready")


@pytest.mark.django_db(transaction=True)
def test_it_serves_fifty_users_at_once_within_the_connection_budget(stack_env, server, manifest):
    users = [make_user(f"user{number}") for number in range(CONCURRENT_USERS)]
    visitors = [
        SimulatedUser(
            user.username, PASSWORD, make_project(user).pk, f"/static/{manifest[BOOTSTRAP_CSS]}"
        )
        for user in users
    ]
    clients = [StackClient(server.url) for _ in visitors]
    # Each web worker's pool holds at most DATABASE_POOL_MAX_SIZE connections (the watch counts
    # the server's only: not this process's, nor a test worker's). One more for a connection a
    # pool is replacing (a broken one): the old backend leaves pg_stat_activity a moment after
    # the new one connects.
    budget = server.workers * settings.DATABASE_POOL_MAX_SIZE + 1

    # Users arrive over LOGIN_RAMP_S, as people do (a login hashes its password for about
    # 0.3 s of CPU, which 2 cores cannot do 50 times at one instant within any pool timeout),
    # then all 50 browse at once.
    started = time.monotonic()
    everyone_in = threading.Barrier(CONCURRENT_USERS)

    def visit(number: int, client: StackClient, visitor: SimulatedUser) -> list[Hit]:
        time.sleep(max(0.0, started + number * LOGIN_RAMP_S / CONCURRENT_USERS - time.monotonic()))
        login = timed("login", lambda: client.log_in(visitor.username, visitor.password), 302)
        everyone_in.wait(timeout=120)
        return [login, *browse(client, visitor, rounds=3)]

    with (
        ConnectionWatch(stack_env["DATABASE_URL"], server_pid=server.process.pid) as watch,
        ThreadPoolExecutor(CONCURRENT_USERS) as pool,
    ):
        visits = list(pool.map(visit, range(CONCURRENT_USERS), clients, visitors))
    for client in clients:
        client.close()

    hits = [hit for visit in visits for hit in visit]
    errors = Counter(f"{hit.page}: {hit.error}" for hit in hits if hit.error)
    assert not errors, f"{dict(errors)}, server exceptions: {dict(server.exceptions)}"
    assert len(hits) == CONCURRENT_USERS * (1 + 3 * 4)
    assert watch.samples > 0
    assert watch.peak <= budget, f"{watch.peak} connections to the test database (budget {budget})"
