"""Who reaches what through the API: every route of video_app.api.urls, called by its owner
(alice), another user (bob), staff and an anonymous caller. Others get a 404 that reveals nothing
and changes nothing; anonymous callers get a 401; the owner's calls take effect.

A new route (or a new method on one) must get a row in CALLS:
`test_it_covers_every_route_of_the_api` fails until it does.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.video_app.api.conftest import token_client
from tests.video_app.test_access import (
    SCENE_TEXTS,
    World,
    alice_scenes,
    reloaded,
    snapshot,
)
from video_app.api import urls as api_urls
from video_app.models import Scene, VideoProject
from video_app.services import progress

pytestmark = pytest.mark.django_db


# --- what the owner's calls do ------------------------------------------------------------------


def lists_alice_s_project(w: World, response, runs):
    assert response.json()["count"] == 1
    assert response.json()["results"][0]["id"] == w.project.pk


def project_created(w, response, runs):
    created = VideoProject.objects.get(title="Tides")
    assert response.json()["id"] == created.pk
    assert created.user == w.project.user
    assert created.platforms == ["youtube", "tiktok"]
    assert created.template.slug == "explainer"
    assert created.script.text == "The tide comes in. The tide goes out."
    assert created.status == VideoProject.Status.SCRIPTING
    assert runs == []


def shows_the_project(w, response, runs):
    body = response.json()
    assert (body["id"], body["title"], body["status"]) == (w.project.pk, w.project.title, "failed")
    assert body["script"] == w.project.script.text
    assert [video["platform"] for video in body["videos"]] == ["instagram_square"]


def settings_saved(w, response, runs):
    project = reloaded(w)
    assert (project.title, project.platforms, project.style) == ("Tides", ["youtube"], "bold")
    assert response.json()["title"] == "Tides"
    assert runs == []


def script_saved(w, response, runs):
    project = reloaded(w)
    assert project.script.text == "The tide comes in. The tide goes out."
    assert project.status == VideoProject.Status.SCRIPTING
    assert response.json()["script"] == project.script.text


def project_deleted(w, response, runs):
    assert not VideoProject.objects.filter(pk=w.project.pk).exists()
    assert not Scene.objects.filter(pk__in=[scene.pk for scene in w.scenes]).exists()
    assert not (w.media_root / w.video.file.name).exists()
    assert (w.media_root / w.upload.file.name).exists()  # the library keeps its uploads


def render_started(w, response, runs):
    project = reloaded(w)
    assert (project.run_number, project.run_kind, project.run_state) == (3, "render", "queued")
    assert runs == [(w.project.pk, 3, [], False)]
    assert response.json() == progress.project_state(project)


def nothing_to_cancel(w, response, runs):
    assert response.json()["detail"].startswith("Nothing to cancel")
    assert reloaded(w).run_state == VideoProject.RunState.FAILED
    assert runs == []


def answers_the_stored_state(w, response, runs):
    assert response.json() == progress.project_state(reloaded(w))
    assert response.json()["run_state"] == "failed"
    assert "no-cache" in response["Cache-Control"]


def variations_made(w, response, runs):
    copies = VideoProject.objects.filter(duplicated_from=w.project).order_by("pk")
    assert [body["id"] for body in response.json()] == [copy.pk for copy in copies]
    assert [copy.variation_label for copy in copies] == ["30 s", "Bold style", "TikTok"]
    assert runs == []  # not asked to render


def lists_the_scenes(w, response, runs):
    assert [scene["text"] for scene in response.json()] == list(SCENE_TEXTS)


def scene_added(w, response, runs):
    assert [scene.text for scene in alice_scenes(w)] == [*SCENE_TEXTS, "The tide goes out again."]
    assert response.json()["position"] == 3


def shows_the_scene(w, response, runs):
    assert response.json()["text"] == SCENE_TEXTS[0]
    assert response.json()["has_voice"] is True


def scene_edited(w, response, runs):
    first = alice_scenes(w)[0]
    assert (first.text, first.visual_direction) == ("A shell in a hand.", "a shell")
    assert response.json()["keywords"] == first.keywords != []


def scene_words_edited(w, response, runs):
    first = alice_scenes(w)[0]
    assert first.text == "A shell in a hand."
    assert reloaded(w).status == VideoProject.Status.STORYBOARD  # pictures and voices made again


def scene_deleted(w, response, runs):
    assert [(scene.position, scene.text) for scene in alice_scenes(w)] == [
        (0, SCENE_TEXTS[1]),
        (1, SCENE_TEXTS[2]),
    ]


def token_made(w, response, runs):
    token = Token.objects.get(user=w.project.user)
    assert token.key in response.content.decode()


# --- the table ----------------------------------------------------------------------------------

ANYONE, SIGNED_IN, OWNER = "anyone", "signed in", "owner"


def no_ids(w):
    return {}


def project_ids(w):
    return {"pk": w.project.pk}


def scenes_ids(w):
    return {"project_pk": w.project.pk}


def scene_ids(w):
    return {"project_pk": w.project.pk, "pk": w.scenes[0].pk}


def project_fields(w):
    return {
        "title": "Tides",
        "description": "Why the sea comes and goes",
        "template": "explainer",
        "platforms": ["youtube"],
        "style": "bold",
        "language": "en",
    }


@dataclass(frozen=True)
class Call:
    name: str  # in the api namespace
    method: str
    audience: str
    ids: Callable[[World], dict] = no_ids
    body: Callable[[World], dict] = no_ids  # what the owner sends
    status: int = 200  # the owner's answer
    effect: Callable | None = None  # (world, response, queued runs): the owner's call took effect

    def url(self, w: World) -> str:
        return reverse(f"api:{self.name}", kwargs=self.ids(w))


CALLS = [
    Call("api-root", "get", SIGNED_IN),
    Call("project-list", "get", SIGNED_IN, effect=lists_alice_s_project),
    Call(
        "project-list",
        "post",
        SIGNED_IN,
        body=lambda w: {
            "title": "Tides",
            "platforms": ["youtube", "tiktok", "youtube"],
            "script": "The tide comes in. The tide goes out.",
        },
        status=201,
        effect=project_created,
    ),
    Call("project-detail", "get", OWNER, project_ids, effect=shows_the_project),
    Call("project-detail", "put", OWNER, project_ids, project_fields, effect=settings_saved),
    Call(
        "project-detail",
        "patch",
        OWNER,
        project_ids,
        lambda w: {"script": "The tide comes in. The tide goes out."},
        effect=script_saved,
    ),
    Call("project-detail", "delete", OWNER, project_ids, status=204, effect=project_deleted),
    Call("project-render", "post", OWNER, project_ids, status=202, effect=render_started),
    Call("project-retry", "post", OWNER, project_ids, status=202, effect=render_started),
    Call("project-cancel", "post", OWNER, project_ids, status=409, effect=nothing_to_cancel),
    Call("project-status", "get", OWNER, project_ids, effect=answers_the_stored_state),
    Call(
        "project-generate-variations",
        "post",
        OWNER,
        project_ids,
        lambda w: {
            "durations": [30],
            "styles": ["bold"],
            "platforms": [["tiktok"]],
            "replace_script": True,
        },
        status=201,
        effect=variations_made,
    ),
    Call("project-scene-list", "get", OWNER, scenes_ids, effect=lists_the_scenes),
    Call(
        "project-scene-list",
        "post",
        OWNER,
        scenes_ids,
        lambda w: {"text": "The tide goes out again."},
        status=201,
        effect=scene_added,
    ),
    Call("project-scene-detail", "get", OWNER, scene_ids, effect=shows_the_scene),
    Call(
        "project-scene-detail",
        "put",
        OWNER,
        scene_ids,
        lambda w: {"text": "A shell in a hand.", "visual_direction": "a shell"},
        effect=scene_edited,
    ),
    Call(
        "project-scene-detail",
        "patch",
        OWNER,
        scene_ids,
        lambda w: {"text": "A shell in a hand."},
        effect=scene_words_edited,
    ),
    Call("project-scene-detail", "delete", OWNER, scene_ids, status=204, effect=scene_deleted),
    Call("schema", "get", ANYONE),
    Call("docs", "get", ANYONE),
    Call("token", "get", SIGNED_IN),
    Call("token", "post", SIGNED_IN, effect=token_made),
]
PAGES = {"token"}  # HTML pages of the account: a login redirect for anonymous visitors
PRIVATE = [call for call in CALLS if call.audience == OWNER]


def each(calls):
    return [pytest.param(call, id=f"{call.name}-{call.method}") for call in calls]


def send(client, call: Call, w: World, url: str = ""):
    url, body = url or call.url(w), call.body(w)
    if call.name in PAGES:
        return getattr(client, call.method)(url, body)
    if call.method == "get":
        return client.get(url)
    return getattr(client, call.method)(url, body, format="json")


def routes(patterns, prefix=""):
    """(name, methods) of every URL below `patterns`; methods only for viewsets' routes."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern):
            actions = getattr(pattern.callback, "actions", None)
            yield pattern.name, frozenset(actions) if actions else None


def test_it_covers_every_route_of_the_api():
    found = dict(routes(api_urls.urlpatterns))
    del found["not_found"]  # the catch-all, tested below
    called = {call.name: {c.method for c in CALLS if c.name == call.name} for call in CALLS}

    assert sorted(found) == sorted(called)
    for name, methods in found.items():
        if methods is not None:
            assert methods == called[name], name


# --- anonymous callers --------------------------------------------------------------------------


@pytest.mark.parametrize("call", each(c for c in CALLS if c.audience != ANYONE))
def test_it_refuses_anonymous_callers(world, enqueued, django_capture_on_commit_callbacks, call):
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        response = send(APIClient(), call, world)

    if call.name in PAGES:
        assert response.status_code == 302
        assert response.url == f"/accounts/login/?next={call.url(world)}"
    else:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert snapshot(world) == before
    assert callbacks == []


@pytest.mark.parametrize("call", each(c for c in CALLS if c.audience == ANYONE))
def test_it_shows_anyone_the_api_s_documentation(world, call):
    assert send(APIClient(), call, world).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/videos/", "/api/v1/projects/abc/scenes/", "/api/v1/x/y/z"]
)
def test_it_answers_an_unknown_api_url_in_json(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_it_refuses_an_unknown_token(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get(reverse("api:project-detail", args=[world.project.pk]))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


# --- bob and staff, other signed-in users -------------------------------------------------------


@pytest.fixture(params=["bob", "staff"])
def other_api(request, bob, staff):
    return token_client({"bob": bob, "staff": staff}[request.param])


@pytest.mark.parametrize("call", each(PRIVATE))
def test_it_hides_alice_s_things_from_others(
    other_api, world, enqueued, django_capture_on_commit_callbacks, call
):
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        response = send(other_api, call, world)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert snapshot(world) == before
    assert callbacks == []  # nothing queued, no file deleted


@pytest.mark.parametrize("call", each(c for c in PRIVATE if c.ids is scene_ids))
def test_it_hides_alice_s_scenes_behind_bob_s_own_project(
    bob_api, world, bob_project, enqueued, django_capture_on_commit_callbacks, call
):
    before = snapshot(world)
    url = reverse(
        f"api:{call.name}", kwargs={"project_pk": bob_project.pk, "pk": world.scenes[0].pk}
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = send(bob_api, call, world, url)

    assert response.status_code == 404
    assert snapshot(world) == before
    assert callbacks == []


def test_it_lists_only_the_caller_s_own_projects(bob_api, world, bob_project):
    listed = bob_api.get(reverse("api:project-list")).json()

    assert [project["title"] for project in listed["results"]] == ["Bikes in the rain"]


# --- alice, the owner ---------------------------------------------------------------------------


@pytest.mark.parametrize("call", each(c for c in CALLS if c.audience != ANYONE))
def test_it_carries_out_the_owner_s_calls(
    alice, world, enqueued, django_capture_on_commit_callbacks, call
):
    if call.name in PAGES:
        client = Client()
        client.force_login(alice)
    else:
        client = token_client(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, call, world)

    assert response.status_code == call.status, response.content
    if call.effect:
        call.effect(world, response, enqueued)


def test_it_starts_no_work_when_the_owner_reads_every_route(
    alice, world, enqueued, django_capture_on_commit_callbacks
):
    client = token_client(alice)
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        answers = {
            call.name: send(client, call, world).status_code
            for call in CALLS
            if call.method == "get" and call.name not in PAGES
        }

    assert set(answers.values()) == {200}
    assert snapshot(world) == before
    assert callbacks == []
    assert enqueued == []


# --- the browser: a signed-in session -----------------------------------------------------------


def test_it_takes_a_session_only_with_the_csrf_token_for_changes(alice, world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    url = reverse("api:project-list")
    new = {"title": "Tides", "platforms": ["youtube"]}

    read = browser.get(url)
    forged = browser.post(url, new, content_type="application/json")
    browser.get(reverse("api:token"))  # any page with a form sets the CSRF cookie
    sent = browser.post(
        url,
        new,
        content_type="application/json",
        headers={"x-csrftoken": browser.cookies["csrftoken"].value},
    )

    assert read.status_code == 200
    assert forged.status_code == 403
    assert forged.json()["detail"].startswith("CSRF Failed")
    assert sent.status_code == 201
    assert VideoProject.objects.filter(title="Tides").count() == 1


def test_it_browses_the_api_in_a_signed_in_browser(alice_client, world):
    for url in (
        reverse("api:api-root"),
        reverse("api:project-list"),
        reverse("api:project-detail", args=[world.project.pk]),
        reverse("api:project-scene-list", args=[world.project.pk]),
    ):
        response = alice_client.get(url, headers={"accept": "text/html"})
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
