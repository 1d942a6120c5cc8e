"""A project's status has its own limit, 60 calls a minute per user, instead of the plan's hourly
budget: a script polling every 2 s is never refused, and its polls leave the budget whole. The
clock is the throttle's own (`StatusPollThrottle.timer`), moved by the tests."""

import contextlib
import threading
import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings as project_settings
from django.core.cache import cache
from django.urls import reverse
from rest_framework.exceptions import Throttled

from payments_app.models import Plan
from tests.video_app.api.conftest import token_client
from tests.video_app.api.test_throttling import calls_until_refused
from tests.video_app.factories import make_project
from video_app.api.throttling import STATUS_CALLS_PER_WINDOW, StatusPollThrottle

pytestmark = pytest.mark.django_db

# The settings' cache, read before the API tests' fixture (conftest.own_cache) replaces it.
SHARED_CACHE = project_settings.CACHES["default"]
START_S = 1_800_000_000.0  # a minute's first second: 1_800_000_000 is a multiple of 60


class Clock:
    def __init__(self, now_s: float):
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(START_S)
    monkeypatch.setattr(StatusPollThrottle, "timer", clock)
    return clock


def status_url(project) -> str:
    return reverse("api:project-status", kwargs={"pk": project.pk})


def status_answers(client, project, calls: int, clock: Clock, every_s: float = 0) -> list[int]:
    answers = []
    for _ in range(calls):
        answers.append(client.get(status_url(project)).status_code)
        clock.now_s += every_s
    return answers


def test_it_lets_a_free_user_poll_status_every_two_seconds_past_the_hourly_budget(alice, clock):
    client = token_client(alice)
    project = make_project(alice)

    polled = status_answers(client, project, 150, clock, every_s=2)
    answered, refused = calls_until_refused(client, 102)

    assert polled == [200] * 150
    assert answered == Plan.objects.get(slug="free").api_requests_per_hour == 100
    assert refused.status_code == 429


def test_it_refuses_the_61st_status_call_in_a_minute(alice, clock):
    client = token_client(alice)
    project = make_project(alice)
    clock.now_s += 15

    answers = status_answers(client, project, 60, clock)
    refused = client.get(status_url(project))

    assert answers == [200] * 60
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json()["detail"].startswith(
        "You may check a project's status 60 times a minute. For live progress, open the "
        "WebSocket /ws/projects/<id>/ instead of polling: it sends the state at every change."
    )


def test_it_answers_status_again_in_the_next_minute(alice, clock):
    client = token_client(alice)
    project = make_project(alice)
    status_answers(client, project, 61, clock)

    clock.now_s = START_S + 60

    assert client.get(status_url(project)).status_code == 200


def test_it_counts_status_calls_of_each_user_apart(alice, bob, clock):
    status_answers(token_client(alice), make_project(alice), 61, clock)

    assert status_answers(token_client(bob), make_project(bob), 60, clock) == [200] * 60


def test_it_leaves_the_hourly_budget_whole_after_status_calls(alice, clock):
    Plan.objects.filter(slug="free").update(api_requests_per_hour=3)
    client = token_client(alice)
    status_answers(client, make_project(alice), 20, clock)

    answered, _ = calls_until_refused(client, 10)

    assert answered == 3


def test_it_answers_status_once_the_hourly_budget_is_spent(alice, clock):
    Plan.objects.filter(slug="free").update(api_requests_per_hour=3)
    client = token_client(alice)
    project = make_project(alice)
    calls_until_refused(client, 10)

    assert client.get(status_url(project)).status_code == 200


def test_it_leaves_the_progress_page_s_status_to_the_session_whatever_the_api_budget(
    alice, alice_client
):
    Plan.objects.filter(slug="free").update(api_requests_per_hour=3)
    project = make_project(alice)
    calls_until_refused(token_client(alice), 10)
    url = reverse("video_app:project_status", kwargs={"project_id": project.pk})

    assert {alice_client.get(url).status_code for _ in range(150)} == {200}


def test_it_documents_the_status_limit_and_the_websocket(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()

    status = schema["paths"]["/api/v1/projects/{id}/status/"]["get"]
    assert "60 a minute per user" in status["responses"]["429"]["description"]
    assert "WebSocket /ws/projects/<id>/" in status["description"]
    assert "not an API token" in status["description"]


# --- the count in the cache the processes share ---------------------------------------------------


@pytest.fixture
def shared_cache(settings):
    """The settings' cache (the file cache or Redis), not the API tests' own in-memory one, under
    a key prefix no other run uses. Its counts expire within a minute."""
    own_cache = settings.CACHES
    settings.CACHES = {"default": {**SHARED_CACHE, "KEY_PREFIX": uuid.uuid4().hex}}
    yield
    settings.CACHES = own_cache  # conftest.own_cache clears the cache in use: not the shared one


def test_it_counts_every_status_call_made_at_once(alice, clock, shared_cache):
    request = SimpleNamespace(user=alice)
    threads_n, calls_per_thread = 8, 50
    start_together = threading.Barrier(threads_n)
    allowed = []

    def poll():
        start_together.wait()
        for _ in range(calls_per_thread):
            with contextlib.suppress(Throttled):
                allowed.append(StatusPollThrottle().allow_request(request, view=None))
        cache.close()

    threads = [threading.Thread(target=poll) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(allowed) == STATUS_CALLS_PER_WINDOW
