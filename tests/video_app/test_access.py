"""Who reaches what: every URL of video_app.urls with its owner (alice), another user (bob), staff
and an anonymous visitor. Others get a 404 that does not reveal the object and change nothing;
the owner's actions take effect; no GET ever starts work.

A new URL must get a row in ROUTES: `test_it_covers_every_url_of_the_product` fails until it does.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.video_app.factories import (
    SRT_TEXT,
    VIDEO_BYTES,
    VTT_TEXT,
    add_video,
    add_voice,
    make_project,
    png_bytes,
)
from video_app import urls as video_urls
from video_app.models import (
    AudioAsset,
    MediaAsset,
    PipelineStep,
    RenderedVideo,
    Scene,
    UserInteraction,
    VideoProject,
    VideoScript,
    VideoTemplate,
)
from video_app.services import dispatch, progress

pytestmark = pytest.mark.django_db

SCENE_TEXTS = (
    "Every morning the tide brings new shells. Children collect them before breakfast.",
    "Each shell was once a home.",
    "Some shells are older than the town.",
)


# --- alice's things -----------------------------------------------------------------------------


@dataclass
class World:
    """Alice's project after a render that failed (so every action, retry included, applies),
    with its scenes, a voice, the video of the earlier successful render and a library upload."""

    project: VideoProject
    scenes: list[Scene]
    upload: MediaAsset
    audio: AudioAsset
    video: RenderedVideo
    template: VideoTemplate
    media_root: Path
    files: dict[str, bytes] = field(default_factory=dict)  # storage name -> bytes


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory):
    # Shared by the session: the voice sample is synthesized once, not once per test.
    return tmp_path_factory.mktemp("render-cache")


@pytest.fixture
def world(alice, settings, tmp_path, render_cache):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RENDER_CACHE_DIR = render_cache
    project = make_project(alice)
    scenes = [
        Scene.objects.create(
            script=project.script, position=position, text=text, estimated_duration_s=2.0
        )
        for position, text in enumerate(SCENE_TEXTS)
    ]
    VideoProject.objects.filter(pk=project.pk).update(
        status=VideoProject.Status.FAILED,
        run_number=2,
        run_kind="render",
        run_state=VideoProject.RunState.FAILED,
        failed_step="render",
        error_message="The render stopped.",
        run_started_at=timezone.now() - timedelta(minutes=2),
        run_finished_at=timezone.now(),
    )
    for position, name in enumerate(("script", "scenes", "media", "voice", "render", "export")):
        state, fraction = {"render": ("failed", 0.3), "export": ("pending", 0.0)}.get(
            name, ("done", 1.0)
        )
        PipelineStep.objects.create(
            project=project,
            run_number=2,
            name=name,
            position=position,
            state=state,
            progress=fraction,
        )
    project.refresh_from_db()

    upload = MediaAsset(
        user=alice,
        kind=MediaAsset.Kind.IMAGE,
        source=MediaAsset.Source.UPLOAD,
        provider="upload",
        title="Shell photo",
        width=96,
        height=80,
    )
    upload.file.save("shell.png", ContentFile(png_bytes((96, 80))), save=False)
    upload.thumbnail.save("shell-thumb.png", ContentFile(png_bytes((48, 40))), save=False)
    upload.save()

    audio = add_voice(scenes[0])
    video = add_video(project)

    return World(
        project=project,
        scenes=scenes,
        upload=upload,
        audio=audio,
        video=video,
        template=VideoTemplate.objects.get(slug="explainer"),
        media_root=settings.MEDIA_ROOT,
    )


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "staff", "staff@example.com", PASSWORD, is_staff=True
    )


@pytest.fixture
def enqueued(monkeypatch):
    """The runs handed to Celery (`dispatch.queue_run` replaced): what a worker is asked to do."""
    runs = []

    def queue_run(*, project, run, scene_ids, force):
        runs.append((project.pk, run, list(scene_ids), force))

    monkeypatch.setattr(dispatch, "queue_run", queue_run)
    monkeypatch.setattr(progress, "publish", lambda project_id: None)
    return runs


SNAPSHOT_MODELS = (
    VideoProject,
    VideoScript,
    Scene,
    MediaAsset,
    AudioAsset,
    RenderedVideo,
    PipelineStep,
)


def snapshot(w: World) -> dict:
    """Every row of the product's tables and every stored file of the users' things."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }
    # Template previews and voice samples are made on first view: a cache, not anyone's data.
    stored = sorted(
        str(path.relative_to(w.media_root))
        for path in w.media_root.rglob("*")
        if path.is_file() and path.relative_to(w.media_root).parts[0] not in ("templates", "cache")
    )
    return {"rows": rows, "files": stored}


def reloaded(w: World) -> VideoProject:
    return VideoProject.objects.get(pk=w.project.pk)


def alice_scenes(w: World) -> list[Scene]:
    return list(Scene.objects.filter(script__project=w.project).order_by("position"))


# --- what the owner's POSTs do ------------------------------------------------------------------


def run_started(kind: str, page: str, *, one_scene: bool = False):
    """The owner's POST recorded a new run of `kind` and queued it for a worker."""

    def check(w: World, response, runs):
        project = reloaded(w)
        assert response.status_code == 302
        assert response.url == reverse(f"video_app:{page}", args=[w.project.pk])
        assert (project.run_number, project.run_kind, project.run_state) == (3, kind, "queued")
        scene_ids = [w.scenes[0].pk] if one_scene else []
        assert runs == [(w.project.pk, 3, scene_ids, one_scene)]

    return check


def redirects_to(page: str):
    def check(w: World, response):
        assert response.status_code == 302
        assert response.url == reverse(f"video_app:{page}", args=[w.project.pk])

    return check


def project_created(w, response, runs):
    created = VideoProject.objects.get(title="Tides")
    assert created.user == w.project.user
    assert created.platforms == ["youtube"]
    assert response.url == reverse("video_app:script", args=[created.pk])


def settings_saved(w, response, runs):
    redirects_to("project_detail")(w, response)
    assert reloaded(w).title == "Tides"


def project_duplicated(w, response, runs):
    copy = VideoProject.objects.get(duplicated_from=w.project)
    assert copy.user == w.project.user
    assert [scene.text for scene in copy.script.scenes.order_by("position")] == list(SCENE_TEXTS)
    assert response.url == reverse("video_app:storyboard", args=[copy.pk])
    assert runs == []


def project_deleted(w, response, runs):
    assert response.url == reverse("video_app:dashboard")
    assert not VideoProject.objects.filter(pk=w.project.pk).exists()
    assert not Scene.objects.filter(pk__in=[scene.pk for scene in w.scenes]).exists()
    assert not (w.media_root / w.video.file.name).exists()
    assert not (w.media_root / w.audio.file.name).exists()
    # An upload belongs to the library, not to the project.
    assert (w.media_root / w.upload.file.name).exists()


def script_saved(w, response, runs):
    redirects_to("script")(w, response)
    project = reloaded(w)
    assert project.script.text == "The tide comes in. The tide goes out."
    assert project.status == VideoProject.Status.SCRIPTING
    assert runs == []


def scene_added(w, response, runs):
    redirects_to("storyboard")(w, response)
    assert [scene.text for scene in alice_scenes(w)] == [*SCENE_TEXTS, "The tide goes out again."]


def scene_edited(w, response, runs):
    redirects_to("storyboard")(w, response)
    first = alice_scenes(w)[0]
    assert (first.text, first.visual_direction) == ("A shell in a hand.", "a shell")


def scene_moved(w, response, runs):
    redirects_to("storyboard")(w, response)
    assert [scene.pk for scene in alice_scenes(w)][:2] == [w.scenes[1].pk, w.scenes[0].pk]


def scene_split(w, response, runs):
    redirects_to("storyboard")(w, response)
    assert [scene.text for scene in alice_scenes(w)] == [
        "Every morning the tide brings new shells.",
        "Children collect them before breakfast.",
        *SCENE_TEXTS[1:],
    ]


def scenes_merged(w, response, runs):
    redirects_to("storyboard")(w, response)
    assert [scene.text for scene in alice_scenes(w)] == [
        f"{SCENE_TEXTS[0]} {SCENE_TEXTS[1]}",
        SCENE_TEXTS[2],
    ]


def scene_deleted(w, response, runs):
    redirects_to("storyboard")(w, response)
    assert [(scene.position, scene.text) for scene in alice_scenes(w)] == [
        (0, SCENE_TEXTS[1]),
        (1, SCENE_TEXTS[2]),
    ]


def picture_uploaded(w, response, runs):
    redirects_to("media")(w, response)
    shown = alice_scenes(w)[0].media
    assert shown is not None and shown.source == MediaAsset.Source.LIBRARY
    assert (w.media_root / shown.file.name).exists()
    assert w.project.user.media_assets.filter(source=MediaAsset.Source.UPLOAD).count() == 2


def picture_picked(w, response, runs):
    redirects_to("media")(w, response)
    shown = alice_scenes(w)[0].media
    assert shown is not None and shown.file.name == w.upload.file.name


def preview_play_recorded(w, response, runs):
    assert response.status_code == 204
    [played] = UserInteraction.objects.filter(action="preview_played")
    assert (played.user, played.project, played.detail) == (
        w.project.user,
        w.project,
        "instagram_square",
    )
    assert runs == []


def nothing_to_cancel(w, response, runs):
    # Alice's last run failed: nothing runs, so nothing changes (cancelling a busy run, with a
    # real worker: test_run_cancel.py).
    redirects_to("render")(w, response)
    assert reloaded(w).run_state == VideoProject.RunState.FAILED
    assert runs == []


def voice_changed(w, response, runs):
    run_started("voice", "voice", one_scene=True)(w, response, runs)
    assert alice_scenes(w)[0].voice_speed == 1.25


# --- the table ----------------------------------------------------------------------------------

ANYONE, SIGNED_IN, OWNER, OWNER_OR_STAFF = "anyone", "signed in", "owner", "owner or staff"


def no_ids(w):
    return {}


def project_ids(w):
    return {"project_id": w.project.pk}


def scene_ids(w):
    return {"project_id": w.project.pk, "scene_id": w.scenes[0].pk}


def video_ids(w):
    return {"project_id": w.project.pk, "video_id": w.video.pk, "kind": "video"}


def project_fields(title):
    def data(w):
        return {
            "title": title,
            "description": "Why the sea comes and goes",
            "template": w.template.pk,
            "platforms": ["youtube"],
            "style": "modern",
            "voice_id": "",
            "language": "en",
        }

    return data


@dataclass(frozen=True)
class Route:
    name: str
    methods: tuple[str, ...]  # what the view answers; a GET on a POST-only view is a 405
    audience: str
    ids: Callable[[World], dict] = no_ids
    data: Callable[[World], dict] = no_ids  # what the owner's page POSTs
    effect: Callable | None = None  # (world, response, queued runs): the owner's POST took effect
    owner_status: int = 302  # what the owner's POST answers (a redirect, unless a beacon)

    def url(self, w: World) -> str:
        return reverse(f"video_app:{self.name}", kwargs=self.ids(w))


ROUTES = [
    Route("home", ("get",), ANYONE),
    Route("healthz", ("get",), ANYONE),
    Route("dashboard", ("get",), SIGNED_IN),
    Route(
        "project_create",
        ("get", "post"),
        SIGNED_IN,
        data=project_fields("Tides"),
        effect=project_created,
    ),
    Route("project_detail", ("get",), OWNER, project_ids),
    Route(
        "project_settings",
        ("get", "post"),
        OWNER,
        project_ids,
        project_fields("Tides"),
        settings_saved,
    ),
    Route("render", ("get", "post"), OWNER, project_ids, effect=run_started("render", "render")),
    Route("project_retry", ("post",), OWNER, project_ids, effect=run_started("render", "render")),
    Route("project_cancel", ("post",), OWNER, project_ids, effect=nothing_to_cancel),
    Route("project_duplicate", ("post",), OWNER, project_ids, effect=project_duplicated),
    Route("project_delete", ("get", "post"), OWNER, project_ids, effect=project_deleted),
    Route("project_status", ("get",), OWNER_OR_STAFF, project_ids),
    Route(
        "interaction_beacon",
        ("post",),
        OWNER,
        project_ids,
        lambda w: {"action": "preview_played", "platform": "instagram_square"},
        preview_play_recorded,
        owner_status=204,
    ),
    Route(
        "script",
        ("get", "post"),
        OWNER,
        project_ids,
        lambda w: {"text": "The tide comes in. The tide goes out."},
        script_saved,
    ),
    Route("script_generate", ("post",), OWNER, project_ids, effect=run_started("script", "script")),
    Route("scenes_make", ("post",), OWNER, project_ids, effect=run_started("scenes", "storyboard")),
    Route("storyboard", ("get",), OWNER, project_ids),
    Route(
        "scene_add",
        ("post",),
        OWNER,
        project_ids,
        lambda w: {"text": "The tide goes out again."},
        scene_added,
    ),
    Route(
        "scene_edit",
        ("post",),
        OWNER,
        scene_ids,
        lambda w: {"text": "A shell in a hand.", "visual_direction": "a shell"},
        scene_edited,
    ),
    Route("scene_move", ("post",), OWNER, scene_ids, lambda w: {"direction": "down"}, scene_moved),
    Route("scene_split", ("post",), OWNER, scene_ids, effect=scene_split),
    Route("scene_merge", ("post",), OWNER, scene_ids, effect=scenes_merged),
    Route("scene_delete", ("post",), OWNER, scene_ids, effect=scene_deleted),
    Route("media", ("get", "post"), OWNER, project_ids, effect=run_started("media", "media")),
    Route(
        "scene_media_regenerate",
        ("post",),
        OWNER,
        scene_ids,
        effect=run_started("media", "media", one_scene=True),
    ),
    Route(
        "scene_media_upload",
        ("post",),
        OWNER,
        scene_ids,
        lambda w: {"file": SimpleUploadedFile("beach.png", png_bytes(), "image/png")},
        picture_uploaded,
    ),
    Route(
        "scene_media_pick",
        ("post",),
        OWNER,
        scene_ids,
        lambda w: {"asset": w.upload.pk},
        picture_picked,
    ),
    Route("voice", ("get", "post"), OWNER, project_ids, effect=run_started("voice", "voice")),
    Route(
        "scene_voice",
        ("post",),
        OWNER,
        scene_ids,
        lambda w: {f"scene-{w.scenes[0].pk}-voice_id": "", f"scene-{w.scenes[0].pk}-speed": "1.25"},
        voice_changed,
    ),
    Route("rendered_file", ("get",), OWNER_OR_STAFF, video_ids),
    Route("scene_audio", ("get",), OWNER_OR_STAFF, scene_ids),
    Route(
        "media_file", ("get",), OWNER_OR_STAFF, lambda w: {"asset_id": w.upload.pk, "kind": "file"}
    ),
    Route("stored_file", ("get",), OWNER_OR_STAFF, lambda w: {"name": w.video.file.name}),
    Route("voice_sample", ("get",), SIGNED_IN),
    Route("template_preview", ("get",), SIGNED_IN, lambda w: {"slug": "explainer"}),
]
ROUTES_BY_NAME = {route.name: route for route in ROUTES}
# Anyone else's answer to these is a 404 whatever the method.
PRIVATE = [route for route in ROUTES if route.audience in (OWNER, OWNER_OR_STAFF)]


def each(routes):
    """(route, method) pairs as pytest params, named like `scene_edit-post`."""
    return [
        pytest.param(route, method, id=f"{route.name}-{method}")
        for route in routes
        for method in route.methods
    ]


def by_name(routes):
    return [pytest.param(route, id=route.name) for route in routes]


def visit(client, method: str, url: str, data: dict | None = None):
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    if response.streaming:
        # Read to the end: the test client then closes the file (response.close() called here
        # would also close the test's database connection).
        b"".join(response.streaming_content)
    return response


def test_it_covers_every_url_of_the_product():
    names = [pattern.name for pattern in video_urls.urlpatterns]

    assert len(names) == len(set(names))
    assert sorted(names) == sorted(ROUTES_BY_NAME)


# --- anonymous visitors -------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "method"), each(r for r in ROUTES if r.audience != ANYONE))
def test_it_sends_anonymous_visitors_to_log_in(client, world, route, method):
    before = snapshot(world)
    url = route.url(world)

    response = visit(client, method, url, route.data(world))

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"
    assert snapshot(world) == before


@pytest.mark.parametrize("route", by_name(r for r in ROUTES if r.audience == ANYONE))
def test_it_answers_anonymous_visitors_on_public_pages(client, world, route):
    assert visit(client, "get", route.url(world)).status_code == 200


# --- bob, another signed-in user ----------------------------------------------------------------


@pytest.mark.parametrize(("route", "method"), each(PRIVATE))
def test_it_hides_alice_s_things_from_bob(
    bob_client, world, enqueued, django_capture_on_commit_callbacks, route, method
):
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        response = visit(bob_client, method, route.url(world), route.data(world))

    assert response.status_code == 404
    assert "Shells on the beach" not in response.content.decode()
    assert snapshot(world) == before
    assert callbacks == []  # nothing queued, no file deleted


@pytest.fixture
def bob_project(bob):
    project = make_project(bob, title="Bikes in the rain", script="Bikes shine in the rain.")
    Scene.objects.create(script=project.script, position=0, text="Bikes shine in the rain.")
    return project


def through_bob_s_project(route: Route, w: World, bob_project: VideoProject) -> str:
    return reverse(f"video_app:{route.name}", kwargs={**route.ids(w), "project_id": bob_project.pk})


@pytest.mark.parametrize(
    ("route", "method"),
    each(r for r in PRIVATE if r.ids in (scene_ids, video_ids)),
)
def test_it_hides_alice_s_scenes_and_videos_behind_bob_s_own_project(
    bob_client, world, bob_project, enqueued, django_capture_on_commit_callbacks, route, method
):
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        response = visit(
            bob_client, method, through_bob_s_project(route, world, bob_project), route.data(world)
        )

    assert response.status_code == 404
    assert snapshot(world) == before
    assert callbacks == []


def test_it_keeps_alice_s_library_out_of_bob_s_scenes(bob_client, world, bob_project):
    scene = bob_project.script.scenes.get()
    before = snapshot(world)

    response = bob_client.post(
        reverse("video_app:scene_media_pick", args=[bob_project.pk, scene.pk]),
        {"asset": world.upload.pk},
        headers={"x-requested-with": "fetch"},
    )

    assert response.status_code == 400
    assert snapshot(world) == before


def test_it_does_not_add_bob_s_scene_after_one_of_alice_s(bob_client, world, bob_project):
    before = snapshot(world)

    response = bob_client.post(
        reverse("video_app:scene_add", args=[bob_project.pk]),
        {"text": "A puddle.", "after": world.scenes[0].pk},
    )

    assert response.status_code == 404
    assert snapshot(world) == before


def test_it_lists_only_bob_s_own_projects_and_uploads(bob_client, world, bob_project):
    dashboard = bob_client.get(reverse("video_app:dashboard")).content.decode()
    media = bob_client.get(reverse("video_app:media", args=[bob_project.pk])).content.decode()

    assert "Bikes in the rain" in dashboard
    assert "Shells on the beach" not in dashboard
    assert reverse("video_app:media_file", args=[world.upload.pk, "thumbnail"]) not in media
    assert "Shell photo" not in media


# --- staff --------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", by_name(r for r in ROUTES if r.audience == OWNER_OR_STAFF))
def test_it_shows_staff_the_status_and_files_of_any_project(client, staff, world, route):
    client.force_login(staff)

    assert visit(client, "get", route.url(world)).status_code == 200


@pytest.mark.parametrize(("route", "method"), each(r for r in ROUTES if r.audience == OWNER))
def test_it_keeps_staff_out_of_other_people_s_wizard(
    client, staff, world, enqueued, django_capture_on_commit_callbacks, route, method
):
    client.force_login(staff)
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        response = visit(client, method, route.url(world), route.data(world))

    assert response.status_code == 404
    assert snapshot(world) == before
    assert callbacks == []


# --- alice, the owner ---------------------------------------------------------------------------


@pytest.mark.parametrize("route", by_name(r for r in ROUTES if "get" in r.methods))
def test_it_shows_the_owner_every_page(alice_client, world, route):
    assert visit(alice_client, "get", route.url(world)).status_code == 200


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("video", VIDEO_BYTES), ("srt", SRT_TEXT.encode()), ("vtt", VTT_TEXT.encode())],
)
def test_it_serves_the_owner_the_files_of_a_rendered_video(alice_client, world, kind, expected):
    response = alice_client.get(
        reverse("video_app:rendered_file", args=[world.project.pk, world.video.pk, kind])
    )

    assert b"".join(response.streaming_content) == expected


def test_it_serves_the_owner_the_pictures_and_voices(alice_client, world):
    urls_and_files = {
        reverse(
            "video_app:rendered_file", args=[world.project.pk, world.video.pk, "thumbnail"]
        ): world.video.thumbnail,
        reverse("video_app:media_file", args=[world.upload.pk, "file"]): world.upload.file,
        reverse(
            "video_app:media_file", args=[world.upload.pk, "thumbnail"]
        ): world.upload.thumbnail,
        reverse(
            "video_app:scene_audio", args=[world.project.pk, world.scenes[0].pk]
        ): world.audio.file,
    }

    for url, stored in urls_and_files.items():
        response = alice_client.get(url)
        assert b"".join(response.streaming_content) == Path(stored.path).read_bytes(), url


def test_it_answers_the_owner_s_status_poll_with_the_stored_state(alice_client, world):
    response = alice_client.get(reverse("video_app:project_status", args=[world.project.pk]))

    assert response.json() == progress.project_state(reloaded(world))
    assert response.json()["run_state"] == "failed"


@pytest.mark.parametrize("route", by_name(r for r in ROUTES if "post" in r.methods))
def test_it_carries_out_the_owner_s_actions(
    alice_client, world, enqueued, django_capture_on_commit_callbacks, route
):
    with django_capture_on_commit_callbacks(execute=True):
        response = visit(alice_client, "post", route.url(world), route.data(world))

    assert response.status_code == route.owner_status
    route.effect(world, response, enqueued)


@pytest.mark.parametrize("route", by_name(r for r in ROUTES if "get" not in r.methods))
def test_it_refuses_a_get_on_an_action(
    alice_client, world, django_capture_on_commit_callbacks, route
):
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        response = visit(alice_client, "get", route.url(world))

    assert response.status_code == 405
    assert snapshot(world) == before
    assert callbacks == []


def test_it_starts_no_work_when_the_owner_opens_every_url(
    alice_client, world, django_capture_on_commit_callbacks
):
    before = snapshot(world)

    with django_capture_on_commit_callbacks() as callbacks:
        answers = {
            route.name: visit(alice_client, "get", route.url(world)).status_code for route in ROUTES
        }

    project = reloaded(world)
    assert (project.run_number, project.run_state) == (2, "failed")
    assert snapshot(world) == before
    assert callbacks == []
    assert {code for name, code in answers.items() if "get" in ROUTES_BY_NAME[name].methods} == {
        200
    }


def test_it_serves_stored_files_by_name_only_to_their_owner(alice_client, bob, world):
    # MEDIA_URL is this view: a file's url works for its owner and for nobody else.
    bob_client = Client()
    bob_client.force_login(bob)
    for stored in (world.video.file, world.upload.file, world.upload.thumbnail, world.audio.file):
        response = alice_client.get(stored.url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == stored.open("rb").read()
        assert bob_client.get(stored.url).status_code == 404


@pytest.mark.parametrize("name", ["../settings.py", "projects/../../db.sqlite3", "/etc/passwd"])
def test_it_refuses_paths_outside_storage(admin_client, name):
    assert admin_client.get(f"/media/{name}").status_code == 404
