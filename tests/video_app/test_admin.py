"""Admin as staff use it: every model's list and change page with real rows and their pictures,
search and filters, and the actions that unstick projects."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from tests.video_app.factories import add_video, add_voice, make_project, page_of
from video_app.models import (
    MediaAsset,
    PipelineStep,
    Scene,
    TaskInHand,
    VideoProject,
    VideoTemplate,
)
from video_app.services import projects, storyboard, watchdog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "no_progress_news")]


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), "#2471a3").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def project(alice):
    """A rendered project with a row of every kind."""
    project = make_project(alice)
    scene = storyboard.scene_add(project=project, text="Every morning the tide brings shells.")
    picture = MediaAsset(
        user=alice,
        scene=scene,
        kind="image",
        source="procedural",
        provider="procedural",
        title="Scene 1",
        width=96,
        height=64,
    )
    picture.file.save("scene-1.jpg", ContentFile(jpeg()), save=False)
    picture.thumbnail.save("scene-1-thumb.jpg", ContentFile(jpeg()), save=False)
    picture.save()
    Scene.objects.filter(pk=scene.pk).update(media=picture)
    add_voice(scene)
    add_video(project)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    watchdog.task_started(
        task_id="task-1",
        task_name="video_app.tasks.render_task",
        project_id=project.pk,
        run=project.run_number,
        step="render",
        worker="w1@host",
    )
    projects.project_mark_failed(project=project, reason="Stopped by our staff.")
    project.refresh_from_db()
    return project


def rows(project) -> dict:
    scene = Scene.objects.get(script__project=project)
    return {
        "videoproject": project,
        "videotemplate": VideoTemplate.objects.get(slug="explainer"),
        "videoscript": project.script,
        "scene": scene,
        "mediaasset": scene.media,
        "audioasset": scene.audio,
        "renderedvideo": project.videos.get(),
        "pipelinestep": PipelineStep.objects.filter(project=project).first(),
        "taskinhand": TaskInHand.objects.get(project=project),
    }


MODELS = [
    "videoproject",
    "videotemplate",
    "videoscript",
    "scene",
    "mediaasset",
    "audioasset",
    "renderedvideo",
    "pipelinestep",
    "taskinhand",
]


def test_it_shows_tasks_in_hand_but_never_lets_staff_write_them(admin_client, project):
    row = TaskInHand.objects.get(project=project)

    assert admin_client.get("/admin/video_app/taskinhand/add/").status_code == 403
    page = page_of(admin_client.get(f"/admin/video_app/taskinhand/{row.pk}/change/"))
    assert "w1@host" in page
    assert 'name="_save"' not in page


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_every_model_with_its_rows(admin_client, project, model):
    row = rows(project)[model]

    page = page_of(admin_client.get(f"/admin/video_app/{model}/"))

    assert f'href="/admin/video_app/{model}/{row.pk}/change/' in page
    assert 'class="errornote"' not in page


@pytest.mark.parametrize("model", MODELS)
def test_it_shows_every_models_change_page(admin_client, project, model):
    row = rows(project)[model]

    page = page_of(admin_client.get(f"/admin/video_app/{model}/{row.pk}/change/"))

    assert f'id="{model}_form"' in page


def test_it_shows_the_thumbnails_staff_can_open(admin_client, project):
    video, picture = project.videos.get(), Scene.objects.get(script__project=project).media
    video_thumbnail = f"/projects/{project.pk}/videos/{video.pk}/thumbnail/"
    picture_thumbnail = f"/library/{picture.pk}/thumbnail/"

    projects_page = page_of(admin_client.get("/admin/video_app/videoproject/"))
    videos_page = page_of(admin_client.get("/admin/video_app/renderedvideo/"))
    scenes_page = page_of(admin_client.get("/admin/video_app/scene/"))
    media_page = page_of(admin_client.get("/admin/video_app/mediaasset/"))

    assert f'<img src="{video_thumbnail}"' in projects_page
    assert f'<img src="{video_thumbnail}"' in videos_page
    assert f'<img src="{picture_thumbnail}"' in scenes_page
    assert f'<img src="{picture_thumbnail}"' in media_page
    for url in (video_thumbnail, picture_thumbnail):
        response = admin_client.get(url)
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")  # a JPEG


def test_it_shows_a_dash_for_rows_without_a_picture(admin_client, alice):
    make_project(alice)

    page = page_of(admin_client.get("/admin/video_app/videoproject/"))

    assert '<td class="field-preview">—</td>' in page


def test_it_searches_projects(admin_client, project, bob):
    make_project(bob, title="Lighthouses at night", description="Ships and the coast")

    found = page_of(admin_client.get("/admin/video_app/videoproject/", {"q": "shells"}))
    by_owner = page_of(admin_client.get("/admin/video_app/videoproject/", {"q": "bob"}))

    assert "Shells on the beach" in found and "Lighthouses at night" not in found
    assert "Lighthouses at night" in by_owner and "Shells on the beach" not in by_owner


def test_it_filters_projects_by_status(admin_client, project, bob):
    make_project(bob, title="Lighthouses at night")

    failed = page_of(
        admin_client.get("/admin/video_app/videoproject/", {"status__exact": "failed"})
    )

    assert "Shells on the beach" in failed
    assert "Lighthouses at night" not in failed


def test_it_filters_media_by_source(admin_client, project):
    made = page_of(
        admin_client.get("/admin/video_app/mediaasset/", {"source__exact": "procedural"})
    )
    uploaded = page_of(
        admin_client.get("/admin/video_app/mediaasset/", {"source__exact": "upload"})
    )

    assert "1 media asset" in made and "scene-1-thumb.jpg" not in made
    assert 'class="field-__str__"><a href=' in made
    assert "0 media assets" in uploaded


def test_it_links_stored_files_on_change_pages_to_pages_that_open(admin_client, project):
    picture = Scene.objects.get(script__project=project).media
    page = page_of(admin_client.get(f"/admin/video_app/mediaasset/{picture.pk}/change/"))

    links = re.findall(r'<a href="([^"]+)">media/', page)

    assert links
    assert [admin_client.get(link).status_code for link in links] == [200] * len(links)


def run_action(admin_client, action, *chosen):
    return admin_client.post(
        "/admin/video_app/videoproject/",
        {"action": action, "_selected_action": [project.pk for project in chosen]},
        follow=True,
    )


def test_it_renders_chosen_projects_again_and_skips_busy_ones(
    admin_client, project, bob, queued, django_capture_on_commit_callbacks
):
    busy = make_project(bob, title="Lighthouses at night")
    projects.run_start(project=busy, kind="media")

    with django_capture_on_commit_callbacks(execute=True):
        page = page_of(run_action(admin_client, "re_render", project, busy))

    assert "1 render(s) queued." in page
    assert "“Lighthouses at night (bob)” is busy; skipped." in page
    project.refresh_from_db()
    busy.refresh_from_db()
    assert (project.status, project.run_state, project.run_number) == ("rendering", "queued", 2)
    assert (busy.run_kind, busy.run_number) == ("media", 1)
    assert queued == [(project.pk, 2, [], False)]


def test_it_retries_only_the_failed_projects(admin_client, project, bob):
    idle = make_project(bob, title="Lighthouses at night")

    page = page_of(run_action(admin_client, "retry", project, idle))

    assert "1 project(s) retried." in page
    assert "“Lighthouses at night (bob)”: Nothing to retry: the last run did not fail." in page
    project.refresh_from_db()
    idle.refresh_from_db()
    assert (project.run_kind, project.run_state, project.run_number) == ("render", "queued", 2)
    assert project.error_message == ""
    assert idle.run_number == 0


def test_it_marks_stuck_projects_failed(admin_client, alice, bob):
    rendering, picturing = make_project(alice), make_project(bob, title="Lighthouses at night")
    projects.run_start(project=rendering, kind="render")
    projects.run_start(project=picturing, kind="media")

    idle = make_project(alice, title="Tide tables")

    page = page_of(run_action(admin_client, "mark_failed", rendering, picturing, idle))

    assert "2 busy project(s) marked failed." in page
    idle.refresh_from_db()
    assert idle.run_state == VideoProject.RunState.IDLE
    for project in (rendering, picturing):
        project.refresh_from_db()
        assert project.run_state == VideoProject.RunState.FAILED
        assert project.error_message == "Stopped by our staff. Retry when you are ready."
    assert rendering.status == VideoProject.Status.FAILED
    assert picturing.status == VideoProject.Status.SCRIPTING


def test_it_shows_the_run_and_its_technical_cause_on_the_change_page(admin_client, project):
    VideoProject.objects.filter(pk=project.pk).update(error_detail="RenderFailed: ffmpeg said no")

    page = page_of(admin_client.get(f"/admin/video_app/videoproject/{project.pk}/change/"))

    assert "RenderFailed: ffmpeg said no" in page
    assert "Stopped by our staff." in page
    assert 'id="steps-group"' in page and 'id="videos-group"' in page


def test_it_keeps_staff_to_the_sign_up_rules_for_usernames_and_emails(admin_client, alice, bob):
    page = admin_client.get(f"/admin/auth/user/{bob.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        email="ALICE@example.com",
        username="bob@corp.com",
        date_joined_0="2026-01-01",
        date_joined_1="00:00:00",
        groups=[],
        user_permissions=[],
    )
    data.pop("password", None)

    response = admin_client.post(f"/admin/auth/user/{bob.pk}/change/", data)

    errors = response.context["adminform"].form.errors
    assert "An account with this email already exists" in errors["email"][0]
    assert "cannot contain “@”" in errors["username"][0]
    bob.refresh_from_db()
    assert (bob.username, bob.email) == ("bob", "bob@example.com")
